/// Emits msgpack exactly as go-msgpack 0.5.5 does for memberlist's structs.
public struct MsgPackWriter: Sendable {
    public var bytes: [UInt8]

    public init(reserve: Int = 64) {
        bytes = []
        bytes.reserveCapacity(reserve)
    }

    public init(prefix: [UInt8]) {
        bytes = prefix
    }

    public mutating func writeNil() { bytes.append(0xc0) }

    public mutating func writeBool(_ v: Bool) { bytes.append(v ? 0xc3 : 0xc2) }

    public mutating func writeUInt(_ v: UInt64) {
        switch v {
        case 0...0x7f:
            bytes.append(UInt8(v))
        case 0x80...0xff:
            bytes.append(0xcc); bytes.append(UInt8(v))
        case 0x100...0xffff:
            bytes.append(0xcd); appendBE(v, 2)
        case 0x1_0000...0xffff_ffff:
            bytes.append(0xce); appendBE(v, 4)
        default:
            bytes.append(0xcf); appendBE(v, 8)
        }
    }

    /// Signed Go ints: non-negative values use the unsigned family (as captured: `UserStateLen cd 024e`).
    public mutating func writeInt(_ v: Int64) {
        if v >= 0 { writeUInt(UInt64(v)); return }
        if v >= -32 {
            bytes.append(UInt8(bitPattern: Int8(v)))
        } else if v >= -128 {
            bytes.append(0xd0); bytes.append(UInt8(bitPattern: Int8(v)))
        } else if v >= -32768 {
            bytes.append(0xd1); appendBE(UInt64(UInt16(bitPattern: Int16(v))), 2)
        } else if v >= Int64(Int32.min) {
            bytes.append(0xd2); appendBE(UInt64(UInt32(bitPattern: Int32(v))), 4)
        } else {
            bytes.append(0xd3); appendBE(UInt64(bitPattern: v), 8)
        }
    }

    public mutating func writeFloat64(_ v: Double) {
        bytes.append(0xcb); appendBE(v.bitPattern, 8)
    }

    /// Old "raw" str family: fixstr up to 31, 0xda up to 65535, else 0xdb. Never 0xd9, never bin.
    public mutating func writeRaw(_ b: [UInt8]) {
        writeRawHeader(b.count)
        bytes.append(contentsOf: b)
    }

    public mutating func writeRaw(_ b: ArraySlice<UInt8>) {
        writeRawHeader(b.count)
        bytes.append(contentsOf: b)
    }

    public mutating func writeRawHeader(_ n: Int) {
        if n <= 31 {
            bytes.append(0xa0 | UInt8(n))
        } else if n <= 0xffff {
            bytes.append(0xda); appendBE(UInt64(n), 2)
        } else {
            bytes.append(0xdb); appendBE(UInt64(UInt32(truncatingIfNeeded: n)), 4)
        }
    }

    /// A Go `[]byte` field: nil encodes as 0xc0, empty as 0xa0.
    public mutating func writeBytes(_ b: [UInt8]?) {
        if let b { writeRaw(b) } else { writeNil() }
    }

    public mutating func writeString(_ s: String) {
        writeRaw(Array(s.utf8))
    }

    public mutating func writeMapHeader(_ n: Int) {
        if n < 16 {
            bytes.append(0x80 | UInt8(n))
        } else if n <= 0xffff {
            bytes.append(0xde); appendBE(UInt64(n), 2)
        } else {
            bytes.append(0xdf); appendBE(UInt64(UInt32(truncatingIfNeeded: n)), 4)
        }
    }

    public mutating func writeArrayHeader(_ n: Int) {
        if n < 16 {
            bytes.append(0x90 | UInt8(n))
        } else if n <= 0xffff {
            bytes.append(0xdc); appendBE(UInt64(n), 2)
        } else {
            bytes.append(0xdd); appendBE(UInt64(UInt32(truncatingIfNeeded: n)), 4)
        }
    }

    /// Writes a struct key (a Go field name).
    @inline(__always)
    public mutating func writeKey(_ s: StaticString) {
        s.withUTF8Buffer { buf in
            writeRawHeader(buf.count)
            bytes.append(contentsOf: buf)
        }
    }

    public mutating func writeValue(_ v: MsgPackValue) {
        switch v {
        case .nilValue: writeNil()
        case .bool(let b): writeBool(b)
        case .int(let i): writeInt(i)
        case .uint(let u): writeUInt(u)
        case .float(let d): writeFloat64(d)
        case .raw(let b): writeRaw(b)
        case .bin(let b):
            // Go never emits bin; re-emit as raw.
            writeRaw(b)
        case .array(let a):
            writeArrayHeader(a.count)
            for e in a { writeValue(e) }
        case .map(let pairs):
            writeMapHeader(pairs.count)
            for p in pairs { writeValue(p.key); writeValue(p.value) }
        case .ext(let t, let d):
            switch d.count {
            case 1: bytes.append(0xd4)
            case 2: bytes.append(0xd5)
            case 4: bytes.append(0xd6)
            case 8: bytes.append(0xd7)
            case 16: bytes.append(0xd8)
            default:
                if d.count <= 0xff { bytes.append(0xc7); bytes.append(UInt8(d.count)) }
                else if d.count <= 0xffff { bytes.append(0xc8); appendBE(UInt64(d.count), 2) }
                else { bytes.append(0xc9); appendBE(UInt64(UInt32(truncatingIfNeeded: d.count)), 4) }
            }
            bytes.append(UInt8(bitPattern: t))
            bytes.append(contentsOf: d)
        }
    }

    @inline(__always)
    mutating func appendBE(_ v: UInt64, _ n: Int) {
        var i = n - 1
        while i >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8)))
            i -= 1
        }
    }
}
