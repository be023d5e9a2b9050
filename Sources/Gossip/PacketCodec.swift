/// UDP packet framing: type byte + msgpack body, compound, CRC (`hasCrcMsg`) and
/// `compressMsg` (LZW). Decoding is recursive with a fixed depth bound, like memberlist's
/// `handleCommand`, and never traps.

/// One decoded memberlist message (UDP or the inner message of a stream).
public enum GossipMessage: Sendable, Equatable {
    case ping(PingMessage)
    case indirectPing(IndirectPingMessage)
    case ack(AckRespMessage)
    case nack(NackRespMessage)
    case suspect(SuspectMessage)
    case alive(AliveMessage)
    case dead(DeadMessage)
    /// The delegate (serf) payload after the `userMsg` type byte.
    case user([UInt8])
    case err(ErrRespMessage)

    public var type: MessageType {
        switch self {
        case .ping: .ping
        case .indirectPing: .indirectPing
        case .ack: .ackResp
        case .nack: .nackResp
        case .suspect: .suspect
        case .alive: .alive
        case .dead: .dead
        case .user: .user
        case .err: .err
        }
    }

    /// `[type byte] + msgpack(body)` (for `.user`, the payload bytes verbatim).
    public func encoded() -> [UInt8] {
        var w = MsgPackWriter(reserve: 96)
        w.bytes.append(type.rawValue)
        switch self {
        case .ping(let m): m.encode(into: &w)
        case .indirectPing(let m): m.encode(into: &w)
        case .ack(let m): m.encode(into: &w)
        case .nack(let m): m.encode(into: &w)
        case .suspect(let m): m.encode(into: &w)
        case .alive(let m): m.encode(into: &w)
        case .dead(let m): m.encode(into: &w)
        case .user(let b): w.bytes.append(contentsOf: b)
        case .err(let m): m.encode(into: &w)
        }
        return w.bytes
    }
}

public enum PacketError: Error, Sendable, Equatable {
    case empty
    case crcMismatch(expected: UInt32, actual: UInt32)
    case unsupportedType(UInt8)
    case truncatedCompound
    case badCompressAlgo(UInt8)
    case tooDeep
    case msgpack(MsgPackError)
    case lzw(LZW.Error)
    /// A compressed part was not decompressed: the caller's byte budget was spent.
    case decompressBudgetExceeded
}

public struct DecodedPacket: Sendable, Equatable {
    public var messages: [GossipMessage] = []
    /// Parts (of compound or nested frames) that failed to decode and were dropped.
    public var errors: [PacketError] = []
    /// True if the packet carried a valid CRC header.
    public var hadCRC = false
    public var wasCompressed = false
}

public enum PacketCodec {
    /// memberlist's UDPBufferSize: the sender's budget per packet.
    public static let udpBufferSize = 1400
    /// Receivers read up to this many bytes.
    public static let maxPacketSize = 65_536
    public static let maxDecompressed = 1 << 20
    static let maxNesting = 4

    // MARK: decode

    /// Decodes a received UDP packet (after decryption): CRC, compression and compound
    /// framing are unwrapped; every valid message is returned, bad parts are reported.
    public static func decode(_ packet: [UInt8], limits: MsgPackLimits = .default) -> DecodedPacket {
        var budget = maxDecompressed
        return decode(packet, limits: limits, decompressBudget: &budget)
    }

    /// As ``decode(_:limits:)``, with at most `decompressBudget` decompressed bytes in total over
    /// every compressed part (nested ones included); what is used is subtracted. A part that
    /// would exceed it is dropped with ``PacketError/decompressBudgetExceeded``.
    public static func decode(_ packet: [UInt8], limits: MsgPackLimits = .default, decompressBudget: inout Int) -> DecodedPacket {
        var out = DecodedPacket()
        guard let first = packet.first else {
            out.errors.append(.empty)
            return out
        }
        var buf = packet[...]
        if first == MessageType.hasCrc.rawValue {
            guard packet.count >= 5 else {
                out.errors.append(.msgpack(.truncated))
                return out
            }
            let expected = UInt32(packet[1]) << 24 | UInt32(packet[2]) << 16 | UInt32(packet[3]) << 8 | UInt32(packet[4])
            let actual = CRC32.checksum(packet[5...])
            guard expected == actual else {
                out.errors.append(.crcMismatch(expected: expected, actual: actual))
                return out
            }
            out.hadCRC = true
            buf = packet[5...]
        }
        handle(Array(buf), depth: 0, limits: limits, budget: &decompressBudget, into: &out)
        return out
    }

