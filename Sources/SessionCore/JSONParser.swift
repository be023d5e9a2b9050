/// Strict RFC 8259 recursive-descent parser over a byte buffer, producing a `JSONValue`.
///
/// - Whitespace is space, tab, LF and CR only; exactly one value (of any type) with optional
///   surrounding whitespace, nothing after it.
/// - Strings must be valid UTF-8 without raw control characters (< 0x20); all escapes are decoded,
///   `\uXXXX` surrogates only as a high+low pair. A string without escapes is built straight from
///   the input bytes.
/// - Numbers follow the JSON grammar exactly. One without fraction and exponent that fits `Int64`
///   is `.int`; any other is `.double` and must be finite (`1e999` is rejected, `1e-999` is `0.0`).
///   So `1.0` and `1e3` are `.double` (JSONDecoder made them `.int`).
/// - Duplicate object keys are rejected (`badRequest`, 400): RFC 8259 leaves their meaning open
///   and parsers disagree (ECMAScript keeps the last, JSONDecoder the first), so a body that two
///   readers could see differently is refused. Keys are Swift `String`s, so canonically
///   equivalent keys (NFC vs NFD) count as duplicates too.
/// - Nesting deeper than `maxDepth` arrays/objects is rejected, which bounds the recursion.
///
/// Every failure is `SessionError.badRequest("body is not valid JSON")` (a duplicate key has its own message).
struct JSONParser {
    /// Deepest accepted nesting of arrays and objects (the top-level container is depth 1).
    static let maxDepth = 512

    static var invalid: SessionError { .badRequest("body is not valid JSON") }
    static var duplicateKey: SessionError { .badRequest("body has a duplicate object key") }

    private let input: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// The elements and members parsed so far of all open arrays and objects, innermost last:
    /// each container is built at its end with its exact size, so that neither an array nor a
    /// dictionary grows (and rehashes) while it is filled.
    private var pendingElements: [JSONValue] = []
    private var pendingMembers: [(key: String, value: JSONValue)] = []

    private init(_ input: UnsafeBufferPointer<UInt8>) { self.input = input }

    /// Parses `input` as one complete JSON document.
    static func parse(_ input: UnsafeBufferPointer<UInt8>) throws(SessionError) -> JSONValue {
        var parser = JSONParser(input)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == input.count else { throw invalid }
        return value
    }

    // MARK: - Bytes

