/// A JSON document, for validating bodies and applying merge patches.
///
/// `parse` and `serialized()` are hand-written (`JSONParser`, `JSONSerializer`).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An integer: `.int`, or a `.double` without a fractional part that fits `Int64` (`300.0`,
    /// `3e2`): JSON does not tell the two apart, so neither may an API that wants a count.
    public var integer: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
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
