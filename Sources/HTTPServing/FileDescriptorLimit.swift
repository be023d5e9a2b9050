import Foundation

/// The process's open-file limit: raised to the hard limit at start, and split between
/// connections and a reserve the sidecar keeps for itself (memcached connections, the gossip
/// and listening sockets, event loops, log and /proc files, the runtime's own needs), so that
/// connections alone can never exhaust it.
public enum FileDescriptorLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit (capped at 1,048,576); returns the soft
    /// limit in force afterwards.
    public static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        let wanted = min(limit.rlim_max, 1_048_576)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Descriptors kept back from connections: 64 plus two per store thread and memcached node
    /// (a handle per thread and node, with slack), and at least an eighth of the limit.
    public static func reserve(limit: Int, storeThreads: Int, memcachedNodes: Int) -> Int {
        max(64 + 2 * storeThreads * max(1, memcachedNodes), limit / 8)
    }

    #if canImport(Glibc)
    static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
