/// Load-report dissemination: every gossip packet carries a digest of the freshest load
/// reports this node knows (its own first), as one memberlist user message.
///
/// Design: a node must learn N reports per freshness period, so reports are batched: each
/// report version is forwarded a bounded number of times, least-forwarded first and newest
/// first among equals, so bandwidth goes to news. A newer version (higher seq) of the same
/// origin supersedes the older one and starts again at zero forwards.
///
/// Wire (memberlist user-message payload, opaque to memberlist):
/// `[0x4C 'L'][version 1][count u8] count × ([nameLen u8][name][seq u32 BE][payloadLen u8][payload])`.
/// A stock serf agent logs "unknown message type 76" for it and drops it; disable load
/// gossip (`GossipConfig.load = nil`) in meshes where that matters.
public enum LoadDigest {
    public static let messageType: UInt8 = 0x4C
    public static let version: UInt8 = 1
    public static let maxPayload = 255

    public struct Entry: Sendable, Equatable {
        public var origin: String
        public var seq: UInt32
        public var payload: [UInt8]
        public init(origin: String, seq: UInt32, payload: [UInt8]) {
            self.origin = origin; self.seq = seq; self.payload = payload
        }
        public var encodedSize: Int { 1 + min(origin.utf8.count, 255) + 4 + 1 + min(payload.count, 255) }
    }

    public enum Error: Swift.Error, Sendable, Equatable {
        case notADigest
        case badVersion(UInt8)
        case truncated
    }

    public static func encode(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = [messageType, version, UInt8(min(entries.count, 255))]
        for e in entries.prefix(255) { append(e, to: &out) }
        return out
    }

    static func append(_ e: Entry, to out: inout [UInt8]) {
        let name = Array(e.origin.utf8.prefix(255))
        out.append(UInt8(name.count)); out.append(contentsOf: name)
        out.append(UInt8(e.seq >> 24)); out.append(UInt8((e.seq >> 16) & 0xff))
        out.append(UInt8((e.seq >> 8) & 0xff)); out.append(UInt8(e.seq & 0xff))
        let p = e.payload.prefix(255)
        out.append(UInt8(p.count)); out.append(contentsOf: p)
    }

    public static func decode(_ b: [UInt8]) throws(LoadDigest.Error) -> [Entry] {
        guard b.count >= 3, b[0] == messageType else { throw .notADigest }
        guard b[1] == version else { throw .badVersion(b[1]) }
        let count = Int(b[2])
        var out: [Entry] = []
        out.reserveCapacity(min(count, b.count / 7))
        var i = 3
        for _ in 0..<count {
            guard i < b.count else { throw .truncated }
            let nl = Int(b[i]); i += 1
            guard b.count - i >= nl + 5 else { throw .truncated }
            let name = String(decoding: b[i..<(i + nl)], as: UTF8.self); i += nl
            let seq = UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]); i += 4
            let pl = Int(b[i]); i += 1
            guard b.count - i >= pl else { throw .truncated }
            out.append(Entry(origin: name, seq: seq, payload: Array(b[i..<(i + pl)]))); i += pl
        }
        return out
    }
}

/// The latest known report per origin, plus the forwarding schedule.
///
/// Stored as parallel arrays (struct of arrays) with an open-addressing name index
/// (fingerprint + index per slot, names in one byte arena): the hot receive path — mostly
/// duplicates of versions already held — touches a few small arrays and allocates nothing.
public struct LoadTable: Sendable {
    public struct Record: Sendable, Equatable {
        public var origin: String
        public var seq: UInt32
        public var payload: [UInt8]
        /// When this version arrived (nanoseconds, the node's clock).
        public var receivedAt: Int64
        /// Times this node forwarded this version.
        public var transmits: Int
    }

    var origins: [String] = []
    var seqs: [UInt32] = []
    var received: [Int64] = []
    /// Forwards of the current version; `Int32.max` marks a removed origin.
    var transmits: [Int32] = []
    var nameStart: [Int32] = []
    var nameLen: [Int32] = []
    /// Each entry as it goes on the wire: `[nameLen][name][seq u32][payloadLen][payload]`.
    var encoded: [[UInt8]] = []
    var nameArena: [UInt8] = []
    /// fingerprint << 32 | (index + 1); 0 = empty.
    var slots: [UInt64] = Array(repeating: 0, count: 64)
    /// buckets[t] = stack of (record index, seq) with t forwards; stale pairs are skipped lazily.
    var buckets: [[(Int32, UInt32)]] = []

