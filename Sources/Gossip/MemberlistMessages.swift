/// memberlist 0.2.2 message bodies as value types, with msgpack encode/decode that match
/// go-msgpack 0.5.5 (keys = Go field names, sorted by byte order; omitempty where Go has it).

/// The first byte of every memberlist message.
public enum MessageType: UInt8, Sendable {
    case ping = 0
    case indirectPing = 1
    case ackResp = 2
    case suspect = 3
    case alive = 4
    case dead = 5
    case pushPull = 6
    case compound = 7
    case user = 8
    case compress = 9
    case encrypt = 10
    case nackResp = 11
    case hasCrc = 12
    case err = 13
}

/// An IP (4 or 16 bytes) and port.
public struct GossipAddress: Hashable, Sendable, CustomStringConvertible {
    public var ip: [UInt8]
    public var port: UInt16
    public init(ip: [UInt8], port: UInt16) {
        self.ip = ip
        self.port = port
    }
    public var description: String {
        if ip.count == 4 { return "\(ip[0]).\(ip[1]).\(ip[2]).\(ip[3]):\(port)" }
        var parts: [String] = []
        var i = 0
        while i + 1 < ip.count {
            parts.append(String(UInt16(ip[i]) << 8 | UInt16(ip[i + 1]), radix: 16))
            i += 2
        }
        return "[\(parts.joined(separator: ":"))]:\(port)"
    }
}

/// The 6-byte version vector `[pmin, pmax, pcur, dmin, dmax, dcur]`.
public struct VersionVector: Hashable, Sendable {
    public var pMin, pMax, pCur, dMin, dMax, dCur: UInt8
    public init(_ b: [UInt8]) {
        pMin = b.count > 0 ? b[0] : 0; pMax = b.count > 1 ? b[1] : 0; pCur = b.count > 2 ? b[2] : 0
        dMin = b.count > 3 ? b[3] : 0; dMax = b.count > 4 ? b[4] : 0; dCur = b.count > 5 ? b[5] : 0
    }
    public var bytes: [UInt8] { [pMin, pMax, pCur, dMin, dMax, dCur] }
    /// What every Debian serf 0.9.4 agent sends. Anything else can break push/pull
    /// cluster-wide (memberlist-wire.md §7).
    public static let serf094 = VersionVector([1, 5, 2, 2, 5, 5])
}

public struct PingMessage: Sendable, Equatable {
    public var seqNo: UInt32
    public var node: String
    public var sourceAddr: [UInt8]?
    public var sourcePort: UInt16
    public var sourceNode: String
    public init(seqNo: UInt32, node: String, sourceAddr: [UInt8]? = nil, sourcePort: UInt16 = 0, sourceNode: String = "") {
        self.seqNo = seqNo; self.node = node; self.sourceAddr = sourceAddr; self.sourcePort = sourcePort; self.sourceNode = sourceNode
    }
}

public struct IndirectPingMessage: Sendable, Equatable {
    public var seqNo: UInt32
    public var target: [UInt8]?
    public var port: UInt16
    public var node: String
    public var nack: Bool
    public var sourceAddr: [UInt8]?
    public var sourcePort: UInt16
    public var sourceNode: String
    public init(seqNo: UInt32, target: [UInt8]?, port: UInt16, node: String, nack: Bool,
                sourceAddr: [UInt8]? = nil, sourcePort: UInt16 = 0, sourceNode: String = "") {
        self.seqNo = seqNo; self.target = target; self.port = port; self.node = node; self.nack = nack
        self.sourceAddr = sourceAddr; self.sourcePort = sourcePort; self.sourceNode = sourceNode
    }
}

public struct AckRespMessage: Sendable, Equatable {
    public var seqNo: UInt32
    public var payload: [UInt8]?
    public init(seqNo: UInt32, payload: [UInt8]? = nil) { self.seqNo = seqNo; self.payload = payload }
}

public struct NackRespMessage: Sendable, Equatable {
    public var seqNo: UInt32
    public init(seqNo: UInt32) { self.seqNo = seqNo }
}

public struct ErrRespMessage: Sendable, Equatable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// suspect (3) and dead (5) share this shape.
public struct SuspectMessage: Sendable, Equatable {
    public var incarnation: UInt32
    public var node: String
    public var from: String
    public init(incarnation: UInt32, node: String, from: String) { self.incarnation = incarnation; self.node = node; self.from = from }
}

public typealias DeadMessage = SuspectMessage

public struct AliveMessage: Sendable, Equatable {
    public var incarnation: UInt32
    public var node: String
    public var addr: [UInt8]?
    public var port: UInt16
    public var meta: [UInt8]?
    public var vsn: [UInt8]?
    public init(incarnation: UInt32, node: String, addr: [UInt8]?, port: UInt16, meta: [UInt8]?, vsn: [UInt8]?) {
        self.incarnation = incarnation; self.node = node; self.addr = addr; self.port = port; self.meta = meta; self.vsn = vsn
    }
}

public struct PushPullHeader: Sendable, Equatable {
    public var nodes: Int
    public var userStateLen: Int
    public var join: Bool
    public init(nodes: Int, userStateLen: Int, join: Bool) { self.nodes = nodes; self.userStateLen = userStateLen; self.join = join }
}

