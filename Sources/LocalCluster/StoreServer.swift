/// The store a cluster of sidecars keeps its sessions in.
public enum StoreBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case memcached, redis
    public var description: String { rawValue }
    /// The `sessionmesh run` flag that lists the nodes.
    public var flag: String { "--\(rawValue)" }
}

/// A store node process started here (memcached or redis-server), with raw access to what it holds.
public protocol StoreServer: AnyObject, Sendable {
    var address: String { get }
    var isRunning: Bool { get }
    func kill()
    func freeze()
    func resume()
    /// Starts it again on the same port (empty, or for a durable Redis with its data).
    func restart() throws
    /// Every key the node holds.
    func rawKeys() -> [String]
    /// The stored (sealed) value of a key, nil when absent.
    func rawGet(_ key: String) -> [UInt8]?
    /// Overwrites the stored value of a key (tampering tests).
    func rawReplace(_ key: String, _ value: [UInt8]) -> Bool
}

extension MemcachedServer: StoreServer {
    public func rawReplace(_ key: String, _ value: [UInt8]) -> Bool { rawSet(key, value, ttl: 3600) }
}
extension RedisServer: StoreServer {
    public func rawReplace(_ key: String, _ value: [UInt8]) -> Bool { rawSet(key, value) }
}

/// Starts `count` nodes of `backend` (Redis with an fsynced append-only file when `durable`).
public func startStoreServers(_ backend: StoreBackend, count: Int, dir: TempDir, durable: Bool = false) throws -> [any StoreServer] {
    try (0..<count).map { _ -> any StoreServer in
        switch backend {
        case .memcached: try MemcachedServer(dir: dir)
        case .redis: try RedisServer(dir: dir, durable: durable)
        }
    }
}
