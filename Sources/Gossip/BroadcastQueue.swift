/// memberlist's `TransmitLimitedQueue`: broadcasts are sent at most `limit` times, fewest
/// transmissions first (then larger, then newer), and a newer broadcast about the same
/// node supersedes the older one.
public struct BroadcastQueue: Sendable {
    struct Item: Sendable {
        var key: String?
        var message: [UInt8]
        var transmits: Int
        var id: UInt64
    }

    var items: [Item] = []
    var nextID: UInt64 = 0

    public init() {}

    public var count: Int { items.count }
    public var isEmpty: Bool { items.isEmpty }

    /// Queues a message; a keyed message invalidates queued ones with the same key.
    public mutating func queue(_ message: [UInt8], key: String?) {
        if let key { items.removeAll { $0.key == key } }
        nextID &+= 1
        items.append(Item(key: key, message: message, transmits: 0, id: nextID))
    }

    public mutating func reset() { items.removeAll() }

    /// Takes messages that fit in `limit` bytes (each costing `overhead` extra), counting
    /// one transmission for each and dropping those that reach `transmitLimit`.
    public mutating func take(overhead: Int, limit: Int, transmitLimit: Int) -> [[UInt8]] {
        if items.isEmpty { return [] }
        var order = Array(items.indices)
        order.sort { a, b in
            let x = items[a], y = items[b]
            if x.transmits != y.transmits { return x.transmits < y.transmits }
            if x.message.count != y.message.count { return x.message.count > y.message.count }
            return x.id > y.id
        }
        var used = 0
        var out: [[UInt8]] = []
        var remove: [Int] = []
        for i in order {
            let cost = items[i].message.count + overhead
            if used + cost > limit { continue }
            used += cost
            out.append(items[i].message)
            items[i].transmits += 1
            if items[i].transmits >= transmitLimit { remove.append(i) }
        }
        if !remove.isEmpty {
            for i in remove.sorted(by: >) { items.remove(at: i) }
        }
        return out
    }
}
