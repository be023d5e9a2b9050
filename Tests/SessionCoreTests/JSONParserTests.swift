import Foundation
import SeededRandom
import Testing
@testable import SessionCore

@Suite struct JSONParserTests {
    static let invalid = SessionError.badRequest("body is not valid JSON")

    static func parse(_ text: String) throws(SessionError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }
    static func text(_ value: JSONValue) -> String { String(decoding: value.serialized(), as: UTF8.self) }

    // MARK: - Round trips

    @Test(arguments: [
        // (input, parsed value, serialisation)
        ("0", JSONValue.int(0), "0"),
        ("-0", .int(0), "0"),
        ("17", .int(17), "17"),
        ("-17", .int(-17), "-17"),
        ("1e3", .double(1000), "1000.0"),
        ("1E-2", .double(0.01), "0.01"),
        ("-12.5e+3", .double(-12500), "-12500.0"),
        ("1.0", .double(1), "1.0"),
        ("-0.0", .double(-0.0), "-0.0"),
        ("0.5", .double(0.5), "0.5"),
        ("9223372036854775807", .int(.max), "9223372036854775807"),
        ("-9223372036854775808", .int(.min), "-9223372036854775808"),
        ("9223372036854775808", .double(9223372036854775808), "9.223372036854776e+18"),
        ("-9223372036854775809", .double(-9223372036854775809), "-9.223372036854776e+18"),
        ("12345678901234567890123", .double(1.2345678901234568e22), "1.2345678901234568e+22"),
        ("1e308", .double(1e308), "1e+308"),
        ("-1.7976931348623157e308", .double(-.greatestFiniteMagnitude), "-1.7976931348623157e+308"),
        ("4.9e-324", .double(.leastNonzeroMagnitude), "5e-324"),
        ("1e-999", .double(0), "0.0"),
        ("1E+20", .double(1e20), "1e+20"),
        ("1e-7", .double(1e-7), "1e-07"),
        ("true", .bool(true), "true"),
        ("false", .bool(false), "false"),
        ("null", .null, "null"),
        (#""""#, .string(""), #""""#),
        (#""plain""#, .string("plain"), #""plain""#),
        (#""\u00e9 é \u00E9""#, .string("é é é"), #""é é é""#),
        (#""\ud83d\ude00 😀 \uD83D\uDE00""#, .string("😀 😀 😀"), #""😀 😀 😀""#),
        (#""\u4e2d\u6587 中文""#, .string("中文 中文"), #""中文 中文""#),
        (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t"), #""\"\\/\b\f\n\r\t""#),
        (#""\u0000\u001F\u007f""#, .string("\u{00}\u{1F}\u{7F}"), "\"\\u0000\\u001f\u{7F}\""),
        (#""a/b \u2028""#, .string("a/b \u{2028}"), "\"a/b \u{2028}\""),
        ("[]", .array([]), "[]"),
        ("{}", .object([:]), "{}"),
        (" \t\n\r{ \"b\" : 1 ,\n \"a\" : [ ] }\r\n ", .object(["a": .array([]), "b": .int(1)]), #"{"a":[],"b":1}"#),
        (#"{"a":[1,{"b":null}],"c":{"d":[true,false,[]],"e":{}}}"#,
         .object(["a": .array([.int(1), .object(["b": .null])]),
                  "c": .object(["d": .array([.bool(true), .bool(false), .array([])]), "e": .object([:])])]),
         #"{"a":[1,{"b":null}],"c":{"d":[true,false,[]],"e":{}}}"#),
        (#"{"z":1,"a":2,"m":{"y":[],"b":""}}"#, .object(["z": .int(1), "a": .int(2), "m": .object(["y": .array([]), "b": .string("")])]),
         #"{"a":2,"m":{"b":"","y":[]},"z":1}"#),
    ])
    func roundTrip(_ input: String, _ expected: JSONValue, _ serialization: String) throws {
        let value = try Self.parse(input)
        #expect(value == expected)
        #expect(Self.text(value) == serialization)
        let again = try Self.parse(serialization)
        #expect(again == value)
        #expect(Self.text(again) == serialization)
    }

    @Test func integersIncludeWholeDoubles() throws {
        #expect(try Self.parse("300").integer == 300)
        #expect(try Self.parse("300.0").integer == 300)
        #expect(try Self.parse("3e2").integer == 300)
        #expect(try Self.parse("-7.0").integer == -7)
        #expect(try Self.parse("300.5").integer == nil)
        #expect(try Self.parse("1e19").integer == nil)
        #expect(try Self.parse(#""300""#).integer == nil)
    }

    @Test func nonFiniteDoublesAreWrittenAsNull() {
        #expect(Self.text(.array([.double(.infinity), .double(-.infinity), .double(.nan)])) == "[null,null,null]")
    }

    @Test func everyControlCharacterIsEscaped() throws {
        let all = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let out = JSONValue.string(all).serialized()
        #expect(!out.contains { $0 < 0x20 })
        #expect(try JSONValue.parse(out) == .string(all))
        #expect(String(decoding: out, as: UTF8.self).hasPrefix(#""\u0000\u0001"#))
    }

    /// Swift's shortest round-trip `description` is valid JSON for every finite double and reads
    /// back as the same `.double` (never as `.int`: it always has a `.` or an exponent).
    @Test func doubleDescriptionsAreValidJSON() throws {
        var rng = SplitMix64(state: 7)
        var samples: [Double] = [0, -0.0, 1, -1, 0.1, 1e15, 1e16, 1e-4, 1e-5, 123456789.0, 9007199254740992,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude, .ulpOfOne]
        while samples.count < 20_000 {
            let d = Double(bitPattern: rng.next())
            if d.isFinite { samples.append(d) }
        }
        for d in samples {
            let out = JSONValue.double(d).serialized()
            guard case .double(let back) = try JSONValue.parse(out) else {
                Issue.record("\(d) did not read back as a double: \(String(decoding: out, as: UTF8.self))")
                continue
            }
            #expect(back.bitPattern == d.bitPattern, "\(d)")
        }
    }

    @Test func generatedDocumentsRoundTripExactly() throws {
        var rng = SplitMix64(state: 42)
        for _ in 0..<300 {
            let (text, value) = RandomJSON.document(&rng)
            #expect(try Self.parse(text) == value, "\(text)")
            let out = value.serialized()
            #expect(try JSONValue.parse(out) == value)
            #expect(try JSONValue.parse(out).serialized() == out)
        }
    }

    // MARK: - Differential: Foundation's JSONDecoder/JSONEncoder (the previous implementation)

    static func foundationDecode(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    static func foundationEncode(_ value: JSONValue) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// What JSONDecoder made of a number: any integral value in Int64 range became `.int`
    /// (`1.0`, `1e3`, `1e-999` too). Exact for the generated documents, whose integral doubles are
    /// below 2^53 (above that JSONDecoder used the decimal text, not the double, for the `.int`).
    static func asFoundationDecodes(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d): if let i = Int64(exactly: d) { return .int(i) } else { return value }
        case .array(let a): return .array(a.map(asFoundationDecodes))
        case .object(let o): return .object(o.mapValues(asFoundationDecodes))
        default: return value
        }
    }

    /// Whether a double is written as `<integer>.0`, which JSONEncoder wrote as `<integer>` and
    /// JSONDecoder read as `.int`.
    static func hasWholeDouble(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let d): return d.description.hasSuffix(".0")
        case .array(let a): return a.contains(where: hasWholeDouble)
        case .object(let o): return o.values.contains(where: hasWholeDouble)
        default: return false
        }
    }

    static let handWritten: [String] = [
        #"{"cart":{"items":[{"sku":"A-1","qty":2,"price":12.5},{"sku":"B-22","qty":1,"price":0.99}]},"user":"u-123","flags":{"x":true},"note":"hello","counter":17}"#,
        #"[0,-0,1e3,1E-2,-12.5e+3,9223372036854775807,-9223372036854775808,9223372036854775808,1e308,4.9e-324,1e-999,1.0,0.1e1]"#,
        #"["\u00e9","é","\ud83d\ude00","😀","\uD834\uDD1E","\"\\\/\b\f\n\r\t","\u0000\u001F","a/b","\u2028\u2029",""]"#,
        #" { "a" : [ { } , [ ] , null , true , false ] , "b" : { "c" : { "d" : "e" } } } "#,
        #"{"\u0062c":"key with escape","😀":1,"中文":2,"a/b":3,"~":4,"_":5,"A":6,"a10":7,"a9":8}"#,
        "\"x\"", "null", "true", "false", "-1", "0.25", "[]", "{}",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]

    static func differentialDocuments() -> [[UInt8]] {
        var documents = handWritten.map { Array($0.utf8) }
        var rng = SplitMix64(state: 2026)
        while documents.count < 60 { documents.append(Array(RandomJSON.document(&rng).text.utf8)) }
        return documents
    }

    @Test func parsingAgreesWithJSONDecoder() throws {
        for document in Self.differentialDocuments() {
            let new = try JSONValue.parse(document)
            let old = try Self.foundationDecode(document)
            #expect(old == Self.asFoundationDecodes(new), "\(String(decoding: document, as: UTF8.self))")
            if !Self.hasWholeDouble(new) { #expect(old == new) }
        }
    }

    /// Byte-identical to JSONEncoder(.sortedKeys, .withoutEscapingSlashes) unless the document
    /// holds an integral double (JSONEncoder wrote `1.0` as `1`); either way both read back as
    /// the same document under JSONDecoder's rules, and ours reads back exactly.
    @Test func serialisationAgreesWithJSONEncoder() throws {
        var identical = 0
        let documents = Self.differentialDocuments()
        for document in documents {
            let value = try JSONValue.parse(document)
            let new = value.serialized()
            let old = try Self.foundationEncode(value)
            if !Self.hasWholeDouble(value) {
                #expect(new == old, "\(String(decoding: new, as: UTF8.self)) vs \(String(decoding: old, as: UTF8.self))")
                identical += 1
            }
            #expect(try JSONValue.parse(new) == value)
            #expect(try Self.foundationDecode(new) == Self.asFoundationDecodes(value))
            #expect(try JSONValue.parse(old) == Self.asFoundationDecodes(value))
        }
        #expect(identical >= documents.count / 2)
    }

    // MARK: - Rejections

    @Test(arguments: [
        "", " ", "{", "}", "[", "]", #"{"a":}"#, #"{"a" 1}"#, #"{"a":1"#, #"{a:1}"#, "{'a':1}", #"{"a":1 "b":2}"#, "[1,]", #"{"a":1,}"#,
        "[,1]", "[1,,2]", "[1 2]", "01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "0x10", "NaN", "-NaN", "Infinity",
        "-Infinity", "tru", "nul", "fals", "True", "NULL", "\"\u{01}\"", "\"\u{1F}\"", "\"a\nb\"", "\"\t\"", #""\u12""#, #""\u12g4""#, #""\x41""#,
        #""\'""#, #""\U0041""#, #""\ud800""#, #""\udc00""#, #""\udbff""#, #""\udfff""#, #""\ud800\udbff""#, #""\ud800\u0041""#, #""\ud800\ud800""#, #""\ud800x""#, #""\udc00\ud800""#,
        #""abc"#, "\"\\", "1 2", "[1] x", "{} {}", "\"a\" \"b\"", "1e999", "-1e999", "\u{0C}1", "1\u{0B}", "\u{A0}1", "\u{FEFF}1",
    ])
    func rejects(_ text: String) {
        #expect(throws: Self.invalid) { try Self.parse(text) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xC3, 0x5C, 0x6E, 0x22],
        [0x22, 0x5C, 0x6E, 0xA9, 0x22], [0x22, 0x00, 0x22], [0x31, 0x00], [0x00], [0x7B, 0xFF, 0x7D],
    ] as [[UInt8]])
    func rejectsBadBytes(_ bytes: [UInt8]) {
        #expect(throws: Self.invalid) { try JSONValue.parse(bytes) }
    }

    @Test func deepNestingIsRejectedWithoutCrashing() {
        let arrays = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: Self.invalid) { try JSONValue.parse(arrays) }
        let balanced = arrays + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(throws: Self.invalid) { try JSONValue.parse(balanced) }
        let objects = Array(String(repeating: #"{"a":"#, count: 100_000).utf8)
        #expect(throws: Self.invalid) { try JSONValue.parse(objects) }
    }

    @Test func nestingUpTo512IsAccepted() throws {
        func arrays(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        func objects(_ depth: Int) -> String { String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth) }
        func mixed(_ depth: Int) -> String {
            (0..<depth).map { $0.isMultiple(of: 2) ? "[" : #"{"a":"# }.joined() + "0"
                + (0..<depth).reversed().map { $0.isMultiple(of: 2) ? "]" : "}" }.joined()
        }
        for make in [arrays, objects, mixed] {
            let deepest = try Self.parse(make(512))
            #expect(try Self.parse(Self.text(deepest)) == deepest)
            #expect(throws: Self.invalid) { try Self.parse(make(513)) }
        }
    }
}


/// Random valid JSON text with varied spelling (escapes, number forms, whitespace) and the value it denotes.
/// Keys are distinct within an object (JSONDecoder and this parser differ on duplicates), and
/// integral doubles stay below 2^53 or above Int64's range (see `asFoundationDecodes`).
enum RandomJSON {
    static let characters: [Character] = Array("abcXYZ019 _-/\\\"'{}[]:,.éß中文😀🎉\u{7F}\u{2028}\u{0}\u{1}\u{1F}\n\t\r\u{08}\u{0C}")

    static func document(_ rng: inout SplitMix64) -> (text: String, value: JSONValue) {
        var text = ""
        let value = container(depth: 0, &rng, &text)
        return (whitespace(&rng) + text + whitespace(&rng), value)
    }

    static func whitespace(_ rng: inout SplitMix64) -> String {
        guard Int.random(in: 0..<4, using: &rng) == 0 else { return "" }
        return String((0..<Int.random(in: 1...3, using: &rng)).map { _ in [" ", "\t", "\n", "\r"].randomElement(using: &rng)! })
    }

    static func container(depth: Int, _ rng: inout SplitMix64, _ text: inout String) -> JSONValue {
        let count = Int.random(in: 0...(depth == 0 ? 8 : 5), using: &rng)
        if Bool.random(using: &rng) {
            text += "["
            var elements: [JSONValue] = []
            for n in 0..<count {
                if n > 0 { text += "," }
                text += whitespace(&rng)
                elements.append(value(depth: depth + 1, &rng, &text))
                text += whitespace(&rng)
            }
            text += "]"
            return .array(elements)
        }
        text += "{"
        var members: [String: JSONValue] = [:]
        for _ in 0..<count {
            let key = randomString(&rng)
            guard members[key] == nil else { continue }
            if !members.isEmpty { text += "," }
            text += whitespace(&rng)
            text += spelled(key, &rng)
            text += whitespace(&rng) + ":" + whitespace(&rng)
            members[key] = value(depth: depth + 1, &rng, &text)
            text += whitespace(&rng)
        }
        text += "}"
        return .object(members)
    }

    static func value(depth: Int, _ rng: inout SplitMix64, _ text: inout String) -> JSONValue {
        switch Int.random(in: 0..<(depth < 5 ? 10 : 8), using: &rng) {
        case 0: text += "null"; return .null
        case 1: let b = Bool.random(using: &rng); text += b ? "true" : "false"; return .bool(b)
        case 2, 3:
            let i: Int64 = switch Int.random(in: 0..<3, using: &rng) {
            case 0: Int64.random(in: -100...1000, using: &rng)
            case 1: Int64.random(in: .min ... .max, using: &rng)
            default: [Int64.min, .max, 0, -1][Int.random(in: 0..<4, using: &rng)]
            }
            text += String(i)
            return .int(i)
        case 4, 5:
            let s = randomString(&rng)
            text += spelled(s, &rng)
            return .string(s)
        case 6, 7:
            let (spelling, d) = randomDouble(&rng)
            text += spelling
            return .double(d)
        default:
            return container(depth: depth, &rng, &text)
        }
    }

    static func randomString(_ rng: inout SplitMix64) -> String {
        String((0..<Int.random(in: 0...12, using: &rng)).map { _ in characters.randomElement(using: &rng)! })
    }

    /// A string literal with a random mix of raw characters and escapes (`\uXXXX` in either case, surrogate pairs).
    static func spelled(_ s: String, _ rng: inout SplitMix64) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
            switch Int.random(in: 0..<3, using: &rng) {
            case 0 where !mustEscape:
                out.unicodeScalars.append(scalar)
            case 1 where [0x22, 0x5C, 0x2F, 0x08, 0x0C, 0x0A, 0x0D, 0x09].contains(scalar.value):
                out += ["\"": "\\\"", "\\": "\\\\", "/": "\\/", "\u{08}": "\\b", "\u{0C}": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"][String(scalar)]!
            default:
                let upper = Bool.random(using: &rng)
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: upper)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return out + "\""
    }

    static func randomDouble(_ rng: inout SplitMix64) -> (String, Double) {
        while true {
            let spelling: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:  // a plain decimal fraction
                spelling = "\(Int.random(in: -99_999...99_999, using: &rng)).\(Int.random(in: 0...999, using: &rng))"
            case 1:  // mantissa and exponent in any case and sign
                let exponent = Int.random(in: -330...330, using: &rng)
                let sign = exponent < 0 ? "-" : ["", "+"][Int.random(in: 0...1, using: &rng)]
                spelling = "\(Int.random(in: -9...9, using: &rng)).\(Int.random(in: 1...99_999, using: &rng))"
                    + ["e", "E"][Int.random(in: 0...1, using: &rng)] + sign + String(exponent.magnitude)
            case 2:  // an integer with an exponent
                spelling = "\(Int.random(in: 1...999, using: &rng))e\(Int.random(in: -5...25, using: &rng))"
            default:  // any finite bit pattern, as Swift prints it
                let d = Double(bitPattern: rng.next())
                guard d.isFinite else { continue }
                spelling = d.description
            }
            let d = Double(spelling)!
            let magnitude = d.magnitude
            guard d.isFinite, !(magnitude >= 0x1p53 && magnitude <= 0x1p63) else { continue }
            return (spelling, d)
        }
    }
}

/// Foundation's Codable route (what `parse`/`serialized()` replaced), for the differential tests
/// only: it reads `1.0` as `.int` and keeps the first of duplicate keys, unlike `parse`.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// Duplicate object keys are a 400 at any depth (parsers disagree on which one wins).
@Suite struct JSONDuplicateKeyTests {
    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        #"{"\u00e9":1,"é":2}"#,
        #"{"data":{"paid":true,"paid":false}}"#,
        #"[{"x":1},{"y":2,"y":2}]"#,
    ])
    func rejected(_ input: String) {
        #expect(throws: SessionError.badRequest("body has a duplicate object key")) { try JSONValue.parse(Array(input.utf8)) }
    }

    @Test func sameKeyInSiblingObjectsIsFine() throws {
        #expect(try JSONValue.parse(Array(#"[{"a":1},{"a":2}]"#.utf8)) == .array([.object(["a": .int(1)]), .object(["a": .int(2)])]))
    }
}
