import CLibMemcached

// The baseline client of the benchmark (paths a and b): libmemcached itself, without the sidecar.

/// A small blocking libmemcached client, for benchmarks and tools that need to talk to
/// memcached (or to a memcached proxy) without the sidecar: one `memcached_st`, ASCII protocol,
/// CAS ids on, explicit CONNECT and POLL timeouts (POLL_TIMEOUT is libmemcached's only working
/// I/O deadline; see the reference).
///
/// Not thread-safe, like the handle it wraps: create one per thread and use it only there.
/// That is why it is not `Sendable`.
public final class DirectMemcachedClient {
    /// How keys are spread over `servers`.
    public enum Distribution: Sendable, Equatable {
        /// Classic libketama (`KETAMA_WEIGHTED`): MD5 key hash, 160 points per server. The same
        /// family as nutcracker's `distribution: ketama` with `hash: md5`.
        case ketama
        /// libmemcached's `--DISTRIBUTION=consistent`: Jenkins one-at-a-time, 100 points per server.
        case consistent
        /// Plain modulo over the server list (the only sensible choice for a single server,
        /// e.g. a proxy's listen address).
        case modula
    }

    /// The outcome of a store command.
    public enum Status: Sendable, Equatable {
        case stored
        /// `cas` lost a race (EXISTS) or `add` found the key (NOT_STORED).
        case exists
        /// `cas`/`replace` on a missing key.
        case notFound
        /// POLL_TIMEOUT: the command may or may not have been applied.
        case timedOut
        case failed(String)
    }

    /// A value read with `gets`.
    public struct Item: Sendable {
        public var value: [UInt8]
        public var cas: UInt64
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        public var isTimeout: Bool
    }

    private let handle: UnsafeMutablePointer<memcached_st>
    /// Reused for every `gets` (no allocation per read).
    private let result: UnsafeMutablePointer<memcached_result_st>
    public let servers: [String]

    /// `servers`: `host:port` or a Unix socket's path each. Timeouts in milliseconds (both ≥ 1).
    public init(servers: [String], distribution: Distribution = .ketama,
                connectTimeoutMs: Int = 250, pollTimeoutMs: Int = 250) throws(Failure) {
        precondition(!servers.isEmpty && connectTimeoutMs >= 1 && pollTimeoutMs >= 1)
        self.servers = servers
        // Distribution before the servers, so a weighted ketama ring is built with them.
        var options = ""
        if distribution != .modula { options += "--DISTRIBUTION=consistent " }
        for server in servers { options += server.hasPrefix("/") ? "--SOCKET=\"\(server)\" " : "--SERVER=\(server) " }
        options += "--SUPPORT-CAS --TCP-NODELAY --CONNECT-TIMEOUT=\(connectTimeoutMs) --POLL-TIMEOUT=\(pollTimeoutMs)"
        guard let handle = options.withCString({ memcached($0, options.utf8.count) }) else {
            throw Failure(description: "libmemcached rejected the options: \(options)", isTimeout: false)
        }
        if distribution == .ketama {
            // Sets MD5 for keys and ring points and rebuilds the ring as classic libketama.
            let rc = memcached_behavior_set(handle, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1)
            guard rc == MEMCACHED_SUCCESS else {
                memcached_free(handle)
                throw Failure(description: "cannot enable ketama: \(String(cString: memcached_strerror(nil, rc)))", isTimeout: false)
            }
        }
        self.handle = handle
        result = .allocate(capacity: 1)
        result.initialize(to: memcached_result_st())
        _ = memcached_result_create(handle, result)
    }

    deinit {
        memcached_result_free(result)  // frees the value buffer; the struct is ours
        result.deallocate()
        memcached_free(handle)
    }

    /// `gets key`: the value and its CAS id, or nil when the key is absent.
    public func get(_ key: String) throws(Failure) -> Item? {
        var rc = MEMCACHED_SUCCESS
        var item: Item?
        var keyLength = key.utf8.count
        rc = key.withCString { k in
            var keys: [UnsafePointer<CChar>?] = [k]
            return memcached_mget(handle, &keys, &keyLength, 1)
        }
        guard rc == MEMCACHED_SUCCESS else { throw failure(rc) }
        // Drain to END so the connection is clean for the next command.
        while memcached_fetch_result(handle, result, &rc) != nil {
            if item == nil {
                let length = memcached_result_length(result)
                var value = [UInt8]()
                if length > 0, let p = memcached_result_value(result) {
                    value = p.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
                }
                item = Item(value: value, cas: memcached_result_cas(result))
            }
        }
        switch rc {
        case MEMCACHED_SUCCESS, MEMCACHED_END, MEMCACHED_NOTFOUND: return item
        default: throw failure(rc)
        }
    }

    public func set(_ key: String, _ value: [UInt8], ttl: Int = 0) -> Status {
        store(key, value) { k, kl, v, vl in memcached_set(handle, k, kl, v, vl, time_t(ttl), 0) }
    }

    public func add(_ key: String, _ value: [UInt8], ttl: Int = 0) -> Status {
        store(key, value) { k, kl, v, vl in memcached_add(handle, k, kl, v, vl, time_t(ttl), 0) }
    }

    /// Stores `value` only if the key still has CAS id `cas`.
    public func cas(_ key: String, _ value: [UInt8], cas: UInt64, ttl: Int = 0) -> Status {
        store(key, value) { k, kl, v, vl in memcached_cas(handle, k, kl, v, vl, time_t(ttl), 0, cas) }
    }

    public func delete(_ key: String) -> Status {
        let rc = key.withCString { memcached_delete(handle, $0, key.utf8.count, 0) }
        return status(rc)
    }

    private func store(_ key: String, _ value: [UInt8],
                       _ call: (UnsafePointer<CChar>, Int, UnsafePointer<CChar>?, Int) -> memcached_return_t) -> Status {
        let rc = key.withCString { k in
            value.withUnsafeBytes { v in
                call(k, key.utf8.count, v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
            }
        }
        return status(rc)
    }

    private func status(_ rc: memcached_return_t) -> Status {
        switch rc {
        case MEMCACHED_SUCCESS, MEMCACHED_STORED, MEMCACHED_DELETED: return .stored
        case MEMCACHED_DATA_EXISTS, MEMCACHED_NOTSTORED: return .exists
        case MEMCACHED_NOTFOUND: return .notFound
        case MEMCACHED_TIMEOUT: return .timedOut
        default: return .failed(message(rc))
        }
    }

    private func failure(_ rc: memcached_return_t) -> Failure {
        Failure(description: message(rc), isTimeout: rc == MEMCACHED_TIMEOUT)
    }

    private func message(_ rc: memcached_return_t) -> String {
        if let m = memcached_last_error_message(handle) { return String(cString: m) }
        return String(cString: memcached_strerror(handle, rc))
    }
}
