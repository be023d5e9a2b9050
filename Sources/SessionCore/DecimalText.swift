/// Decimal digits appended to a byte buffer, for JSON numbers and timestamps written without
/// `String` formatting.
public enum DecimalText {
    /// Appends `value` in decimal, zero-padded to at least `minDigits` digits. Digits are written
    /// in order, most significant first, straight into `out` (no slice to reverse: that made a
    /// session answer's four timestamps cost ~2 µs on the event loop).
    public static func append(_ value: Int64, minDigits: Int = 1, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude == 0 && minDigits <= 0 { return }
        var scale: UInt64 = 1
        var digits = 1
        while magnitude / scale >= 10 {
            scale *= 10
            digits += 1
        }
        if minDigits > digits {
            for _ in digits..<minDigits { out.append(UInt8(ascii: "0")) }
        }
        while true {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude / scale))
            magnitude %= scale
            if scale == 1 { return }
            scale /= 10
        }
    }
}
