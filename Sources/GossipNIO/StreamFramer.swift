/// What a ``StreamFramer`` concludes about the bytes read so far on a memberlist stream.
public enum StreamFrameDecision: Sendable, Equatable {
    /// The message is not complete yet; do not ask again before at least `minimumTotal`
    /// bytes (counted from the start of the stream) have arrived.
    case needMore(minimumTotal: Int)
    /// The message is complete and occupies exactly the first `length` bytes.
    case complete(length: Int)
    /// The message would need `length` bytes in total, above the framer's limit.
    /// (The transport also enforces its own limit on `needMore` and `complete`.)
    case tooLarge(length: Int)
    /// The bytes can never form a valid message; the stream is dropped.
    case invalid(reason: String)
}

/// Tells the transport where a memberlist stream message ends.
///
/// memberlist streams carry one message per direction with no outer length prefix
/// (except the encrypted form), so delimiting a plaintext message needs knowledge of its
/// msgpack structure. The transport calls ``decide(_:)`` with everything read so far
/// (starting at the type byte) each time new bytes arrive and at least the previously
/// announced `minimumTotal` is present. Implementations must be pure and must not trap
/// on any input.
public protocol StreamFramer: Sendable {
    func decide(_ bytes: UnsafeRawBufferPointer) -> StreamFrameDecision
}

extension StreamFramer {
    /// Convenience for arrays (tests, embedders).
    public func decide(_ bytes: [UInt8]) -> StreamFrameDecision {
        bytes.withUnsafeBytes { decide($0) }
    }
}

/// Frames an encrypted stream message: `[0x0A][len u32 BE][len bytes]`.
public struct EncryptedStreamFramer: StreamFramer {
    /// Largest accepted `len` (memberlist's `maxPushStateBytes` is 20 MiB).
    public var maxLength: Int

    public init(maxLength: Int = 20 * 1024 * 1024) {
        self.maxLength = maxLength
    }

    public func decide(_ bytes: UnsafeRawBufferPointer) -> StreamFrameDecision {
        guard let first = bytes.first else { return .needMore(minimumTotal: 1) }
        guard first == GossipKeyring.encryptMsgType else {
            return .invalid(reason: "expected encryptMsg (10), got message type \(first)")
        }
        guard bytes.count >= 5 else { return .needMore(minimumTotal: 5) }
        let length = Int(bytes[1]) << 24 | Int(bytes[2]) << 16 | Int(bytes[3]) << 8 | Int(bytes[4])
        guard length <= maxLength else {
            return .tooLarge(length: 5 + length)
        }
        let total = 5 + length
        return bytes.count >= total ? .complete(length: total) : .needMore(minimumTotal: total)
    }
}

/// A default framer that understands every stream message memberlist 0.2.2 sends
/// (msgpack per go-msgpack 0.5.5), so the transport can delimit plaintext streams without
/// the Gossip layer:
///
/// - `encryptMsg` (10): length-prefixed, as ``EncryptedStreamFramer``;
/// - `compressMsg` (9), `pingMsg` (0), `ackRespMsg` (2), `nackRespMsg` (11), `errMsg` (13):
///   the type byte plus one msgpack value;
/// - `pushPullMsg` (6): header `{Join, Nodes, UserStateLen}`, `Nodes` msgpack values, then
///   `UserStateLen` raw bytes;
/// - `userMsg` (8): header `{UserMsgLen}` then `UserMsgLen` raw bytes.
///
/// Any other type byte is invalid on a stream.
public struct MemberlistStreamFramer: StreamFramer {
    /// Largest accepted message (also bounds declared lengths and counts).
    public var maxMessageSize: Int

    public init(maxMessageSize: Int = 20 * 1024 * 1024) {
        self.maxMessageSize = maxMessageSize
    }

