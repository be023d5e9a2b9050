/// A file mode such as 0660, written in octal (`0o660` too), at most 0777.
public struct FileMode: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public var description: String { "0" + String(rawValue, radix: 8) }
}

extension FileMode: SettingValue {
    public init?(settingText: String) {
        let digits = settingText.hasPrefix("0o") ? String(settingText.dropFirst(2)) : settingText
        guard let value = UInt16(digits, radix: 8), value <= 0o777 else { return nil }
        self.init(value)
    }

    public var settingText: String? { description }
    public static var expected: String { "octal such as 0660" }
    public static var placeholder: String { "mode" }
}
