/// A binary min-heap of timed events for the simulators. Ties on time are broken by insertion
/// order, so runs are deterministic: the pop order depends only on (time, insertion order).
public struct EventQueue<Time: Comparable & Sendable, Payload: Sendable>: Sendable {
    @usableFromInline
    struct Item: Sendable {
        @usableFromInline var time: Time
        @usableFromInline var seq: UInt64
        @usableFromInline var payload: Payload

        @inlinable init(time: Time, seq: UInt64, payload: Payload) {
            self.time = time
            self.seq = seq
            self.payload = payload
        }
    }

    @usableFromInline var heap: [Item] = []
    @usableFromInline var seq: UInt64 = 0

    @inlinable public var isEmpty: Bool { heap.isEmpty }
    @inlinable public var count: Int { heap.count }

    @inlinable public init() { heap.reserveCapacity(1024) }

    @inlinable public mutating func push(_ time: Time, _ payload: Payload) {
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

    @inlinable public mutating func pop() -> (time: Time, payload: Payload)? {
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

    @inlinable @inline(__always)
    func less(_ a: Item, _ b: Item) -> Bool {
        a.time < b.time || (a.time == b.time && a.seq < b.seq)
    }
}
