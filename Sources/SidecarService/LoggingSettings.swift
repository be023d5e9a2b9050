import Logging

extension Logger.Level: SettingValue {
    public init?(settingText: String) { self.init(rawValue: settingText) }
    public var settingText: String? { rawValue }
    public static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    public static var placeholder: String { "level" }
}

extension SidecarConfig {
    /// The handler of a logger labelled `label`, writing to standard error at `logLevel`: for
    /// `LoggingSystem.bootstrap`.
    public func logHandler(label: String) -> any LogHandler {
        var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
        handler.logLevel = logLevel
        return handler
    }
}
