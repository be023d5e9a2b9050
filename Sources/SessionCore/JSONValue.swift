/// A JSON document, for validating bodies and applying merge patches.
///
/// `parse` and `serialized()` are hand-written (`JSONParser`, `JSONSerializer`). The `Codable`
/// conformance is independent of them; the tests use it to compare with Foundation's coders.
public enum JSONValue: Equatable, Sendable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

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

    /// Parses bytes as one JSON document (strict RFC 8259; see `JSONParser` for the details).
    public static func parse(_ bytes: [UInt8]) throws(SessionError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(SessionError) in try JSONParser.parse(buffer) }
    }

    /// Compact UTF-8 serialisation with keys sorted by `String` `<` (stable bytes for equal
    /// documents); see `JSONSerializer` for the details.
    public func serialized() -> [UInt8] {
        JSONSerializer.serialize(self)
    }

    /// RFC 7396 JSON merge patch.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result: [String: JSONValue]
        if case .object(let members) = self { result = members } else { result = [:] }
        for (key, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = (result[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(result)
    }
}
