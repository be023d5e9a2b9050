/// A strict, bounded msgpack reader over a byte array.
///
/// Every declared length is checked against the remaining input (and the limits) before
/// anything is allocated; nesting depth and element counts are bounded. No input traps.
public struct MsgPackReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int
    public var limits: MsgPackLimits
    private var elementsSeen: Int = 0

    public init(_ bytes: [UInt8], offset: Int = 0, limits: MsgPackLimits = .default) {
        self.bytes = bytes
        self.offset = min(max(0, offset), bytes.count)
        self.end = bytes.count
        self.limits = limits
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    // MARK: primitives

    @inline(__always)
    mutating func byte() throws(MsgPackError) -> UInt8 {
        guard offset < end else { throw .truncated }
        let b = bytes[offset]
        offset += 1
        return b
    }

    @inline(__always)
    mutating func peek() throws(MsgPackError) -> UInt8 {
        guard offset < end else { throw .truncated }
        return bytes[offset]
    }

    @inline(__always)
    mutating func be(_ n: Int) throws(MsgPackError) -> UInt64 {
        guard remaining >= n else { throw .truncated }
        var v: UInt64 = 0
        for i in 0..<n { v = (v << 8) | UInt64(bytes[offset + i]) }
        offset += n
        return v
    }

    mutating func take(_ n: UInt64) throws(MsgPackError) -> ArraySlice<UInt8> {
        guard n <= UInt64(remaining) else {
            // A length that cannot be satisfied: for streams this may mean "need more",
            // callers that have the whole input treat it as a length bomb.
            throw .lengthExceedsInput(declared: n, remaining: remaining)
        }
        let start = offset
        offset += Int(n)
        return bytes[start..<offset]
    }

    mutating func countElement(_ n: Int = 1) throws(MsgPackError) {
        elementsSeen += n
        if elementsSeen > limits.maxTotalElements { throw .tooManyElements(limit: limits.maxTotalElements) }
    }

    /// Checks a container count: each entry needs at least `minBytesEach` bytes of input.
    mutating func checkCount(_ n: UInt64, minBytesEach: Int) throws(MsgPackError) -> Int {
        if n > UInt64(limits.maxContainerElements) { throw .tooManyElements(limit: limits.maxContainerElements) }
        if n * UInt64(minBytesEach) > UInt64(remaining) {
            throw .lengthExceedsInput(declared: n, remaining: remaining)
        }
        let c = Int(n)
        try countElement(c)
        return c
    }

    // MARK: headers

    public mutating func readMapHeader() throws(MsgPackError) -> Int {
        let b = try byte()
        let n: UInt64
        switch b {
        case 0x80...0x8f: n = UInt64(b & 0x0f)
        case 0xde: n = try be(2)
        case 0xdf: n = try be(4)
        case 0xc0: n = 0 // nil map
        default: offset -= 1; throw .notAMap
        }
        return try checkCount(n, minBytesEach: 2)
    }

    public mutating func readArrayHeader() throws(MsgPackError) -> Int {
        let b = try byte()
        let n: UInt64
        switch b {
        case 0x90...0x9f: n = UInt64(b & 0x0f)
        case 0xdc: n = try be(2)
        case 0xdd: n = try be(4)
        case 0xc0: n = 0
        default: offset -= 1; throw .typeMismatch(field: "", expected: "array")
        }
        return try checkCount(n, minBytesEach: 1)
    }

    // MARK: typed reads (Go field semantics)

    /// A map key (Go field name). Keys are raw strings.
    public mutating func readKey() throws(MsgPackError) -> String {
        guard let s = try readRawSlice(acceptBin: false, field: "key") else {
            throw .typeMismatch(field: "key", expected: "string")
        }
        return String(decoding: s, as: UTF8.self)
    }

    /// Reads the raw (str) family, optionally bin. Returns nil for msgpack nil.
    public mutating func readRawSlice(acceptBin: Bool, field: String) throws(MsgPackError) -> ArraySlice<UInt8>? {
        let b = try byte()
        let n: UInt64
        switch b {
        case 0xa0...0xbf: n = UInt64(b & 0x1f)
        case 0xd9: n = try be(1)
        case 0xda: n = try be(2)
        case 0xdb: n = try be(4)
        case 0xc4 where acceptBin: n = try be(1)
        case 0xc5 where acceptBin: n = try be(2)
        case 0xc6 where acceptBin: n = try be(4)
        case 0xc0: return nil
        default:
            offset -= 1
            throw .typeMismatch(field: field, expected: acceptBin ? "bytes" : "string")
        }
        try countElement()
        return try take(n)
    }

    /// A Go `string` field: raw only (bin is rejected, as go-msgpack does); nil gives "".
    public mutating func readString(field: String) throws(MsgPackError) -> String {
        guard let s = try readRawSlice(acceptBin: false, field: field) else { return "" }
        return String(decoding: s, as: UTF8.self)
    }

    /// A Go `[]byte` field: raw or bin; nil stays nil.
    public mutating func readBytes(field: String) throws(MsgPackError) -> [UInt8]? {
        guard let s = try readRawSlice(acceptBin: true, field: field) else { return nil }
        return Array(s)
    }

    /// Any integer encoding; must be in 0...max. nil decodes as 0.
    public mutating func readUInt(field: String, max: UInt64) throws(MsgPackError) -> UInt64 {
        let b = try byte()
        let v: UInt64
        switch b {
        case 0x00...0x7f: v = UInt64(b)
        case 0xcc: v = try be(1)
        case 0xcd: v = try be(2)
        case 0xce: v = try be(4)
        case 0xcf: v = try be(8)
        case 0xd0: let x = Int8(truncatingIfNeeded: try be(1)); guard x >= 0 else { throw .integerOverflow(field: field) }; v = UInt64(x)
        case 0xd1: let x = Int16(truncatingIfNeeded: try be(2)); guard x >= 0 else { throw .integerOverflow(field: field) }; v = UInt64(x)
        case 0xd2: let x = Int32(truncatingIfNeeded: try be(4)); guard x >= 0 else { throw .integerOverflow(field: field) }; v = UInt64(x)
        case 0xd3: let x = Int64(bitPattern: try be(8)); guard x >= 0 else { throw .integerOverflow(field: field) }; v = UInt64(x)
        case 0xe0...0xff: throw .integerOverflow(field: field)
        case 0xc0: v = 0
        default: offset -= 1; throw .typeMismatch(field: field, expected: "integer")
        }
        guard v <= max else { throw .integerOverflow(field: field) }
        try countElement()
        return v
    }

    /// A Go signed int field.
    public mutating func readInt(field: String) throws(MsgPackError) -> Int64 {
        let b = try byte()
        let v: Int64
        switch b {
        case 0x00...0x7f: v = Int64(b)
        case 0xe0...0xff: v = Int64(Int8(bitPattern: b))
        case 0xcc: v = Int64(try be(1))
        case 0xcd: v = Int64(try be(2))
        case 0xce: v = Int64(try be(4))
        case 0xcf:
            let u = try be(8)
            guard u <= UInt64(Int64.max) else { throw .integerOverflow(field: field) }
            v = Int64(u)
        case 0xd0: v = Int64(Int8(truncatingIfNeeded: try be(1)))
        case 0xd1: v = Int64(Int16(truncatingIfNeeded: try be(2)))
        case 0xd2: v = Int64(Int32(truncatingIfNeeded: try be(4)))
        case 0xd3: v = Int64(bitPattern: try be(8))
        case 0xc0: v = 0
        default: offset -= 1; throw .typeMismatch(field: field, expected: "integer")
        }
        try countElement()
        return v
    }

    public mutating func readBool(field: String) throws(MsgPackError) -> Bool {
        let b = try byte()
        switch b {
        case 0xc2: return false
        case 0xc3: return true
        case 0xc0: return false
        default: offset -= 1; throw .typeMismatch(field: field, expected: "bool")
        }
    }

    /// Skips one value of any type (unknown struct keys), bounded.
    public mutating func skipValue(depth: Int = 0) throws(MsgPackError) {
        _ = try readValueInternal(depth: depth, keep: false)
    }

    /// Decodes one generic value, bounded by the limits.
    public mutating func readValue() throws(MsgPackError) -> MsgPackValue {
        try readValueInternal(depth: 0, keep: true)
    }

    private mutating func readValueInternal(depth: Int, keep: Bool) throws(MsgPackError) -> MsgPackValue {
        guard depth < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
        try countElement()
        let b = try byte()
        switch b {
        case 0x00...0x7f: return .uint(UInt64(b))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: b)))
        case 0xc0: return .nilValue
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xcc: return .uint(try be(1))
        case 0xcd: return .uint(try be(2))
        case 0xce: return .uint(try be(4))
        case 0xcf: return .uint(try be(8))
        case 0xd0: return .int(Int64(Int8(truncatingIfNeeded: try be(1))))
        case 0xd1: return .int(Int64(Int16(truncatingIfNeeded: try be(2))))
        case 0xd2: return .int(Int64(Int32(truncatingIfNeeded: try be(4))))
        case 0xd3: return .int(Int64(bitPattern: try be(8)))
        case 0xca: return .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try be(4)))))
        case 0xcb: return .float(Double(bitPattern: try be(8)))
        case 0xa0...0xbf:
            let s = try take(UInt64(b & 0x1f)); return keep ? .raw(Array(s)) : .nilValue
        case 0xd9, 0xda, 0xdb:
            let n = try be(b == 0xd9 ? 1 : (b == 0xda ? 2 : 4))
            let s = try take(n); return keep ? .raw(Array(s)) : .nilValue
        case 0xc4, 0xc5, 0xc6:
            let n = try be(b == 0xc4 ? 1 : (b == 0xc5 ? 2 : 4))
            let s = try take(n); return keep ? .bin(Array(s)) : .nilValue
        case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
            let n: UInt64 = [1, 2, 4, 8, 16][Int(b - 0xd4)]
            let t = Int8(bitPattern: try byte())
            let s = try take(n); return keep ? .ext(t, Array(s)) : .nilValue
        case 0xc7, 0xc8, 0xc9:
            let n = try be(b == 0xc7 ? 1 : (b == 0xc8 ? 2 : 4))
            let t = Int8(bitPattern: try byte())
            let s = try take(n); return keep ? .ext(t, Array(s)) : .nilValue
        case 0x90...0x9f, 0xdc, 0xdd:
            let n: UInt64 = b <= 0x9f ? UInt64(b & 0x0f) : try be(b == 0xdc ? 2 : 4)
            let c = try checkCount(n, minBytesEach: 1)
            var out: [MsgPackValue] = []
            if keep { out.reserveCapacity(c) }
            for _ in 0..<c {
                let v = try readValueInternal(depth: depth + 1, keep: keep)
                if keep { out.append(v) }
            }
            return keep ? .array(out) : .nilValue
        case 0x80...0x8f, 0xde, 0xdf:
            let n: UInt64 = b <= 0x8f ? UInt64(b & 0x0f) : try be(b == 0xde ? 2 : 4)
            let c = try checkCount(n, minBytesEach: 2)
            var out: [MsgPackPair] = []
            if keep { out.reserveCapacity(c) }
            for _ in 0..<c {
                let k = try readValueInternal(depth: depth + 1, keep: keep)
                let v = try readValueInternal(depth: depth + 1, keep: keep)
                if keep { out.append(MsgPackPair(k, v)) }
            }
            return keep ? .map(out) : .nilValue
        default: // 0xc1 is never used
            throw .invalidByte(b)
        }
    }
}