    /// The byte at `i`, or 0 past the end. A 0 byte is invalid wherever the parser looks
    /// (raw control characters are rejected inside strings), so the end needs no separate checks.
    @inline(__always)
    private func byte(_ i: Int) -> UInt8 { i < input.count ? input[i] : 0 }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private mutating func skipWhitespace() {
        while true {
            switch byte(index) {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    // MARK: - Values

    /// A value starting at `index` (no leading whitespace), inside `depth` containers.
    private mutating func value(depth: Int) throws(SessionError) -> JSONValue {
        switch byte(index) {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw Self.invalid
        }
    }

    private mutating func literal(_ word: StaticString) throws(SessionError) {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for (offset, expected) in bytes.enumerated() where byte(index + offset) != expected {
            throw Self.invalid
        }
        index += bytes.count
    }

    private mutating func array(depth: Int) throws(SessionError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw Self.invalid }
        index += 1  // [
        skipWhitespace()
        if byte(index) == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        let base = pendingElements.count
        while true {
            let element = try value(depth: depth)
            pendingElements.append(element)
            skipWhitespace()
            switch byte(index) {
            case UInt8(ascii: ","): index += 1; skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                let elements = Array(pendingElements[base...])
                pendingElements.removeLast(pendingElements.count - base)
                return .array(elements)
            default: throw Self.invalid
            }
        }
    }

    private mutating func object(depth: Int) throws(SessionError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw Self.invalid }
        index += 1  // {
        skipWhitespace()
        if byte(index) == UInt8(ascii: "}") {
            index += 1
            return .object([:])
        }
        let base = pendingMembers.count
        while true {
            guard byte(index) == UInt8(ascii: "\"") else { throw Self.invalid }
            let key = try string()
            skipWhitespace()
            guard byte(index) == UInt8(ascii: ":") else { throw Self.invalid }
            index += 1
            skipWhitespace()
            let member = try value(depth: depth)
            pendingMembers.append((key, member))
            skipWhitespace()
            switch byte(index) {
            case UInt8(ascii: ","): index += 1; skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                var members = [String: JSONValue](minimumCapacity: pendingMembers.count - base)
                for (key, member) in pendingMembers[base...] where members.updateValue(member, forKey: key) != nil {
                    throw Self.duplicateKey
                }
                pendingMembers.removeLast(pendingMembers.count - base)
                return .object(members)
            default: throw Self.invalid
            }
        }
    }

    // MARK: - Strings

    /// A string starting at the opening quote; leaves `index` after the closing quote.
    private mutating func string() throws(SessionError) -> String {
        index += 1  // "
        let start = index
        var union: UInt8 = 0  // every byte or'ed together: < 0x80 means ASCII, valid UTF-8
        while true {
            let b = byte(index)
            if b == UInt8(ascii: "\"") {
                let bytes = UnsafeBufferPointer(rebasing: input[start..<index])
                let s = union < 0x80 ? String(decoding: bytes, as: UTF8.self) : try Self.validatedString(bytes)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if b < 0x20 { throw Self.invalid }  // raw control character, or the end of the input
            union |= b
            index += 1
        }
    }

    /// The slow path: `index` is at the first backslash of the string whose content starts at `start`.
    private mutating func escapedString(from start: Int) throws(SessionError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(index - start + 16)
        var run = start  // start of the raw bytes not yet copied
        while true {
            let b = byte(index)
            if b == UInt8(ascii: "\"") {
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: input[run..<index]))
                index += 1
                // Escapes produce whole, valid sequences, so validating the result validates the raw runs.
                return try decoded.withUnsafeBufferPointer { buffer throws(SessionError) in try Self.validatedString(buffer) }
            }
            if b < 0x20 { throw Self.invalid }
            guard b == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            decoded.append(contentsOf: UnsafeBufferPointer(rebasing: input[run..<index]))
            let escape = byte(index + 1)
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                switch scalar {
                case 0xD800...0xDBFF:
                    guard byte(index) == UInt8(ascii: "\\"), byte(index + 1) == UInt8(ascii: "u") else { throw Self.invalid }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Self.invalid }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                case 0xDC00...0xDFFF:
                    throw Self.invalid  // a low surrogate without a high one
                default:
                    break
                }
                Self.appendUTF8(scalar, to: &decoded)
            default:
                throw Self.invalid
            }
            run = index
        }
    }

    /// Four hex digits at `index` (after `\u`), advancing past them.
    private mutating func hex4() throws(SessionError) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<4 {
            let b = byte(index)
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw Self.invalid
            }
            result = result << 4 | UInt32(digit)
            index += 1
        }
        return result
    }

    /// Appends a scalar value (never a surrogate, at most 0x10FFFF) as UTF-8.
    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The string for UTF-8 `bytes`, which must be valid. `String(decoding:)` replaces invalid
    /// sequences with U+FFFD, so the result has the same bytes exactly when the input was valid.
    /// (This is faster than `String(validating:as:)`, which is not specialised for UTF-8.)
    private static func validatedString(_ bytes: UnsafeBufferPointer<UInt8>) throws(SessionError) -> String {
        var s = String(decoding: bytes, as: UTF8.self)
        guard s.withUTF8({ $0.elementsEqual(bytes) }) else { throw invalid }
        return s
    }

    // MARK: - Numbers

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func number() throws(SessionError) -> JSONValue {
        let start = index
        let negative = byte(index) == UInt8(ascii: "-")
        if negative { index += 1 }

        var magnitude: UInt64 = 0
        var overflow = false
        let first = byte(index)
        if first == UInt8(ascii: "0") {
            index += 1
        } else if Self.isDigit(first) {
            while Self.isDigit(byte(index)) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte(index) - UInt8(ascii: "0")))
                magnitude = sum
                overflow = overflow || o1 || o2
                index += 1
            }
        } else {
            throw Self.invalid  // "-" alone, "-x"
        }

        var integral = true
        if byte(index) == UInt8(ascii: ".") {
            index += 1
            guard Self.isDigit(byte(index)) else { throw Self.invalid }
            while Self.isDigit(byte(index)) { index += 1 }
            integral = false
        }
        if byte(index) | 0x20 == UInt8(ascii: "e") {
            index += 1
            if byte(index) == UInt8(ascii: "+") || byte(index) == UInt8(ascii: "-") { index += 1 }
            guard Self.isDigit(byte(index)) else { throw Self.invalid }
            while Self.isDigit(byte(index)) { index += 1 }
            integral = false
        }

        if integral && !overflow {
            if !negative, magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            if negative, magnitude <= Int64.min.magnitude { return .int(Int64(truncatingIfNeeded: 0 &- magnitude)) }
        }
        // The text matched the JSON grammar above, a subset of what `Double.init?(_:)` accepts.
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw Self.invalid }
        return .double(d)
    }
}
