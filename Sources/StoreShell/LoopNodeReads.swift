import NIOCore
import Replication

/// Reads from the store's nodes without blocking, on an event loop: one multi-key `gets` per node
/// over the loop's own connections. The store's read fast path (`LoopReadBatcher`) uses it so a
/// read never leaves its event loop; everything else (writes, repairs, reads that need more than
/// one round trip) stays on the store's blocking threads.
public protocol LoopNodeReads: Sendable {
    /// Sends `keys[i]` to `nodes[i]` as one multi-key `gets` each. Call on `loop`. `done` runs on
    /// `loop`, never inline, once with one result per node: its items, or why it did not answer
    /// within the node's I/O deadline.
    func gets(_ keys: [[String]], on nodes: [Int], loop: any EventLoop,
              done: @escaping ([Result<[String: StoredItem], NodeFailure>]) -> Void)

    /// Closes the connections; a later `gets` opens them again.
    func shutdown()
}
