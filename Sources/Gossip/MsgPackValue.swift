// A strict, bounded msgpack codec written for this module.
//
// No msgpack package is available in this environment's package mirror, and the
// Gossip module must stay dependency-free, so the codec is hand-written. It follows
// what go-msgpack 0.5.5 (`codec.MsgpackHandle{}` defaults, old ugorji) emits and
// accepts: strings and []byte use the old "raw" str family (fixstr / 0xda / 0xdb,
// never 0xd9 or bin on output), integers use the smallest encoding, struct keys are
// Go field names sorted by byte order.

/// A decoded msgpack value. `raw` is the str family (Go emits it for both `string`
/// and `[]byte`); `bin` is the bin family (accepted for `[]byte` fields only).
public enum MsgPackValue: Sendable, Equatable {
    case nilValue
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case raw([UInt8])
    case bin([UInt8])
    case array([MsgPackValue])
    case map([MsgPackPair])
    case ext(Int8, [UInt8])
}

public struct MsgPackPair: Sendable, Equatable {
    public var key: MsgPackValue
    public var value: MsgPackValue
    public init(_ key: MsgPackValue, _ value: MsgPackValue) {
        self.key = key
        self.value = value
    }
}

/// Typed decoding errors. Every malformed input maps to one of these; nothing traps.
public enum MsgPackError: Error, Sendable, Equatable {
    /// The input ended before the value did (also the "need more bytes" signal for streams).
    case truncated
    /// A declared length exceeds the bytes that remain, or a limit on sizes.
    case lengthExceedsInput(declared: UInt64, remaining: Int)
    case tooDeep(limit: Int)
    case tooManyElements(limit: Int)
    case invalidByte(UInt8)
    case typeMismatch(field: String, expected: String)
    case integerOverflow(field: String)
    case badLength(field: String, length: Int)
    case notAMap
}

/// Limits applied while decoding untrusted input. All checks happen before allocation.
public struct MsgPackLimits: Sendable {
    public var maxDepth: Int
    /// Maximum entries in one array or map.
    public var maxContainerElements: Int
    /// Maximum values decoded in total for one top-level value.
    public var maxTotalElements: Int
    public init(maxDepth: Int = 32, maxContainerElements: Int = 65_536, maxTotalElements: Int = 262_144) {
        self.maxDepth = maxDepth
        self.maxContainerElements = maxContainerElements
        self.maxTotalElements = maxTotalElements
    }
    public static let `default` = MsgPackLimits()
}

extension MsgPackValue {
    /// Looks up a string key in a map value (Go struct field names are case-sensitive).
    public subscript(key: String) -> MsgPackValue? {
        guard case .map(let pairs) = self else { return nil }
        let k = Array(key.utf8)
        // Last duplicate wins, as when Go decodes into a struct.
        var found: MsgPackValue?
        for p in pairs {
            if case .raw(let b) = p.key, b == k { found = p.value }
        }
        return found
    }
}
