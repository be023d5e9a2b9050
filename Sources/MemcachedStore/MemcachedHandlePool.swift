import CLibMemcached
import Replication

/// The result of one memcached call, reduced to what the replication logic distinguishes.
enum MemcachedOutcome: Equatable {
    case ok
    /// Key absent (get), or `add` found it present (NOTSTORED), or `cas` lost the race (DATA_EXISTS / NOTFOUND).
    case notStored
    case miss
    /// Connection refused, disabled, reset...: the node is down; nothing was written.
    case failed(String)
    /// POLL_TIMEOUT: the request may or may not have been applied.
    case timedOut
}

extension MemcachedOutcome {
    /// What the replication core distinguishes: a miss on a conditional write is "not stored".
    var nodeOutcome: NodeOutcome {
        switch self {
        case .ok: .ok
        case .notStored, .miss: .notStored
        case .failed(let why): .failed(why)
        case .timedOut: .timedOut
        }
    }
}

/// A pool of libmemcached handles for ONE memcached node. libmemcached handles are not
/// thread-safe; the pool (libmemcachedutil, mutex-protected) hands each thread its own.
/// It is sized to the threads that may call at once, so a fetch never waits (the reference shows
/// libmemcachedutil's sub-second fetch timeouts are broken). Should more callers than that meet
/// (a caller the sizing forgot), the extra one gets a handle of its own for that call: an empty
/// pool is this process's shortage, never the node's failure, so it must not mark the node down.
///
/// Every method blocks: call only from the store's thread pool, never from an event loop.
final class MemcachedHandlePool: @unchecked Sendable {
    let address: String
    private let pool: OpaquePointer
    /// A pooled handle's configuration, for a one-off handle when every pooled one is out.
    private let options: String

    init(address: MemcachedAddress, size: Int, connectTimeoutMs: Int, pollTimeoutMs: Int) throws(MemcachedSetupError) {
        self.address = "\(address.host):\(address.port)"
        // ASCII protocol (binary is deprecated since memcached 1.6), CAS ids on, explicit timeouts.
        let handleOptions = "--SERVER=\(address.host):\(address.port) --SUPPORT-CAS --TCP-NODELAY --TCP-KEEPALIVE "
            + "--CONNECT-TIMEOUT=\(connectTimeoutMs) --POLL-TIMEOUT=\(pollTimeoutMs) --RETRY-TIMEOUT=0"
        let options = handleOptions + " --POOL-MIN=1 --POOL-MAX=\(size)"
        guard let pool = options.withCString({ memcached_pool($0, options.utf8.count) }) else {
            throw .badOptions(options)
        }
        self.pool = pool
        self.options = handleOptions
    }

    deinit { _ = memcached_pool_destroy(pool) }

    /// Drops the connections of every idle handle (libmemcachedutil re-clones idle handles on a
    /// behaviour change; checked-out ones are re-cloned when released). Used after a connection
    /// failure, so a restarted memcached is not met by seven more handles with dead sockets.
    func resetConnections() {
        _ = memcached_pool_behavior_set(pool, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1)
    }

    /// Runs `body` with a handle of this pool checked out.
    func withHandle<T>(_ body: (UnsafeMutablePointer<memcached_st>) -> T) -> T? {
        var rc = MEMCACHED_SUCCESS
        if let handle = memcached_pool_fetch(pool, nil, &rc) {
            defer { _ = memcached_pool_release(pool, handle) }
            return body(handle)
        }
        // Every pooled handle is out: a handle for this call alone (one more connection, closed after).
        guard let handle = options.withCString({ memcached($0, options.utf8.count) }) else { return nil }
        defer { memcached_free(handle) }
        return body(handle)
    }
}

enum MemcachedSetupError: Error, CustomStringConvertible {
    case badOptions(String)
    var description: String {
        switch self { case .badOptions(let o): "libmemcached rejected the options: \(o)" }
    }
}

/// Classifies a libmemcached return code.
func classify(_ rc: memcached_return_t, miss: MemcachedOutcome = .miss) -> MemcachedOutcome {
    switch rc {
    case MEMCACHED_SUCCESS, MEMCACHED_STORED, MEMCACHED_END: return .ok
    case MEMCACHED_NOTFOUND: return miss
    case MEMCACHED_NOTSTORED, MEMCACHED_DATA_EXISTS: return .notStored
    case MEMCACHED_TIMEOUT: return .timedOut
    default: return .failed(String(cString: memcached_strerror(nil, rc)))
    }
}
