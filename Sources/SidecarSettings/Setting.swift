/// One setting of `sessionmesh run`, declared once on its `SidecarConfig` property: the key of the
/// config file, the help, the rule, and (the property's initial value) the default. The flag and
/// the environment variable follow from the key: `pollTimeoutMs` is `--poll-timeout-ms` and
/// `SESSIONMESH_POLL_TIMEOUT_MS`. The property's type parses the text and JSON (`SettingValue`).
///
/// `SidecarConfig(file:environment:arguments:)` initializes a config while the sources are the
/// task-local `SettingSources.resolving`, so each property takes its value from them as it is
/// initialized (outside that, the default). `SidecarConfig.settings` lists the settings, by
/// reflection as swift-argument-parser finds its options, for `--help`, the flag parser and
/// validation.
@propertyWrapper
public struct Setting<Value: SettingValue>: Sendable {
    public var wrappedValue: Value
    public let key: String
    let help: String
    let placeholder: String?
    let rule: SettingRule<Value>?
    let defaultValue: Value

    /// - Parameters:
    ///   - key: the config file key, camelCase; the property should have the same name.
    ///   - placeholder: the value's name after the flag in `--help` (default: the type's).
    ///   - rule: what the value must also satisfy, beyond parsing as its type.
    public init(wrappedValue: Value, _ key: String, _ placeholder: String? = nil, help: String, rule: SettingRule<Value>? = nil) {
        self.key = key
        self.help = help
        self.placeholder = placeholder
        self.rule = rule
        defaultValue = wrappedValue
        self.wrappedValue = SettingSources.resolving?.value(of: key, default: wrappedValue) ?? wrappedValue
    }
}

extension Setting: Equatable {
    /// Settings are equal when their values are.
    public static func == (a: Setting, b: Setting) -> Bool { a.wrappedValue == b.wrappedValue }
}

/// What the help, the flag parser and validation need of a setting, whatever its type.
protocol SettingDescription: Sendable {
    var key: String { get }
    var help: String { get }
    /// The flag alone sets it (a `Bool`).
    var isSwitch: Bool { get }
    /// Repeatable flag, comma-separated text, JSON array.
    var isList: Bool { get }
    /// After the flag in `--help`, e.g. `<ms>`.
    var placeholderText: String { get }
    /// The default as `--help` shows it; nil: none shown.
    var defaultText: String? { get }
    /// What is wrong with the current value, as a sentence naming the setting; nil: nothing.
    var problem: String? { get }
}

extension Setting: SettingDescription {
    var isSwitch: Bool { Value.isSwitch }
    var isList: Bool { Value.isList }
    var placeholderText: String { placeholder ?? Value.placeholder }
    var defaultText: String? { defaultValue.settingText }
    var problem: String? { rule?.check(wrappedValue).map { "\(key) \($0)" } }
}

extension SettingDescription {
    var flag: String { SettingName.flag(key) }
    var environmentName: String { SettingName.environment(key) }
}

/// The names a setting's key gives it.
enum SettingName {
    /// `--poll-timeout-ms` for `pollTimeoutMs`.
    static func flag(_ key: String) -> String { "--" + words(of: key, separator: "-").lowercased() }

    /// `SESSIONMESH_POLL_TIMEOUT_MS` for `pollTimeoutMs`.
    static func environment(_ key: String) -> String { "SESSIONMESH_" + words(of: key, separator: "_").uppercased() }

    private static func words(of key: String, separator: Character) -> String {
        key.reduce(into: "") { s, c in
            if c.isUppercase { s.append(separator) }
            s.append(c)
        }
    }
}

/// A check a setting's value must pass; answers what is wrong ("must be between 1 and 64").
public struct SettingRule<Value>: Sendable {
    let check: @Sendable (Value) -> String?

    public init(_ check: @escaping @Sendable (Value) -> String?) { self.check = check }

    /// When the value is set, it must pass `rule`.
    public static func whenSet<Wrapped>(_ rule: SettingRule<Wrapped>) -> SettingRule<Value> where Value == Wrapped? {
        SettingRule { value in value.flatMap(rule.check) }
    }
}

extension SettingRule where Value == Int {
    public static func between(_ low: Int, _ high: Int) -> Self {
        Self { (low...high).contains($0) ? nil : "must be between \(low) and \(high)" }
    }

    public static func atLeast(_ low: Int) -> Self {
        Self { $0 >= low ? nil : "must be at least \(low)" }
    }
}

extension SettingRule where Value == String {
    /// Not empty, with `hint` saying how to set it.
    public static func required(_ hint: String) -> Self {
        Self { $0.isEmpty ? "is not set: \(hint)" : nil }
    }

    /// 1 to `max` bytes.
    public static func bytes(upTo max: Int) -> Self {
        Self { $0.isEmpty || $0.utf8.count > max ? "must be 1 to \(max) bytes" : nil }
    }
}