    static func handle(_ buf: [UInt8], depth: Int, limits: MsgPackLimits, budget: inout Int, into out: inout DecodedPacket) {
        guard depth < maxNesting else { out.errors.append(.tooDeep); return }
        guard let t = buf.first else { out.errors.append(.empty); return }
        switch t {
        case MessageType.compound.rawValue:
            // [7][n u8][n x u16 BE][parts]
            guard buf.count >= 2 else { out.errors.append(.truncatedCompound); return }
            let n = Int(buf[1])
            guard buf.count >= 2 + 2 * n else { out.errors.append(.truncatedCompound); return }
            var offset = 2 + 2 * n
            for i in 0..<n {
                let len = Int(buf[2 + 2 * i]) << 8 | Int(buf[3 + 2 * i])
                guard buf.count - offset >= len else {
                    // memberlist drops the truncated remainder with a warning.
                    out.errors.append(.truncatedCompound)
                    return
                }
                handle(Array(buf[offset..<(offset + len)]), depth: depth + 1, limits: limits, budget: &budget, into: &out)
                offset += len
            }
        case MessageType.compress.rawValue:
            guard budget > 0 else { out.errors.append(.decompressBudgetExceeded); return }
            do {
                let inner = try decompressBody(buf, limits: limits, maxOutput: min(budget, maxDecompressed))
                budget -= inner.count
                out.wasCompressed = true
                handle(inner, depth: depth + 1, limits: limits, budget: &budget, into: &out)
            } catch .lzw(.outputTooLarge) where budget < maxDecompressed {
                budget = 0
                out.errors.append(.decompressBudgetExceeded)
            } catch {
                out.errors.append(error)
            }
        default:
            do {
                out.messages.append(try decodeSingle(buf, limits: limits))
            } catch {
                out.errors.append(error)
            }
        }
    }

    /// Decodes `[9][msgpack compress{Algo, Buf}]` and returns the decompressed bytes.
    public static func decompressBody(_ buf: [UInt8], limits: MsgPackLimits = .default, maxOutput: Int = maxDecompressed) throws(PacketError) -> [UInt8] {
        var r = MsgPackReader(buf, offset: 1, limits: limits)
        let c: CompressMessage
        do { c = try CompressMessage.decode(&r) } catch { throw .msgpack(error) }
        guard c.algo == 0 else { throw .badCompressAlgo(c.algo) }
        do { return try LZW.decompress(c.buf ?? [], maxOutput: maxOutput) } catch { throw .lzw(error) }
    }

    /// Decodes one plain message `[type][body]`.
    public static func decodeSingle(_ buf: [UInt8], limits: MsgPackLimits = .default) throws(PacketError) -> GossipMessage {
        guard let t = buf.first else { throw .empty }
        var r = MsgPackReader(buf, offset: 1, limits: limits)
        do {
            switch t {
            case MessageType.ping.rawValue: return .ping(try PingMessage.decode(&r))
            case MessageType.indirectPing.rawValue: return .indirectPing(try IndirectPingMessage.decode(&r))
            case MessageType.ackResp.rawValue: return .ack(try AckRespMessage.decode(&r))
            case MessageType.nackResp.rawValue: return .nack(try NackRespMessage.decode(&r))
            case MessageType.suspect.rawValue: return .suspect(try SuspectMessage.decode(&r))
            case MessageType.alive.rawValue: return .alive(try AliveMessage.decode(&r))
            case MessageType.dead.rawValue: return .dead(try SuspectMessage.decode(&r))
            case MessageType.user.rawValue: return .user(Array(buf[1...]))
            case MessageType.err.rawValue: return .err(try ErrRespMessage.decode(&r))
            default: throw PacketError.unsupportedType(t)
            }
        } catch let e as MsgPackError {
            throw .msgpack(e)
        } catch let e as PacketError {
            throw e
        } catch {
            throw .unsupportedType(t)
        }
    }

    // MARK: encode

    /// `[7][n][lens][parts]`. Parts must be ≤ 65535 bytes and n ≤ 255 (callers budget to 1400).
    public static func compound(_ parts: [[UInt8]]) -> [UInt8] {
        let n = min(parts.count, 255)
        var out: [UInt8] = [MessageType.compound.rawValue, UInt8(n)]
        out.reserveCapacity(2 + 2 * n + parts.reduce(0) { $0 + $1.count })
        for p in parts.prefix(n) {
            let len = min(p.count, 0xffff)
            out.append(UInt8(len >> 8)); out.append(UInt8(len & 0xff))
        }
        for p in parts.prefix(n) { out.append(contentsOf: p.prefix(0xffff)) }
        return out
    }

    /// A single message stays as it is; several become a compound.
    public static func pack(_ parts: [[UInt8]]) -> [UInt8] {
        parts.count == 1 ? parts[0] : compound(parts)
    }

    /// `[9][msgpack{Algo:0, Buf: lzw(msg)}]`.
    public static func compressed(_ msg: [UInt8]) -> [UInt8] {
        var w = MsgPackWriter(reserve: msg.count / 2 + 16)
        w.bytes.append(MessageType.compress.rawValue)
        CompressMessage(algo: 0, buf: LZW.compress(msg)).encode(into: &w)
        return w.bytes
    }

    /// `[12][crc32 BE][msg]`.
    public static func withCRC(_ msg: [UInt8]) -> [UInt8] {
        let c = CRC32.checksum(msg)
        var out: [UInt8] = [MessageType.hasCrc.rawValue, UInt8(c >> 24), UInt8((c >> 16) & 0xff), UInt8((c >> 8) & 0xff), UInt8(c & 0xff)]
        out.append(contentsOf: msg)
        return out
    }

    /// memberlist's `rawSendMsgPacket` framing: compress if smaller (when enabled), then CRC
    /// when the recipient's PMax ≥ 5.
    public static func frame(_ msg: [UInt8], compress: Bool, crc: Bool) -> [UInt8] {
        var m = msg
        if compress {
            let c = compressed(msg)
            if c.count < m.count { m = c }
        }
        return crc ? withCRC(m) : m
    }
}