    public func decide(_ bytes: UnsafeRawBufferPointer) -> StreamFrameDecision {
        guard let type = bytes.first else { return .needMore(minimumTotal: 1) }
        var reader = MsgpackSkipper(bytes: bytes, position: 1, limit: maxMessageSize)
        do {
            switch type {
            case GossipKeyring.encryptMsgType:
                return EncryptedStreamFramer(maxLength: maxMessageSize).decide(bytes)
            case 0, 2, 9, 11, 13:
                try reader.skipValues(1)
            case 6:
                let header = try reader.readHeaderInts()
                let nodes = header["Nodes"] ?? 0
                let userStateLen = header["UserStateLen"] ?? 0
                guard nodes >= 0, userStateLen >= 0 else {
                    return .invalid(reason: "pushPull header out of range (Nodes \(nodes), UserStateLen \(userStateLen))")
                }
                // Every node state takes at least one byte.
                if nodes > maxMessageSize || userStateLen > maxMessageSize || reader.position + nodes + userStateLen > maxMessageSize {
                    return .tooLarge(length: reader.position + nodes + userStateLen)
                }
                try reader.skipValues(nodes)
                try reader.skipRaw(userStateLen)
            case 8:
                let header = try reader.readHeaderInts()
                let length = header["UserMsgLen"] ?? 0
                guard length >= 0 else {
                    return .invalid(reason: "userMsg length \(length) out of range")
                }
                if length > maxMessageSize || reader.position + length > maxMessageSize {
                    return .tooLarge(length: reader.position + length)
                }
                try reader.skipRaw(length)
            default:
                return .invalid(reason: "message type \(type) is not valid on a stream")
            }
        } catch {
            switch error {
            case .needMore(let total):
                if total > maxMessageSize {
                    return .tooLarge(length: total)
                }
                return .needMore(minimumTotal: max(total, bytes.count + 1))
            case .tooLarge(let total):
                return .tooLarge(length: total)
            case .invalid(let reason):
                return .invalid(reason: reason)
            }
        }
        guard reader.position <= maxMessageSize else {
            return .tooLarge(length: reader.position)
        }
        return .complete(length: reader.position)
    }
}

/// A minimal, non-recursive msgpack walker: skips values and reads small header maps.
/// It never traps: every read is bounds-checked and reports how many bytes it needs.
struct MsgpackSkipper {
    enum Failure: Error {
        /// At least this many bytes in total are needed.
        case needMore(Int)
        /// A declared length or count would exceed the limit.
        case tooLarge(Int)
        case invalid(String)
    }

    let bytes: UnsafeRawBufferPointer
    var position: Int
    let limit: Int

    init(bytes: UnsafeRawBufferPointer, position: Int, limit: Int) {
        self.bytes = bytes
        self.position = position
        self.limit = limit
    }

