import SeededRandom
import SimulationSupport
import Testing

@Suite struct EventQueueTests {
    @Test func popsInTimeOrderAndTiesInInsertionOrder() {
        var q = EventQueue<Int64, String>()
        q.push(30, "c")
        q.push(10, "a1")
        q.push(20, "b")
        q.push(10, "a2")
        q.push(10, "a3")
        #expect(q.count == 5)
        var out: [String] = []
        while let e = q.pop() { out.append("\(e.time):\(e.payload)") }
        #expect(out == ["10:a1", "10:a2", "10:a3", "20:b", "30:c"])
        #expect(q.isEmpty)
        #expect(q.pop() == nil)
    }

    @Test func matchesAStableSortOfRandomPushesInterleavedWithPops() {
        var rng = SeededGenerator(seed: 11)
        var q = EventQueue<Double, Int>()
        var reference: [(time: Double, id: Int)] = []  // kept in pop order: by time, then push order
        var popped: [Int] = [], expected: [Int] = []
        for id in 0..<5000 {
            // Coarse times, so many ties.
            let t = Double(rng.nextIndex(200)) / 4
            q.push(t, id)
            let at = reference.firstIndex { $0.time > t } ?? reference.count
            reference.insert((t, id), at: at)
            if rng.nextIndex(3) == 0, let e = q.pop() {
                popped.append(e.payload)
                expected.append(reference.removeFirst().id)
            }
        }
        while let e = q.pop() { popped.append(e.payload) }
        expected += reference.map(\.id)
        #expect(popped == expected)
    }
}
