/// Binary layout of a `SessionRecord` (the plaintext that gets sealed). Little-endian, fixed header:
///
///     u8 format(=1) | u8 flags(bit0 tombstone) | u64 version | i64 createdAt | i64 lastAccessAt
///     | i64 idleTimeout | i64 absoluteExpiresAt | u64 writeID | u32 dataLength | data
public enum RecordCodec {
    static let format: UInt8 = 1
    static let headerSize = 2 + 8 * 6 + 4

    public static func encode(_ r: SessionRecord) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(headerSize + r.data.count)
        out.append(format)
        out.append(r.isTombstone ? 1 : 0)
        append(r.version, to: &out)
        append(UInt64(bitPattern: r.createdAt), to: &out)
        append(UInt64(bitPattern: r.lastAccessAt), to: &out)
        append(UInt64(bitPattern: r.idleTimeout), to: &out)
        append(UInt64(bitPattern: r.absoluteExpiresAt), to: &out)
        append(r.writeID, to: &out)
        let n = UInt32(r.data.count)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: n >> (8 * i))) }
        out.append(contentsOf: r.data)
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(SessionCodecError) -> SessionRecord {
        guard bytes.count >= headerSize else { throw .truncated }
        guard bytes[0] == format else { throw .unknownFormat(bytes[0]) }
        let flags = bytes[1]
        var offset = 2
        func u64() -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return v
        }
        let version = u64()
        let created = Int64(bitPattern: u64())
        let access = Int64(bitPattern: u64())
        let idle = Int64(bitPattern: u64())
        let absolute = Int64(bitPattern: u64())
        let writeID = u64()
        var length = 0
        for i in 0..<4 { length |= Int(bytes[offset + i]) << (8 * i) }
        offset += 4
        guard bytes.count - offset == length else { throw .truncated }
        return SessionRecord(
            version: version, isTombstone: flags & 1 == 1, createdAt: created, lastAccessAt: access,
            idleTimeout: idle, absoluteExpiresAt: absolute, writeID: writeID, data: Array(bytes[offset...])
        )
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}

public enum SessionCodecError: Error, Equatable, Sendable {
    case truncated
    case unknownFormat(UInt8)
    case badMagic
    case unknownKey(UInt32)
    case authenticationFailed
}
