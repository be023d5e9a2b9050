import Foundation
import MemcachedStore
import Replication
import StoreShell
import Synchronization
import Testing
import TestSupport

/// The memcached driver's handle pools against a real memcached: more callers at once than a
/// pool has handles is this process's shortage, not the node's failure.
@Suite(.serialized) struct HandlePoolTests {
    /// Before the fix, the caller that found the pool empty got "handle pool exhausted", which the
    /// replication core counts as a node failure: the store probe, a thread the pool sizing left
    /// out, marked every healthy node down whenever all write threads were busy.
    @Test func moreCallersThanHandlesAllGetAnswers() throws {
        let dir = TempDir("handle-pool")
        let server = try MemcachedServer(dir: dir)
        let io = try MemcachedNodeIO(config: MemcachedStoreConfig(nodes: [server.address], replicas: 1), handlesPerNode: 1,
                                     clock: SystemStoreClock())
        let copy = SealedCopy(value: Array(repeating: 7, count: 1024), expiresAt: Record.never,
                              order: RecordOrder(version: 1, isTombstone: false, touchedAt: 0))
        #expect(io.add(copy, key: "k", on: 0) == .ok)
        let failures = Mutex<[String]>([])
        let answered = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<300 {
                switch io.gets([["k"]], on: [0])[0] {
                case .success(let items) where items["k"]?.value == copy.value:
                    answered.wrappingAdd(1, ordering: .relaxed)
                case .success:
                    failures.withLock { $0.append("the copy was missing") }
                case .failure(let failure):
                    failures.withLock { $0.append("\(failure.outcome)") }
                }
            }
        }
        let failed = failures.withLock { $0 }
        #expect(failed.count == 0, "first failures: \(failed.prefix(3))")
        #expect(answered.load(ordering: .relaxed) == 1200)
    }

}
