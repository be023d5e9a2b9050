/// A binary min-heap of timed events for the simulator. Ties on time are broken by insertion
/// order, so runs are deterministic.
struct EventQueue<Payload: Sendable>: Sendable {
    private struct Item: Sendable {
        var time: Double
        var seq: UInt64
        var payload: Payload
    }

    private var heap: [Item] = []
    private var seq: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    init() { heap.reserveCapacity(1024) }

    mutating func push(_ time: Double, _ payload: Payload) {
        seq &+= 1
        heap.append(Item(time: time, seq: seq, payload: payload))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if less(heap[i], heap[parent]) {
                heap.swapAt(i, parent)
                i = parent
            } else { break }
        }
    }

    mutating func pop() -> (time: Double, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                let r = l + 1
                var m = l
                if r < n, less(heap[r], heap[l]) { m = r }
                if less(heap[m], heap[i]) {
                    heap.swapAt(m, i)
                    i = m
                } else { break }
            }
        }
        return (top.time, top.payload)
    }

    @inline(__always)
    private func less(_ a: Item, _ b: Item) -> Bool {
        a.time < b.time || (a.time == b.time && a.seq < b.seq)
    }
}
