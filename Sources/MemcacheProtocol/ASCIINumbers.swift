/// Decimal parsing and formatting on raw bytes, with no String conversions.
enum ASCII {
    static let space: UInt8 = 0x20
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let zero: UInt8 = 0x30
    static let minus: UInt8 = 0x2D

    /// Digits only, at least one, no sign, no overflow.
    @inline(__always)
    static func parseUInt64(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64? {
        guard end > start else { return nil }
        var v: UInt64 = 0
        var i = start
        while i < end {
            let d = p[i] &- zero
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        return v
    }

    /// An optional leading '-', then digits; nil on overflow of Int64.
    @inline(__always)
    static func parseInt64(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        guard end > start else { return nil }
        if p[start] == minus {
            guard let m = parseUInt64(p, start + 1, end), m <= UInt64(Int64.max) + 1 else { return nil }
            return m == UInt64(Int64.max) + 1 ? Int64.min : -Int64(m)
        }
        guard let v = parseUInt64(p, start, end), v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    static func parseUInt32(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
        guard let v = parseUInt64(p, start, end), v <= UInt64(UInt32.max) else { return nil }
        return UInt32(v)
    }

    /// Appends the decimal digits of `v`.
    @inline(__always)
    static func appendDecimal(_ v: UInt64, to out: inout [UInt8]) {
        var n = 1
        var t = v
        while t >= 10 { t /= 10; n += 1 }
        let base = out.count
        out.append(contentsOf: repeatElement(zero, count: n))
        var x = v
        var k = base + n - 1
        repeat {
            out[k] = zero &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
            k -= 1
        } while x > 0
    }

    static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 {
            out.append(minus)
            appendDecimal(UInt64(bitPattern: 0 &- v), to: &out)
        } else {
            appendDecimal(UInt64(v), to: &out)
        }
    }

    @inline(__always)
    static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