    private mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw .needMore(position + 1) }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func bigEndian(_ width: Int) throws(Failure) -> UInt64 {
        guard position + width <= bytes.count else { throw .needMore(position + width) }
        var value: UInt64 = 0
        for i in 0..<width { value = value << 8 | UInt64(bytes[position + i]) }
        position += width
        return value
    }

    /// Skips `count` raw bytes (user state, user message body).
    mutating func skipRaw(_ count: Int) throws(Failure) {
        guard count >= 0 else { throw .invalid("raw length \(count) out of range") }
        guard count <= limit, position + count <= limit else { throw .tooLarge(position + count) }
        let end = position + count
        guard end <= bytes.count else { throw .needMore(end) }
        position = end
    }

    /// Skips `count` complete msgpack values, iteratively.
    mutating func skipValues(_ count: Int) throws(Failure) {
        var remaining = count
        while remaining > 0 {
            remaining -= 1
            let children = try skipOneHeader()
            // Every item takes at least one byte, so a count above the limit can't fit.
            guard children <= limit else { throw .tooLarge(position + children) }
            remaining += children
            if remaining > limit || position + remaining > limit { throw .tooLarge(position + remaining) }
        }
    }

    /// Consumes one value's header (and its payload if scalar); returns the number of
    /// child values that follow (for arrays and maps).
    private mutating func skipOneHeader() throws(Failure) -> Int {
        let b = try byte()
        switch b {
        case 0x00...0x7f, 0xe0...0xff, 0xc0, 0xc2, 0xc3:
            return 0
        case 0x80...0x8f:
            return Int(b & 0x0f) * 2
        case 0x90...0x9f:
            return Int(b & 0x0f)
        case 0xa0...0xbf:
            try skipRaw(Int(b & 0x1f))
            return 0
        case 0xc4, 0xd9:
            try skipRaw(Int(try bigEndian(1)))
            return 0
        case 0xc5, 0xda:
            try skipRaw(Int(try bigEndian(2)))
            return 0
        case 0xc6, 0xdb:
            try skipRaw(Int(try bigEndian(4)))
            return 0
        case 0xc7:
            let n = Int(try bigEndian(1))
            try skipRaw(1 + n)
            return 0
        case 0xc8:
            let n = Int(try bigEndian(2))
            try skipRaw(1 + n)
            return 0
        case 0xc9:
            let n = Int(try bigEndian(4))
            try skipRaw(1 + n)
            return 0
        case 0xca: try skipRaw(4); return 0
        case 0xcb: try skipRaw(8); return 0
        case 0xcc, 0xd0: try skipRaw(1); return 0
        case 0xcd, 0xd1: try skipRaw(2); return 0
        case 0xce, 0xd2: try skipRaw(4); return 0
        case 0xcf, 0xd3: try skipRaw(8); return 0
        case 0xd4: try skipRaw(2); return 0
        case 0xd5: try skipRaw(3); return 0
        case 0xd6: try skipRaw(5); return 0
        case 0xd7: try skipRaw(9); return 0
        case 0xd8: try skipRaw(17); return 0
        case 0xdc: return Int(try bigEndian(2))
        case 0xdd: return Int(try bigEndian(4))
        case 0xde: return Int(try bigEndian(2)) * 2
        case 0xdf: return Int(try bigEndian(4)) * 2
        default:
            throw .invalid("invalid msgpack byte 0x\(String(b, radix: 16))")
        }
    }

    /// Reads a string (any raw/str family or bin) and returns it, or nil if the next value
    /// is not a string (in which case nothing is consumed).
    private mutating func readString() throws(Failure) -> String? {
        guard position < bytes.count else { throw .needMore(position + 1) }
        let b = bytes[position]
        let length: Int
        switch b {
        case 0xa0...0xbf:
            position += 1
            length = Int(b & 0x1f)
        case 0xc4, 0xd9:
            position += 1
            length = Int(try bigEndian(1))
        case 0xc5, 0xda:
            position += 1
            length = Int(try bigEndian(2))
        case 0xc6, 0xdb:
            position += 1
            length = Int(try bigEndian(4))
        default:
            return nil
        }
        let start = position
        try skipRaw(length)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// Reads an integer of any msgpack width, or nil if the next value is not an integer
    /// (nothing consumed then).
    private mutating func readInt() throws(Failure) -> Int? {
        guard position < bytes.count else { throw .needMore(position + 1) }
        let b = bytes[position]
        switch b {
        case 0x00...0x7f:
            position += 1
            return Int(b)
        case 0xe0...0xff:
            position += 1
            return Int(Int8(bitPattern: b))
        case 0xcc, 0xcd, 0xce, 0xcf:
            position += 1
            let width = 1 << Int(b - 0xcc)
            let value = try bigEndian(width)
            return value > UInt64(Int.max) ? Int.max : Int(value)
        case 0xd0, 0xd1, 0xd2, 0xd3:
            position += 1
            let width = 1 << Int(b - 0xd0)
            let raw = try bigEndian(width)
            let shift = UInt64(64 - width * 8)
            return Int(Int64(bitPattern: raw << shift) >> Int64(shift))
        default:
            return nil
        }
    }

    /// Reads a msgpack map (a Go struct), returning its integer-valued fields by key and
    /// skipping all others.
    mutating func readHeaderInts() throws(Failure) -> [String: Int] {
        let b = try byte()
        let count: Int
        switch b {
        case 0x80...0x8f: count = Int(b & 0x0f)
        case 0xde: count = Int(try bigEndian(2))
        case 0xdf: count = Int(try bigEndian(4))
        default: throw .invalid("expected a msgpack map header, got 0x\(String(b, radix: 16))")
        }
        guard count <= 64 else { throw .invalid("header map of \(count) entries") }
        var result: [String: Int] = [:]
        for _ in 0..<count {
            guard let key = try readString() else {
                try skipValues(2)
                continue
            }
            if let value = try readInt() {
                result[key] = value
            } else {
                try skipValues(1)
            }
        }
        return result
    }
}