    public init() {}

    public var count: Int { seqs.count }

    public func record(at i: Int) -> Record {
        let nl = Int(nameLen[i])
        return Record(origin: origins[i], seq: seqs[i], payload: Array(encoded[i][(nl + 6)...]),
                      receivedAt: received[i], transmits: transmits[i] == Int32.max ? Int.max : Int(transmits[i]))
    }

    /// All records (allocates; for views and tests).
    public var records: [Record] { (0..<count).map(record(at:)) }

    public subscript(origin: String) -> Record? {
        guard let i = find(Array(origin.utf8)[...]) else { return nil }
        return record(at: i)
    }

    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 32
        return h &* 0x9E37_79B9_7F4A_7C15
    }

    func find(_ name: ArraySlice<UInt8>) -> Int? {
        name.withUnsafeBufferPointer { nb -> Int? in
            let h = LoadTable.hash(nb)
            let fp = h >> 32
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: (h >> 7) & UInt64(mask))
            return slots.withUnsafeBufferPointer { sl -> Int? in
                nameArena.withUnsafeBufferPointer { ab -> Int? in
                    while true {
                        let s = sl[i]
                        if s == 0 { return nil }
                        if s >> 32 == fp {
                            let idx = Int(s & 0xffff_ffff) - 1
                            if Int(nameLen[idx]) == nb.count {
                                let st = Int(nameStart[idx])
                                var same = true
                                for k in 0..<nb.count where ab[st + k] != nb[k] { same = false; break }
                                if same { return idx }
                            }
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    mutating func insertSlot(_ idx: Int) {
        if (count + 1) * 2 > slots.count {
            slots = Array(repeating: 0, count: slots.count * 2)
            for r in 0..<idx { placeSlot(r) }
        }
        placeSlot(idx)
    }

    mutating func placeSlot(_ idx: Int) {
        let st = Int(nameStart[idx]), len = Int(nameLen[idx])
        let h = nameArena[st..<(st + len)].withUnsafeBufferPointer { LoadTable.hash($0) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: (h >> 7) & UInt64(mask))
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = (h >> 32) << 32 | UInt64(idx + 1)
    }

    static func encodeEntry(name: ArraySlice<UInt8>, seq: UInt32, payload: ArraySlice<UInt8>) -> [UInt8] {
        let p = payload.prefix(255)
        var out: [UInt8] = []
        out.reserveCapacity(name.count + p.count + 6)
        out.append(UInt8(name.count)); out.append(contentsOf: name)
        out.append(UInt8(seq >> 24)); out.append(UInt8((seq >> 16) & 0xff))
        out.append(UInt8((seq >> 8) & 0xff)); out.append(UInt8(seq & 0xff))
        out.append(UInt8(p.count)); out.append(contentsOf: p)
        return out
    }

    /// Stores a report if it is newer than what we have. Returns true if stored.
    @discardableResult
    public mutating func update(origin: String, seq: UInt32, payload: [UInt8], now: Int64) -> Bool {
        let name = Array(origin.utf8.prefix(255))
        return update(name: name[...], seq: seq, payload: payload[...], now: now) != nil
    }

    /// Returns the record index if stored.
    mutating func update(name: ArraySlice<UInt8>, seq: UInt32, payload: ArraySlice<UInt8>, now: Int64) -> Int? {
        guard name.count <= 255 else { return nil }
        if let i = find(name) {
            let d = Int32(bitPattern: seq &- seqs[i])
            guard d > 0, transmits[i] != Int32.max else { return nil }
            seqs[i] = seq
            received[i] = now
            transmits[i] = 0
            let nl = Int(nameLen[i])
            let pl = min(payload.count, 255)
            if encoded[i].count == nl + 6 + pl {
                // Same size: overwrite in place (no allocation).
                encoded[i].withUnsafeMutableBufferPointer { e in
                    e[nl + 1] = UInt8(seq >> 24); e[nl + 2] = UInt8((seq >> 16) & 0xff)
                    e[nl + 3] = UInt8((seq >> 8) & 0xff); e[nl + 4] = UInt8(seq & 0xff)
                    var k = nl + 6
                    for b in payload.prefix(255) { e[k] = b; k += 1 }
                }
            } else {
                encoded[i] = LoadTable.encodeEntry(name: name, seq: seq, payload: payload)
            }
            push(i, seq, bucket: 0)
            return i
        }
        let i = count
        origins.append(String(decoding: name, as: UTF8.self))
        seqs.append(seq)
        received.append(now)
        transmits.append(0)
        nameStart.append(Int32(nameArena.count))
        nameLen.append(Int32(name.count))
        nameArena.append(contentsOf: name)
        encoded.append(LoadTable.encodeEntry(name: name, seq: seq, payload: payload))
        insertSlot(i)
        push(i, seq, bucket: 0)
        return i
    }

    public mutating func remove(origin: String) {
        // Keep indices stable: mark the record so it is never forwarded or updated again.
        if let i = find(Array(origin.utf8)[...]) { transmits[i] = Int32.max }
    }

    mutating func push(_ i: Int, _ seq: UInt32, bucket: Int) {
        while buckets.count <= bucket { buckets.append([]) }
        buckets[bucket].append((Int32(i), seq))
    }

    /// Ingests a received digest. Appends the indices of records that got newer.
    mutating func ingest(_ b: [UInt8], now: Int64, skip: ArraySlice<UInt8>, updated: inout [Int]) throws(LoadDigest.Error) {
        guard b.count >= 3, b[0] == LoadDigest.messageType else { throw .notADigest }
        guard b[1] == LoadDigest.version else { throw .badVersion(b[1]) }
        let n = Int(b[2])
        var i = 3
        for _ in 0..<n {
            guard i < b.count else { throw .truncated }
            let nl = Int(b[i]); i += 1
            guard b.count - i >= nl + 5 else { throw .truncated }
            let name = b[i..<(i + nl)]; i += nl
            let seq = UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]); i += 4
            let pl = Int(b[i]); i += 1
            guard b.count - i >= pl else { throw .truncated }
            let payload = b[i..<(i + pl)]; i += pl
            if name.count == skip.count && name.elementsEqual(skip) { continue }
            if let idx = update(name: name, seq: seq, payload: payload, now: now) { updated.append(idx) }
        }
    }

    /// Appends up to `budget` bytes of entries to `out` (skipping `exclude`), least-forwarded
    /// and newest first, counting one forward for each; entries stop after `maxTransmits`.
    /// Returns how many entries were appended.
    mutating func take(into out: inout [UInt8], budget: Int, maxEntries: Int, maxTransmits: Int, exclude: Int?) -> Int {
        var used = 0
        var n = 0
        var deferred: [(Int32, UInt32, Int)] = []
        var b = 0
        outer: while b < buckets.count && b < maxTransmits {
            while let (i, seq) = buckets[b].last {
                let ri = Int(i)
                if seqs[ri] != seq || Int(transmits[ri]) != b || ri == exclude {
                    buckets[b].removeLast()
                    continue
                }
                let size = encoded[ri].count
                if used + size > budget || n >= maxEntries { break outer }
                buckets[b].removeLast()
                used += size
                n += 1
                out.append(contentsOf: encoded[ri])
                transmits[ri] = Int32(b + 1)
                deferred.append((i, seq, b + 1))
            }
            b += 1
        }
        for (i, seq, nb) in deferred where nb < maxTransmits { push(Int(i), seq, bucket: nb) }
        // Keep stale stacks from growing without bound.
        for j in buckets.indices where buckets[j].count > 4 * max(count, 16) {
            buckets[j] = buckets[j].filter { seqs[Int($0.0)] == $0.1 && Int(transmits[Int($0.0)]) == j }
        }
        return n
    }

    /// The public, allocating variant (tests, tools).
    public mutating func take(budget: Int, maxTransmits: Int, exclude: String) -> [LoadDigest.Entry] {
        var buf: [UInt8] = [LoadDigest.messageType, LoadDigest.version, 0]
        let ex = find(Array(exclude.utf8)[...])
        let n = take(into: &buf, budget: budget - 3, maxEntries: 255, maxTransmits: maxTransmits, exclude: ex)
        buf[2] = UInt8(n)
        return (try? LoadDigest.decode(buf)) ?? []
    }
}
