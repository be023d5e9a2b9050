import MemcacheProtocol
import MemcachedStore
import NIOCore
import NIOPosix
import Replication
import StoreShell
import Synchronization

/// `LoopNodeReads` over memcached's text protocol: each event loop keeps one connection per node
/// (`NodeConnection`), opened on first use, and sends each batch's multi-key `gets` on it,
/// pipelined; memcached answers in order. No call blocks, so it runs on the loop itself.
///
/// Only reads take this path. Writes, repairs and any read the fast path cannot decide stay on
/// libmemcached, on the store's threads (`MemcachedNodeIO`).
public final class MemcachedLoopReads: LoopNodeReads {
    let nodes: [NodeAddress]
    let ioTimeout: TimeAmount
    let connectTimeout: TimeAmount
    let maxValueLength: Int
    private let perLoop = Mutex<[ObjectIdentifier: NIOLoopBound<LoopConnections>]>([:])

    struct NodeAddress: Sendable {
        var host: String
        var port: Int
    }

    /// - Parameters:
    ///   - ioTimeoutMs: a node that has not answered a `gets` within this is "timed out" (as
    ///     libmemcached's poll timeout); its connection is closed and opened again on next use.
    ///   - maxValueLength: the largest copy accepted from a node; above it the connection is closed.
    public init(config: MemcachedStoreConfig, maxValueLength: Int = 64 << 20 + 64 << 10) {
        self.nodes = config.nodes.map { node in
            let address = MemcachedAddress(node)!
            return NodeAddress(host: address.host, port: address.port)
        }
        self.ioTimeout = .milliseconds(Int64(config.pollTimeoutMs))
        self.connectTimeout = .milliseconds(Int64(config.connectTimeoutMs))
        self.maxValueLength = maxValueLength
    }

    public func gets(_ keys: [[String]], on nodes: [Int], loop: any EventLoop,
                     done: @escaping ([Result<[String: StoredItem], NodeFailure>]) -> Void) {
        let connections = self.connections(for: loop)
        let gathered = Gathered(count: nodes.count, done: done)
        for (i, node) in nodes.enumerated() {
            connections.connection(to: node).send(keys[i]) { gathered.set(i, $0) }
        }
    }

    /// Closes every connection of every loop (on its loop).
    public func shutdown() {
        let all = perLoop.withLock { all in
            defer { all.removeAll() }
            return Array(all.values)
        }
        for connections in all {
            connections.eventLoop.execute { connections.value.closeAll() }
        }
    }

    private func connections(for loop: any EventLoop) -> LoopConnections {
        perLoop.withLock { all in
            if let found = all[ObjectIdentifier(loop)] { return found }
            let made = NIOLoopBound(LoopConnections(loop: loop, reads: self), eventLoop: loop)
            all[ObjectIdentifier(loop)] = made
            return made
        }.value
    }
}

/// One loop's connections, one per node, made on first use. Loop-confined.
final class LoopConnections {
    let loop: any EventLoop
    private unowned let reads: MemcachedLoopReads
    private var connections: [Int: NodeConnection] = [:]

    init(loop: any EventLoop, reads: MemcachedLoopReads) {
        self.loop = loop
        self.reads = reads
    }

    func connection(to node: Int) -> NodeConnection {
        if let found = connections[node] { return found }
        let address = reads.nodes[node]
        let made = NodeConnection(loop: loop, host: address.host, port: address.port, ioTimeout: reads.ioTimeout,
                                  connectTimeout: reads.connectTimeout, maxValueLength: reads.maxValueLength)
        connections[node] = made
        return made
    }

    func closeAll() {
        for connection in connections.values { connection.close() }
    }
}

/// The answers of one batch's nodes as they arrive; `done` once all are in. Loop-confined.
private final class Gathered {
    private var results: [Result<[String: StoredItem], NodeFailure>?]
    private var left: Int
    private let done: ([Result<[String: StoredItem], NodeFailure>]) -> Void

    init(count: Int, done: @escaping ([Result<[String: StoredItem], NodeFailure>]) -> Void) {
        results = Array(repeating: nil, count: count)
        left = count
        self.done = done
    }

    func set(_ i: Int, _ result: Result<[String: StoredItem], NodeFailure>) {
        results[i] = result
        left -= 1
        if left == 0 { done(results.map { $0! }) }
    }
}