/// memberlist node states (the `State` int in push/pull).
public enum MemberStatus: Int, Sendable, Hashable, CustomStringConvertible {
    case alive = 0
    case suspect = 1
    case dead = 2
    case left = 3
    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}

public struct PushNodeState: Sendable, Equatable {
    public var name: String
    public var addr: [UInt8]?
    public var port: UInt16
    public var meta: [UInt8]?
    public var incarnation: UInt32
    /// The raw State int (unknown values are kept, and ignored on merge as Go does).
    public var state: Int64
    public var vsn: [UInt8]?
    public init(name: String, addr: [UInt8]?, port: UInt16, meta: [UInt8]?, incarnation: UInt32, state: Int64, vsn: [UInt8]?) {
        self.name = name; self.addr = addr; self.port = port; self.meta = meta; self.incarnation = incarnation; self.state = state; self.vsn = vsn
    }
}

public struct CompressMessage: Sendable, Equatable {
    public var algo: UInt8
    public var buf: [UInt8]?
    public init(algo: UInt8 = 0, buf: [UInt8]?) { self.algo = algo; self.buf = buf }
}

// MARK: - Encoding (keys sorted by byte order, as go-msgpack emits them)

extension PingMessage {
    public func encode(into w: inout MsgPackWriter) {
        let hasAddr = !(sourceAddr?.isEmpty ?? true)
        let n = 2 + (hasAddr ? 1 : 0) + (sourceNode.isEmpty ? 0 : 1) + (sourcePort == 0 ? 0 : 1)
        w.writeMapHeader(n)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
        if hasAddr { w.writeKey("SourceAddr"); w.writeBytes(sourceAddr) }
        if !sourceNode.isEmpty { w.writeKey("SourceNode"); w.writeString(sourceNode) }
        if sourcePort != 0 { w.writeKey("SourcePort"); w.writeUInt(UInt64(sourcePort)) }
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> PingMessage {
        var m = PingMessage(seqNo: 0, node: "")
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Node": m.node = try r.readString(field: "Node")
            case "SeqNo": m.seqNo = UInt32(try r.readUInt(field: "SeqNo", max: UInt64(UInt32.max)))
            case "SourceAddr": m.sourceAddr = try r.readBytes(field: "SourceAddr")
            case "SourceNode": m.sourceNode = try r.readString(field: "SourceNode")
            case "SourcePort": m.sourcePort = UInt16(try r.readUInt(field: "SourcePort", max: UInt64(UInt16.max)))
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension IndirectPingMessage {
    public func encode(into w: inout MsgPackWriter) {
        let hasAddr = !(sourceAddr?.isEmpty ?? true)
        let n = 5 + (hasAddr ? 1 : 0) + (sourceNode.isEmpty ? 0 : 1) + (sourcePort == 0 ? 0 : 1)
        w.writeMapHeader(n)
        w.writeKey("Nack"); w.writeBool(nack)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
        if hasAddr { w.writeKey("SourceAddr"); w.writeBytes(sourceAddr) }
        if !sourceNode.isEmpty { w.writeKey("SourceNode"); w.writeString(sourceNode) }
        if sourcePort != 0 { w.writeKey("SourcePort"); w.writeUInt(UInt64(sourcePort)) }
        w.writeKey("Target"); w.writeBytes(target)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> IndirectPingMessage {
        var m = IndirectPingMessage(seqNo: 0, target: nil, port: 0, node: "", nack: false)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Nack": m.nack = try r.readBool(field: "Nack")
            case "Node": m.node = try r.readString(field: "Node")
            case "Port": m.port = UInt16(try r.readUInt(field: "Port", max: UInt64(UInt16.max)))
            case "SeqNo": m.seqNo = UInt32(try r.readUInt(field: "SeqNo", max: UInt64(UInt32.max)))
            case "SourceAddr": m.sourceAddr = try r.readBytes(field: "SourceAddr")
            case "SourceNode": m.sourceNode = try r.readString(field: "SourceNode")
            case "SourcePort": m.sourcePort = UInt16(try r.readUInt(field: "SourcePort", max: UInt64(UInt16.max)))
            case "Target": m.target = try r.readBytes(field: "Target")
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension AckRespMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(2)
        w.writeKey("Payload"); w.writeBytes(payload)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> AckRespMessage {
        var m = AckRespMessage(seqNo: 0)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Payload": m.payload = try r.readBytes(field: "Payload")
            case "SeqNo": m.seqNo = UInt32(try r.readUInt(field: "SeqNo", max: UInt64(UInt32.max)))
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension NackRespMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(1)
        w.writeKey("SeqNo"); w.writeUInt(UInt64(seqNo))
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> NackRespMessage {
        var m = NackRespMessage(seqNo: 0)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "SeqNo": m.seqNo = UInt32(try r.readUInt(field: "SeqNo", max: UInt64(UInt32.max)))
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension ErrRespMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(1)
        w.writeKey("Error"); w.writeString(error)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> ErrRespMessage {
        var m = ErrRespMessage(error: "")
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Error": m.error = try r.readString(field: "Error")
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension SuspectMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(3)
        w.writeKey("From"); w.writeString(from)
        w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeKey("Node"); w.writeString(node)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> SuspectMessage {
        var m = SuspectMessage(incarnation: 0, node: "", from: "")
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "From": m.from = try r.readString(field: "From")
            case "Incarnation": m.incarnation = UInt32(try r.readUInt(field: "Incarnation", max: UInt64(UInt32.max)))
            case "Node": m.node = try r.readString(field: "Node")
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension AliveMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(6)
        w.writeKey("Addr"); w.writeBytes(addr)
        w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeKey("Meta"); w.writeBytes(meta)
        w.writeKey("Node"); w.writeString(node)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("Vsn"); w.writeBytes(vsn)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> AliveMessage {
        var m = AliveMessage(incarnation: 0, node: "", addr: nil, port: 0, meta: nil, vsn: nil)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Addr": m.addr = try r.readBytes(field: "Addr")
            case "Incarnation": m.incarnation = UInt32(try r.readUInt(field: "Incarnation", max: UInt64(UInt32.max)))
            case "Meta": m.meta = try r.readBytes(field: "Meta")
            case "Node": m.node = try r.readString(field: "Node")
            case "Port": m.port = UInt16(try r.readUInt(field: "Port", max: UInt64(UInt16.max)))
            case "Vsn": m.vsn = try r.readBytes(field: "Vsn")
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension PushPullHeader {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(3)
        w.writeKey("Join"); w.writeBool(join)
        w.writeKey("Nodes"); w.writeInt(Int64(nodes))
        w.writeKey("UserStateLen"); w.writeInt(Int64(userStateLen))
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> PushPullHeader {
        var m = PushPullHeader(nodes: 0, userStateLen: 0, join: false)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Join": m.join = try r.readBool(field: "Join")
            case "Nodes":
                let v = try r.readInt(field: "Nodes")
                guard v >= 0, v <= Int64(Int32.max) else { throw .integerOverflow(field: "Nodes") }
                m.nodes = Int(v)
            case "UserStateLen":
                let v = try r.readInt(field: "UserStateLen")
                guard v >= 0, v <= Int64(Int32.max) else { throw .integerOverflow(field: "UserStateLen") }
                m.userStateLen = Int(v)
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension PushNodeState {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(7)
        w.writeKey("Addr"); w.writeBytes(addr)
        w.writeKey("Incarnation"); w.writeUInt(UInt64(incarnation))
        w.writeKey("Meta"); w.writeBytes(meta)
        w.writeKey("Name"); w.writeString(name)
        w.writeKey("Port"); w.writeUInt(UInt64(port))
        w.writeKey("State"); w.writeInt(state)
        w.writeKey("Vsn"); w.writeBytes(vsn)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> PushNodeState {
        var m = PushNodeState(name: "", addr: nil, port: 0, meta: nil, incarnation: 0, state: 0, vsn: nil)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Addr": m.addr = try r.readBytes(field: "Addr")
            case "Incarnation": m.incarnation = UInt32(try r.readUInt(field: "Incarnation", max: UInt64(UInt32.max)))
            case "Meta": m.meta = try r.readBytes(field: "Meta")
            case "Name": m.name = try r.readString(field: "Name")
            case "Port": m.port = UInt16(try r.readUInt(field: "Port", max: UInt64(UInt16.max)))
            case "State": m.state = try r.readInt(field: "State")
            case "Vsn": m.vsn = try r.readBytes(field: "Vsn")
            default: try r.skipValue()
            }
        }
        return m
    }
}

extension CompressMessage {
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(2)
        w.writeKey("Algo"); w.writeUInt(UInt64(algo))
        w.writeKey("Buf"); w.writeBytes(buf)
    }

    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> CompressMessage {
        var m = CompressMessage(algo: 0, buf: nil)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "Algo": m.algo = UInt8(try r.readUInt(field: "Algo", max: 255))
            case "Buf": m.buf = try r.readBytes(field: "Buf")
            default: try r.skipValue()
            }
        }
        return m
    }
}

/// `userMsgHeader` for reliable (stream) user messages.
public struct UserMsgHeader: Sendable, Equatable {
    public var userMsgLen: Int
    public init(userMsgLen: Int) { self.userMsgLen = userMsgLen }
    public func encode(into w: inout MsgPackWriter) {
        w.writeMapHeader(1)
        w.writeKey("UserMsgLen"); w.writeInt(Int64(userMsgLen))
    }
    public static func decode(_ r: inout MsgPackReader) throws(MsgPackError) -> UserMsgHeader {
        var m = UserMsgHeader(userMsgLen: 0)
        let n = try r.readMapHeader()
        for _ in 0..<n {
            switch try r.readKey() {
            case "UserMsgLen":
                let v = try r.readInt(field: "UserMsgLen")
                guard v >= 0, v <= Int64(Int32.max) else { throw .integerOverflow(field: "UserMsgLen") }
                m.userMsgLen = Int(v)
            default: try r.skipValue()
            }
        }
        return m
    }
}
