import NIOCore
import Replication

/// The store's read fast path on one event loop: reads asked for while the loop handles one batch
/// of I/O are planned together (`ReplicaDriver.planReadBatch`), sent as one multi-key `gets` per
/// node over the loop's own connections (`LoopNodeReads`), and decided on the loop when the
/// answers come back (`finishReadBatch`: open the copies, resolve, compare with the versions seen).
/// No thread is woken and nothing blocks. A key the fast path cannot decide (a node failed, timed
/// out or was down, copies conflict) is read again on the store's read threads, by the same rules
/// as before (`ReplicaDriver.read`).
///
/// Loop-confined: every method runs on `loop`.
final class LoopReadBatcher {
    typealias Reply = Result<ReplicaDriver.ReadOutcome, StoreUnavailable>

    private let loop: any EventLoop
    private let driver: ReplicaDriver
    private let nodeReads: any LoopNodeReads
    private let slowRead: (String, @escaping @Sendable (Reply) -> Void) -> Void
    private let maxBatch: Int
    private var keys = [String]()
    private var waiters = [(Reply) -> Void]()

    init(loop: any EventLoop, driver: ReplicaDriver, nodeReads: any LoopNodeReads, maxBatch: Int,
         slowRead: @escaping (String, @escaping @Sendable (Reply) -> Void) -> Void) {
        self.loop = loop
        self.driver = driver
        self.nodeReads = nodeReads
        self.maxBatch = maxBatch
        self.slowRead = slowRead
    }

    /// Queues a read; `deliver` runs on the loop (or on a read thread, for a key read again there).
    func read(_ key: String, deliver: @escaping (Reply) -> Void) {
        loop.preconditionInEventLoop()
        keys.append(key)
        waiters.append(deliver)
        if keys.count == 1 {
            // After the I/O the loop is handling now, so every read it asks for joins this batch.
            let this = NIOLoopBound(self, eventLoop: loop)
            loop.execute { this.value.flush() }
        } else if keys.count >= maxBatch {
            flush()
        }
    }

    private func flush() {
        guard !keys.isEmpty else { return }
        let batch = keys, delivering = waiters
        keys.removeAll(keepingCapacity: true)
        waiters.removeAll(keepingCapacity: true)
        let plan = driver.planReadBatch(batch)
        guard !plan.nodes.isEmpty else {
            finish(plan, answers: [], delivering: delivering)
            return
        }
        nodeReads.gets(plan.keysOfNode, on: plan.nodes, loop: loop) { [self] answers in
            finish(plan, answers: answers, delivering: delivering)
        }
    }

    private func finish(_ plan: ReadBatchPlan, answers: [Result<[String: StoredItem], NodeFailure>], delivering: [(Reply) -> Void]) {
        for (i, result) in driver.finishReadBatch(plan, answers: answers).enumerated() {
            if let result {
                delivering[i](result)
            } else {
                let deliver = NIOLoopBound(delivering[i], eventLoop: loop)
                let loop = self.loop
                slowRead(plan.keys[i]) { reply in loop.execute { deliver.value(reply) } }
            }
        }
    }
}
