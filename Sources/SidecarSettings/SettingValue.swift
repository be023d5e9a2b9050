import Foundation

/// A type a setting can have: parsed once, at startup, from an environment variable's or a flag's
/// text and from the config file's JSON, and shown as text in `--help`.
public protocol SettingValue: Sendable, Equatable {
    /// From an environment variable or a flag; nil if the text is not a value of this type.
    init?(settingText: String)
    /// From the config file; nil if the JSON is not a value of this type. By default a JSON
    /// string, parsed as `settingText`.
    init?(fileValue: ConfigFileValue)
    /// The value as `--help` shows it; nil for none.
    var settingText: String? { get }
    /// What a valid value looks like, for messages: "an integer", "HOST:PORT".
    static var expected: String { get }
    /// The value's name after the flag in `--help`.
    static var placeholder: String { get }
    /// The flag alone sets it (no value follows).
    static var isSwitch: Bool { get }
    /// Several values: a repeatable flag, comma-separated text, a JSON array.
    static var isList: Bool { get }
}

extension SettingValue {
    public init?(fileValue: ConfigFileValue) {
        guard case .string(let text) = fileValue else { return nil }
        self.init(settingText: text)
    }

    public static var isSwitch: Bool { false }
    public static var isList: Bool { false }
}

/// A value in the JSON config file.
public enum ConfigFileValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([ConfigFileValue])
    case object([String: ConfigFileValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([ConfigFileValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: ConfigFileValue].self)) }
    }

    /// As the file wrote it, for messages.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let v): "\(v)"
        case .int(let v): "\(v)"
        case .number(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        case .array(let v): "[" + v.map(\.text).joined(separator: ", ") + "]"
        case .object: "{…}"
        }
    }
}

extension String: SettingValue {
    public init?(settingText: String) { self = settingText }
    public var settingText: String? { isEmpty ? nil : self }
    public static var expected: String { "a string" }
    public static var placeholder: String { "text" }
}

extension Int: SettingValue {
    public init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }

    public init?(fileValue: ConfigFileValue) {
        guard case .int(let v) = fileValue else { return nil }
        self = v
    }

    public var settingText: String? { "\(self)" }
    public static var expected: String { "an integer" }
    public static var placeholder: String { "n" }
}

extension Bool: SettingValue {
    public init?(settingText: String) {
        switch settingText.lowercased() {
        case "1", "true", "yes", "on": self = true
        case "0", "false", "no", "off": self = false
        default: return nil
        }
    }

    public init?(fileValue: ConfigFileValue) {
        guard case .bool(let v) = fileValue else { return nil }
        self = v
    }

    /// A switch is off unless given, so its default goes unsaid.
    public var settingText: String? { self ? "true" : nil }
    public static var expected: String { "true or false" }
    public static var placeholder: String { "" }
    public static var isSwitch: Bool { true }
}

/// Unset (JSON `null`, or no default), or a value.
extension Optional: SettingValue where Wrapped: SettingValue {
    public init?(settingText: String) {
        guard let value = Wrapped(settingText: settingText) else { return nil }
        self = .some(value)
    }

    public init?(fileValue: ConfigFileValue) {
        if fileValue == .null { self = .none; return }
        guard let value = Wrapped(fileValue: fileValue) else { return nil }
        self = .some(value)
    }

    public var settingText: String? { self?.settingText ?? nil }
    public static var expected: String { Wrapped.expected }
    public static var placeholder: String { Wrapped.placeholder }
    public static var isSwitch: Bool { Wrapped.isSwitch }
}

/// Comma-separated text (`a:1, b:2`), a JSON array, or the flag repeated.
extension Array: SettingValue where Element: SettingValue {
    public init?(settingText: String) {
        var values = [Element]()
        for part in settingText.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            guard let value = Element(settingText: text) else { return nil }
            values.append(value)
        }
        self = values
    }

    public init?(fileValue: ConfigFileValue) {
        guard case .array(let items) = fileValue else { return nil }
        var values = [Element]()
        for item in items {
            guard let value = Element(fileValue: item) else { return nil }
            values.append(value)
        }
        self = values
    }

    public var settingText: String? { isEmpty ? nil : compactMap(\.settingText).joined(separator: ",") }
    public static var expected: String { "a list of \(Element.expected)" }
    public static var placeholder: String { Element.placeholder + ",…" }
    public static var isList: Bool { true }
}
