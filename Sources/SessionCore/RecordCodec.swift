import Replication

/// Binary layout of a `Record` (the plaintext that gets sealed). Little-endian.
///
/// Format 1, sessions (the layout sessions have always had, so stored sessions stay readable and
/// sidecars of the previous release can read what this one writes):
///
///     u8 1 | u8 flags(bit0 tombstone) | u64 version | i64 createdAt | i64 lastAccessAt
///     | i64 idleTimeout | i64 absoluteExpiresAt | u64 writeID | u32 dataLength | data
///
/// A session record's payload is `i64 createdAt | data` (see `SessionRecord`).
///
/// Format 2, every other kind:
///
///     u8 2 | u8 flags(bit0 tombstone, bit1 idle rule, bit2 stale, bit3 win sent) | u8 namespace | u64 version | u64 writeID
///     | i64 expiresAt | [i64 lastAccessAt | i64 idleTimeout] | u32 clientFlags | u32 payloadLength | payload
public enum RecordCodec {
    static let sessionFormat: UInt8 = 1
    static let genericFormat: UInt8 = 2
    static let sessionHeaderSize = 2 + 8 * 6 + 4

    public static func encode(_ r: Record) -> [UInt8] {
        var out = [UInt8]()
        if r.namespace == .session, let idle = r.idle, r.flags == 0, r.payload.count >= 8 {
            out.reserveCapacity(sessionHeaderSize + r.payload.count - 8)
            out.append(sessionFormat)
            out.append(r.isTombstone ? 1 : 0)
            append(r.version, to: &out)
            out.append(contentsOf: r.payload[0..<8])  // createdAt, already little-endian
            append(UInt64(bitPattern: idle.lastAccessAt), to: &out)
            append(UInt64(bitPattern: idle.timeout), to: &out)
            append(UInt64(bitPattern: r.expiresAt), to: &out)
            append(r.writeID, to: &out)
            append32(UInt32(r.payload.count - 8), to: &out)
            out.append(contentsOf: r.payload[8...])
            return out
        }
        out.reserveCapacity(3 + 8 * 5 + 8 + r.payload.count)
        out.append(genericFormat)
        out.append((r.isTombstone ? 1 : 0) | (r.idle == nil ? 0 : 2) | (r.marks.rawValue & 3) << 2)
        out.append(r.namespace.rawValue)
        append(r.version, to: &out)
        append(r.writeID, to: &out)
        append(UInt64(bitPattern: r.expiresAt), to: &out)
        if let idle = r.idle {
            append(UInt64(bitPattern: idle.lastAccessAt), to: &out)
            append(UInt64(bitPattern: idle.timeout), to: &out)
        }
        append32(r.flags, to: &out)
        append32(UInt32(r.payload.count), to: &out)
        out.append(contentsOf: r.payload)
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(SessionCodecError) -> Record {
        var reader = Reader(bytes: bytes)
        switch try reader.u8() {
        case sessionFormat:
            let flags = try reader.u8()
            let version = try reader.u64()
            let createdAt = try reader.bytes(8)
            let lastAccess = Int64(bitPattern: try reader.u64())
            let idle = Int64(bitPattern: try reader.u64())
            let absolute = Int64(bitPattern: try reader.u64())
            let writeID = try reader.u64()
            let data = try reader.bytes(Int(try reader.u32()))
            try reader.expectEnd()
            return Record(namespace: .session, version: version, writeID: writeID, isTombstone: flags & 1 == 1,
                          expiresAt: absolute, idle: IdleRule(lastAccessAt: lastAccess, timeout: idle),
                          payload: createdAt + data)
        case genericFormat:
            let flags = try reader.u8()
            guard let namespace = RecordNamespace(rawValue: try reader.u8()) else { throw .unknownFormat(genericFormat) }
            let version = try reader.u64()
            let writeID = try reader.u64()
            let expiresAt = Int64(bitPattern: try reader.u64())
            var idle: IdleRule?
            if flags & 2 != 0 {
                idle = IdleRule(lastAccessAt: Int64(bitPattern: try reader.u64()), timeout: Int64(bitPattern: try reader.u64()))
            }
            let clientFlags = try reader.u32()
            let payload = try reader.bytes(Int(try reader.u32()))
            try reader.expectEnd()
            var record = Record(namespace: namespace, version: version, writeID: writeID, isTombstone: flags & 1 == 1,
                                expiresAt: expiresAt, idle: idle, flags: clientFlags, payload: payload)
            record.marks = ItemMarks(rawValue: (flags >> 2) & 3)
            return record
        case let other:
            throw .unknownFormat(other)
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u8() throws(SessionCodecError) -> UInt8 {
            guard offset < bytes.count else { throw .truncated }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u32() throws(SessionCodecError) -> UInt32 {
            guard bytes.count - offset >= 4 else { throw .truncated }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
            offset += 4
            return v
        }

        mutating func u64() throws(SessionCodecError) -> UInt64 {
            guard bytes.count - offset >= 8 else { throw .truncated }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return v
        }

        mutating func bytes(_ count: Int) throws(SessionCodecError) -> [UInt8] {
            guard bytes.count - offset >= count else { throw .truncated }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }

        func expectEnd() throws(SessionCodecError) {
            guard offset == bytes.count else { throw .truncated }
        }
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    private static func append32(_ v: UInt32, to out: inout [UInt8]) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }
}

public enum SessionCodecError: Error, Equatable, Sendable {
    case truncated
    case unknownFormat(UInt8)
    case badMagic
    case unknownKey(UInt32)
    case authenticationFailed
}
