import Synchronization

/// Connections to ONE Redis node. A thread checks one out for a whole exchange, so a connection
/// is never used by two threads at once; idle ones are kept up to `maxIdle`. A connection that
/// failed is closed, and so are the idle ones (a restarted node left them all with dead sockets).
///
/// Every method may block (connect, AUTH): call only from the store's threads, never from an event loop.
final class RedisConnectionPool: Sendable {
    let address: String
    private let host: String
    private let port: Int
    private let connectTimeoutMs: Int
    private let ioTimeoutMs: Int
    private let password: String?
    private let maxIdle: Int
    /// Idle connections, and a generation that a failure bumps so older connections are not kept.
    private let idle = Mutex<(generation: Int, connections: [(Int, Box)])>((0, []))

    /// A connection owned by the pool while idle (hiredis contexts are not Sendable).
    private final class Box: @unchecked Sendable {
        let connection: RedisConnection
        init(_ c: RedisConnection) { connection = c }
    }

    init(address: RedisAddress, connectTimeoutMs: Int, ioTimeoutMs: Int, password: String?, maxIdle: Int) {
        self.address = "\(address.host):\(address.port)"
        self.host = address.host
        self.port = address.port
        self.connectTimeoutMs = connectTimeoutMs
        self.ioTimeoutMs = ioTimeoutMs
        self.password = password
        self.maxIdle = maxIdle
    }

    /// A lent connection: give it back with `checkin`.
    struct Lease {
        let connection: RedisConnection
        let generation: Int
        /// True when it was opened for this lease (not reused).
        let isFresh: Bool
    }

    /// An idle connection, or a new one.
    func checkout(fresh: Bool = false) -> Result<Lease, RedisIOError> {
        let (generation, reused) = idle.withLock { state -> (Int, Box?) in
            (state.generation, fresh ? nil : state.connections.popLast()?.1)
        }
        if let reused { return .success(Lease(connection: reused.connection, generation: generation, isFresh: false)) }
        return RedisConnection.open(host: host, port: port, connectTimeoutMs: connectTimeoutMs, ioTimeoutMs: ioTimeoutMs,
                                    password: password)
            .map { Lease(connection: $0, generation: generation, isFresh: true) }
    }

    /// Returns a connection after use. A broken one is closed, and the idle ones with it.
    func checkin(_ lease: Lease) {
        let box = Box(lease.connection)
        var dropped = [(Int, Box)]()
        idle.withLock { state in
            if lease.connection.isBroken {
                if lease.generation == state.generation {
                    state.generation += 1
                    dropped = state.connections
                    state.connections = []
                }
            } else if lease.generation == state.generation, state.connections.count < maxIdle {
                state.connections.append((lease.generation, box))
            }
        }
        _ = dropped  // closed here, outside the lock
    }
}
