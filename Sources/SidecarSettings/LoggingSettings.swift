import Logging

/// How log lines are written: `text` (swift-log's stream format) or `json` (one object per line).
public enum LogFormat: String, Sendable, CaseIterable, SettingValue {
    case text, json

    public init?(settingText: String) { self.init(rawValue: settingText) }
    public var settingText: String? { rawValue }
    public static var expected: String { allCases.map(\.rawValue).joined(separator: " or ") }
    public static var placeholder: String { allCases.map(\.rawValue).joined(separator: "|") }
}

extension Logger.Level: SettingValue {
    public init?(settingText: String) { self.init(rawValue: settingText) }
    public var settingText: String? { rawValue }
    public static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    public static var placeholder: String { "level" }
}

extension SidecarConfig {
    /// The handler of a logger labelled `label`, writing to standard error at `logLevel` in
    /// `logFormat`: for `LoggingSystem.bootstrap`.
    public func logHandler(label: String) -> any LogHandler {
        switch logFormat {
        case .text:
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = logLevel
            return handler
        case .json:
            var handler = JSONLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
