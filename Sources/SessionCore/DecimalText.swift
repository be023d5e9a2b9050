/// Decimal digits appended to a byte buffer, for JSON numbers and timestamps written without
/// `String` formatting.
public enum DecimalText {
    /// Appends `value` in decimal, zero-padded to at least `minDigits` digits.
    public static func append(_ value: Int64, minDigits: Int = 1, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let first = out.count
        var written = 0
        while magnitude > 0 || written < minDigits {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
            written += 1
        }
        out[first...].reverse()
    }
}
