import Foundation
import SessionCore
import Synchronization
import Testing
@testable import StoreShell

@Suite struct ReadCoalescerTests {
    /// A slow processor: while one batch is in flight the next reads queue up and go out together.
    @Test func concurrentReadsAreBatchedAndEachGetsItsOwnReply() async {
        let batches = Mutex<[Int]>([])
        let started = StartedCount()
        let coalescer = ReadCoalescer<String>(maxBatch: 8, stoppedReply: "stopped")
        let announced = Atomic<Int>(0)
        coalescer.start(threads: 1, onBatch: { announced.add(1, ordering: .relaxed) }) { keys in
            let first = batches.withLock { b in b.append(keys.count); return b.count == 1 }
            if first {  // hold the first batch until every reader has started (bounded: 2 s)
                for _ in 0..<200 where started.value.load(ordering: .relaxed) < 40 { usleep(10_000) }
                usleep(20_000)
            }
            return keys.map { "value of \($0)" }
        }
        let replies = await withTaskGroup(of: (Int, String).self) { group in
            for i in 0..<40 {
                group.addTask {
                    started.value.add(1, ordering: .relaxed)
                    return (i, await coalescer.read("k\(i % 25)"))
                }
            }
            var all = [(Int, String)]()
            for await r in group { all.append(r) }
            return all
        }
        coalescer.stop()
        #expect(replies.count == 40)
        for (i, reply) in replies { #expect(reply == "value of k\(i % 25)") }
        let sizes = batches.withLock { $0 }
        #expect(sizes.reduce(0, +) == 40)
        #expect(sizes.allSatisfy { $0 <= 8 })
        #expect(sizes.count <= 6, "reads queued behind a slow batch go out 8 at a time: \(sizes)")
        #expect(announced.load(ordering: .relaxed) == sizes.count, "onBatch runs once per batch (the metrics' batch count)")
    }

    @Test func readsAfterStopGetTheStoppedReply() async {
        let coalescer = ReadCoalescer<String>(maxBatch: 4, stoppedReply: "stopped")
        coalescer.start(threads: 2) { keys in keys }
        #expect(await coalescer.read("a") == "a")
        coalescer.stop()
        coalescer.stop()  // idempotent
        #expect(await coalescer.read("b") == "stopped")
    }
}

private final class StartedCount: Sendable {
    let value = Atomic<Int>(0)
}

@Suite(.serialized) struct BatchedReadTests {
    /// Many concurrent reads, with repeats, through the coalesced multi-key `gets`: every read
    /// returns its own session, and a repeated key in one batch is served to each reader.
    @Test func concurrentReadsOfManySessionsReturnEachItsOwnData() async throws {
        let cluster = try StoreCluster()
        var ids = [SessionID]()
        for i in 0..<50 { ids.append(try await cluster.manager.create(data: counterData(i)).id) }
        let ids2 = ids
        let results = await withTaskGroup(of: (Int, Int?).self) { group in
            for r in 0..<300 {
                group.addTask {
                    let i = (r * 7) % 50
                    return (i, (try? await cluster.manager.read(ids2[i])).map(counter))
                }
            }
            var all = [(Int, Int?)]()
            for await x in group { all.append(x) }
            return all
        }
        #expect(results.count == 300)
        for (i, value) in results { #expect(value == i) }
        // A read of an id that was never created is a miss, not someone else's session.
        await #expect(throws: SessionError.notFound) { try await cluster.manager.read(SessionID.random()) }
    }
}
