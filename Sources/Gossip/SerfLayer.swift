/// serf 0.9.4's layer on top of memberlist, as far as interop needs: tags in Meta, the
/// leave / join intents carried as memberlist user messages, and Lamport clocks.

/// serf message types (first byte of a memberlist user message payload).
public enum SerfMessageType: UInt8, Sendable {
    case leave = 0
    case join = 1
    case pushPull = 2
    case userEvent = 3
    case query = 4
    case queryResponse = 5
    case conflictResponse = 6
    case keyRequest = 7
    case keyResponse = 8
    case relay = 9
}

/// serf tags encoding: `0xFF` + msgpack `map[string]string`, at most 512 bytes in total.
public enum SerfTags {
    public static let metaMaxSize = 512

    public enum Error: Swift.Error, Sendable, Equatable {
        case tooLarge(Int)
    }

    /// Encodes tags with keys sorted (Go emits random map order; any order decodes).
    public static func encode(_ tags: [String: String]) throws(SerfTags.Error) -> [UInt8] {
        var w = MsgPackWriter(prefix: [0xFF])
        w.writeMapHeader(tags.count)
        for k in tags.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            w.writeString(k)
            w.writeString(tags[k] ?? "")
        }
        guard w.bytes.count <= metaMaxSize else { throw .tooLarge(w.bytes.count) }
        return w.bytes
    }

    /// serf's decoder: empty Meta or a first byte ≠ 0xFF becomes `["role": meta-as-string]`.
    /// Malformed tag maps decode to nil.
    public static func decode(_ meta: [UInt8]?) -> [String: String]? {
        guard let meta, let first = meta.first, first == 0xFF else {
            return ["role": String(decoding: meta ?? [], as: UTF8.self)]
        }
        var r = MsgPackReader(meta, offset: 1, limits: MsgPackLimits(maxDepth: 2, maxContainerElements: 512, maxTotalElements: 2048))
        do {
            let n = try r.readMapHeader()
            var out: [String: String] = [:]
            for _ in 0..<n {
                let k = try r.readString(field: "key")
                let v = try r.readString(field: "value")
                out[k] = v
            }
            return out
        } catch {
            return nil
        }
    }
}

/// serf's Lamport clock.
public struct LamportClock: Sendable, Equatable {
    public private(set) var time: UInt64 = 0
    public init(time: UInt64 = 0) { self.time = time }
    /// Returns the current time and advances.
    public mutating func increment() -> UInt64 {
        time &+= 1
        return time
    }
    /// Witnessing a remote time moves the clock past it.
    public mutating func witness(_ v: UInt64) {
        if v >= time { time = v &+ 1 }
    }
}

/// serf `messageLeave` `{LTime, Node, Prune}` (serf type 0).
public struct SerfLeaveIntent: Sendable, Equatable {
    public var lTime: UInt64
    public var node: String
    public var prune: Bool
    public init(lTime: UInt64, node: String, prune: Bool = false) { self.lTime = lTime; self.node = node; self.prune = prune }

    /// The memberlist user-message payload: `[0x00] msgpack`.
    public func encoded() -> [UInt8] {
        var w = MsgPackWriter(prefix: [SerfMessageType.leave.rawValue])
        w.writeMapHeader(3)
        w.writeKey("LTime"); w.writeUInt(lTime)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Prune"); w.writeBool(prune)
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws(MsgPackError) -> SerfLeaveIntent {
        guard payload.first == SerfMessageType.leave.rawValue else { throw .typeMismatch(field: "type", expected: "serf leave") }
        var r = MsgPackReader(payload, offset: 1)
        var m = SerfLeaveIntent(lTime: 0, node: "")
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "LTime": m.lTime = try r.readUInt(field: "LTime", max: UInt64.max)
            case "Node": m.node = try r.readString(field: "Node")
            case "Prune": m.prune = try r.readBool(field: "Prune")
            default: try r.skipValue()
            }
        }
        return m
    }
}

/// serf `messageJoin` `{LTime, Node}` (serf type 1).
public struct SerfJoinIntent: Sendable, Equatable {
    public var lTime: UInt64
    public var node: String
    public init(lTime: UInt64, node: String) { self.lTime = lTime; self.node = node }

    public func encoded() -> [UInt8] {
        var w = MsgPackWriter(prefix: [SerfMessageType.join.rawValue])
        w.writeMapHeader(2)
        w.writeKey("LTime"); w.writeUInt(lTime)
        w.writeKey("Node"); w.writeString(node)
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws(MsgPackError) -> SerfJoinIntent {
        guard payload.first == SerfMessageType.join.rawValue else { throw .typeMismatch(field: "type", expected: "serf join") }
        var r = MsgPackReader(payload, offset: 1)
        var m = SerfJoinIntent(lTime: 0, node: "")
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "LTime": m.lTime = try r.readUInt(field: "LTime", max: UInt64.max)
            case "Node": m.node = try r.readString(field: "Node")
            default: try r.skipValue()
            }
        }
        return m
    }
}
