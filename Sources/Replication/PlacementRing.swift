/// A consistent-hash ring over the memcached nodes (ketama style: `pointsPerNode` virtual points
/// per node), owned by the sidecar rather than libmemcached so that replica placement is known.
///
/// `preferenceList` walks clockwise from the key's point and returns the first `count` distinct
/// live nodes. A dead node is skipped, so its copies go to the next live node on the ring, and
/// adding or removing a node moves only about 1/N of the keys.
public struct PlacementRing: Sendable {
    public let nodeCount: Int
    private let points: [(hash: UInt64, node: Int)]

    public init(nodes: [String], pointsPerNode: Int = 160) {
        nodeCount = nodes.count
        var points = [(hash: UInt64, node: Int)]()
        points.reserveCapacity(nodes.count * pointsPerNode)
        for (index, name) in nodes.enumerated() {
            for i in 0..<pointsPerNode {
                points.append((Self.hash(Array("\(name)#\(i)".utf8)), index))
            }
        }
        // Ties (astronomically rare) are broken by node index so every sidecar builds the same ring.
        self.points = points.sorted { $0.hash != $1.hash ? $0.hash < $1.hash : $0.node < $1.node }
    }

    /// The first `count` distinct nodes clockwise from `key`'s point for which `isLive` holds.
    public func preferenceList(for key: String, count: Int, isLive: (Int) -> Bool = { _ in true }) -> [Int] {
        guard !points.isEmpty, count > 0 else { return [] }
        let h = Self.hash(Array(key.utf8))
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].hash < h { lo = mid + 1 } else { hi = mid }
        }
        var result = [Int]()
        result.reserveCapacity(count)
        var seen = [Bool](repeating: false, count: nodeCount)
        var visited = 0
        var i = lo
        while visited < points.count, result.count < count {
            let node = points[i == points.count ? 0 : i].node
            i = (i == points.count ? 0 : i) + 1
            visited += 1
            if seen[node] { continue }
            seen[node] = true
            if isLive(node) { result.append(node) }
        }
        return result
    }

    /// 64-bit FNV-1a followed by a murmur-style finalizer for good spread of short keys.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        h ^= h >> 33; h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33; h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
