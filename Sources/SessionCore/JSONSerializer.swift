/// Compact JSON serialisation of a `JSONValue` into one byte buffer.
///
/// - No whitespace; object keys sorted by `String` `<` (so equal documents give equal bytes, and
///   the order is the one JSONEncoder's `.sortedKeys` produced).
/// - Strings: `"` and `\` are escaped, control characters < 0x20 as `\b \f \n \r \t` or
///   `\u00xx` (lowercase hex), everything else (including `/`, DEL, U+2028) raw UTF-8 — the same
///   bytes JSONEncoder with `.withoutEscapingSlashes` wrote.
/// - `.int` in decimal; `.double` as Swift's shortest round-trip `description`, which for finite
///   values is always valid JSON (`1.0`, `-0.0`, `1e-07`, `1e+20`). JSONEncoder dropped a trailing
///   `.0` (`1.0` became `1`, which reads back as `.int`); this keeps a double a double.
///   A non-finite double (never produced by the parser) is written as `null`, as JavaScript's
///   `JSON.stringify` does, instead of failing.
struct JSONSerializer {
    private var out: [UInt8] = []

    static func serialize(_ value: JSONValue) -> [UInt8] {
        var serializer = JSONSerializer()
        serializer.out.reserveCapacity(256)
        serializer.write(value)
        return serializer.out
    }

    private mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): DecimalText.append(i, to: &out)
        case .double(let d):
            if d.isFinite { out.append(contentsOf: d.description.utf8) } else { append("null") }
        case .string(let s): write(s)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                write(element)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (n, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                write(member.key)
                out.append(UInt8(ascii: ":"))
                write(member.value)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private mutating func append(_ literal: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private mutating func write(_ string: String) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var run = 0  // start of the bytes not yet copied
            for (i, b) in bytes.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
                run = i + 1
                out.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    append("u00")
                    out.append(hex.utf8Start[Int(b >> 4)])
                    out.append(hex.utf8Start[Int(b & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
