/// TCP stream messages. A stream carries one message per direction with no outer length
/// prefix, so `decode` reports `nil` ("need more bytes") until a complete message is
/// present; the shell feeds bytes as they arrive and enforces TCPTimeout and a byte cap.

public enum StreamMessage: Sendable, Equatable {
    case pushPull(header: PushPullHeader, nodes: [PushNodeState], userState: [UInt8])
    case ping(PingMessage)
    case ack(AckRespMessage)
    /// Reliable user message payload.
    case user([UInt8])
    case err(ErrRespMessage)
}

public enum StreamError: Error, Sendable, Equatable {
    case unsupportedType(UInt8)
    case encrypted
    case tooLarge
    case tooManyNodes(Int)
    case badCompressAlgo(UInt8)
    case msgpack(MsgPackError)
    case lzw(LZW.Error)
}

public enum StreamCodec {
    /// Upper bound on a single stream message (the shell should stop reading beyond it).
    public static let maxStreamBytes = 8 << 20
    public static let maxPushPullNodes = 65_536

    /// Returns the decoded message and the bytes consumed, or nil if more bytes are needed.
    /// `maxBytes` bounds the message and, for `compressMsg`, its decompressed size.
    public static func decode(_ bytes: [UInt8], limits: MsgPackLimits = .default, maxBytes: Int = maxStreamBytes) throws(StreamError) -> (StreamMessage, Int)? {
        var decompressed = 0
        return try decode(bytes, limits: limits, maxBytes: maxBytes, maxDecompressed: maxBytes, decompressed: &decompressed)
    }

    /// As ``decode(_:limits:maxBytes:)``; a `compressMsg` may expand to at most `maxDecompressed`
    /// bytes, and `decompressed` is set to how many it did (0 if not compressed).
    public static func decode(_ bytes: [UInt8], limits: MsgPackLimits = .default, maxBytes: Int, maxDecompressed: Int,
                              decompressed: inout Int) throws(StreamError) -> (StreamMessage, Int)? {
        guard let t = bytes.first else { return nil }
        if bytes.count > maxBytes { throw .tooLarge }
        if t == MessageType.encrypt.rawValue { throw .encrypted }
        if t == MessageType.compress.rawValue {
            var r = MsgPackReader(bytes, offset: 1, limits: limits)
            let c: CompressMessage
            do { c = try CompressMessage.decode(&r) } catch {
                if isNeedMore(error) { return nil }
                throw .msgpack(error)
            }
            guard c.algo == 0 else { throw .badCompressAlgo(c.algo) }
            let inner: [UInt8]
            do { inner = try LZW.decompress(c.buf ?? [], maxOutput: min(maxBytes, maxDecompressed)) } catch { throw .lzw(error) }
            decompressed = inner.count
            guard let (m, _) = try decodePlain(inner, limits: limits, complete: true) else {
                throw .msgpack(.truncated)
            }
            return (m, r.offset)
        }
        return try decodePlain(bytes, limits: limits, complete: false)
    }

    static func isNeedMore(_ e: MsgPackError) -> Bool {
        switch e {
        case .truncated, .lengthExceedsInput: return true
        default: return false
        }
    }

    /// `complete`: the buffer is the whole message (decompressed), so truncation is an error.
    static func decodePlain(_ bytes: [UInt8], limits: MsgPackLimits, complete: Bool) throws(StreamError) -> (StreamMessage, Int)? {
        guard let t = bytes.first else { return complete ? nil : nil }
        var r = MsgPackReader(bytes, offset: 1, limits: limits)
        do {
            switch t {
            case MessageType.pushPull.rawValue:
                let h = try PushPullHeader.decode(&r)
                guard h.nodes <= maxPushPullNodes else { throw StreamError.tooManyNodes(h.nodes) }
                // Each node state needs at least 8 bytes: reject bombs before reserving.
                if complete && h.nodes * 8 > r.remaining { throw StreamError.msgpack(.lengthExceedsInput(declared: UInt64(h.nodes), remaining: r.remaining)) }
                var nodes: [PushNodeState] = []
                nodes.reserveCapacity(min(h.nodes, max(0, r.remaining / 8)))
                for _ in 0..<h.nodes { nodes.append(try PushNodeState.decode(&r)) }
                guard r.remaining >= h.userStateLen else {
                    if complete { throw StreamError.msgpack(.lengthExceedsInput(declared: UInt64(h.userStateLen), remaining: r.remaining)) }
                    return nil
                }
                let start = r.offset
                let user = Array(bytes[start..<(start + h.userStateLen)])
                return (.pushPull(header: h, nodes: nodes, userState: user), start + h.userStateLen)
            case MessageType.ping.rawValue:
                let m = try PingMessage.decode(&r)
                return (.ping(m), r.offset)
            case MessageType.ackResp.rawValue:
                let m = try AckRespMessage.decode(&r)
                return (.ack(m), r.offset)
            case MessageType.user.rawValue:
                let h = try UserMsgHeader.decode(&r)
                guard r.remaining >= h.userMsgLen else {
                    if complete { throw StreamError.msgpack(.lengthExceedsInput(declared: UInt64(h.userMsgLen), remaining: r.remaining)) }
                    return nil
                }
                let start = r.offset
                return (.user(Array(bytes[start..<(start + h.userMsgLen)])), start + h.userMsgLen)
            case MessageType.err.rawValue:
                let m = try ErrRespMessage.decode(&r)
                return (.err(m), r.offset)
            default:
                throw StreamError.unsupportedType(t)
            }
        } catch let e as MsgPackError {
            if !complete && isNeedMore(e) { return nil }
            throw .msgpack(e)
        } catch let e as StreamError {
            throw e
        } catch {
            throw .unsupportedType(t)
        }
    }

    // MARK: encode

    public static func encodePushPull(header: PushPullHeader, nodes: [PushNodeState], userState: [UInt8], compress: Bool) -> [UInt8] {
        var w = MsgPackWriter(reserve: 128 + nodes.count * 96 + userState.count)
        w.bytes.append(MessageType.pushPull.rawValue)
        var h = header
        h.nodes = nodes.count
        h.userStateLen = userState.count
        h.encode(into: &w)
        for n in nodes { n.encode(into: &w) }
        w.bytes.append(contentsOf: userState)
        return compress ? PacketCodec.compressed(w.bytes) : w.bytes
    }

    public static func encodeUser(_ payload: [UInt8], compress: Bool) -> [UInt8] {
        var w = MsgPackWriter(reserve: payload.count + 24)
        w.bytes.append(MessageType.user.rawValue)
        UserMsgHeader(userMsgLen: payload.count).encode(into: &w)
        w.bytes.append(contentsOf: payload)
        return compress ? PacketCodec.compressed(w.bytes) : w.bytes
    }

    public static func encode(_ m: GossipMessage, compress: Bool) -> [UInt8] {
        let b = m.encoded()
        return compress ? PacketCodec.compressed(b) : b
    }
}
