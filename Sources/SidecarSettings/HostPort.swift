/// A `host:port` address of a setting (gossip, agent, admin, app, store nodes), parsed at startup.
/// An IPv6 host is written in brackets, `[::1]:7946`, and held without them.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// 127.x, ::1 or localhost.
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" || host == "localhost" }
}

extension HostPort: SettingValue {
    public init?(settingText: String) { self.init(settingText) }
    public var settingText: String? { description }
    public static var expected: String { "HOST:PORT" }
    public static var placeholder: String { "host:port" }
}
