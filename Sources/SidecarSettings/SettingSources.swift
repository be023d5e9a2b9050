import Foundation
import Synchronization

/// Where the settings of `sessionmesh run` come from, later ones winning: the defaults (on the
/// `SidecarConfig` properties), the JSON config file, `SESSIONMESH_*` environment variables,
/// then the command line.
struct SettingSources: Sendable {
    /// The config file's settings by key, and its path for messages.
    var file: [String: ConfigFileValue] = [:]
    var filePath = ""
    var environment: [String: String] = [:]
    /// Each flag's values by key, in the order given.
    var flags: [String: [String]] = [:]

    init() {}

    /// Reads the file (if any) and the command line (`--flag VALUE`, `--flag=VALUE`, `--switch`)
    /// against `settings`: an unknown key or flag is an error.
    init(file path: String?, environment: [String: String], arguments: [String], settings: [any SettingDescription]) throws(ConfigError) {
        if let path {
            file = try Self.read(file: path, known: Set(settings.map { $0.key }))
            filePath = path
        }
        self.environment = environment
        flags = try Self.parse(arguments: arguments, settings: settings)
    }

    /// A JSON object of settings; lines whose first non-blank characters are `//` are comments.
    static func read(file path: String, known: Set<String>) throws(ConfigError) -> [String: ConfigFileValue] {
        guard let raw = FileManager.default.contents(atPath: path) else { throw .init("cannot read config file \(path)") }
        let data = Data(String(decoding: raw, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String($0) }
            .joined(separator: "\n").utf8)
        let value: ConfigFileValue
        do { value = try JSONDecoder().decode(ConfigFileValue.self, from: data) } catch {
            throw .init("config file \(path) is not valid JSON: \(error)")
        }
        guard case .object(let settings) = value else { throw .init("config file \(path) must hold a JSON object") }
        // A typo must not pass silently.
        if let unknown = settings.keys.sorted().first(where: { !known.contains($0) }) {
            throw .init("unknown setting '\(unknown)' in \(path)")
        }
        return settings
    }

    static func parse(arguments: [String], settings: [any SettingDescription]) throws(ConfigError) -> [String: [String]] {
        let byFlag = Dictionary(settings.map { ($0.flag, $0) }, uniquingKeysWith: { first, _ in first })
        var flags = [String: [String]]()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else { throw .init("unexpected argument '\(argument)'") }
            let name = String(argument.prefix { $0 != "=" })
            let inline = argument.firstIndex(of: "=").map { String(argument[argument.index(after: $0)...]) }
            guard let setting = byFlag[name] else { throw .init("unknown option '\(name)' (see sessionmesh run --help)") }
            let value: String
            if let inline {
                value = inline
            } else if setting.isSwitch {
                value = "true"
            } else {
                guard let next = rest.popFirst() else { throw .init("\(name) needs a value: \(name) \(setting.placeholderText)") }
                value = next
            }
            flags[setting.key, default: []].append(value)
        }
        return flags
    }

    /// The value of setting `key` from the strongest source that has it, else `default`. When that
    /// source's value is not a `Value`, the problem, naming the setting and the source, goes to
    /// `problems` (and `default` is returned).
    func value<Value: SettingValue>(of key: String, default: Value, problems: inout [String]) -> Value {
        if let texts = flags[key] {
            // A list takes every occurrence; otherwise the last one wins.
            let text = Value.isList ? texts.joined(separator: ",") : texts.last!
            if let v = Value(settingText: text) { return v }
            problems.append("\(SettingName.flag(key)): \(key) must be \(Value.expected), got '\(text)'")
        } else if let text = environment[SettingName.environment(key)] {
            if let v = Value(settingText: text) { return v }
            problems.append("\(SettingName.environment(key)): \(key) must be \(Value.expected), got '\(text)'")
        } else if let json = file[key] {
            if let v = Value(fileValue: json) { return v }
            problems.append("\(key) in \(filePath) must be \(Value.expected), got \(json.text)")
        }
        return `default`
    }
}

extension SettingSources {
    /// The sources being read while `resolve` initializes a config: each `Setting` takes its value.
    @TaskLocal static var resolving: Resolution?

    final class Resolution: Sendable {
        let sources: SettingSources
        private let found = Mutex<[String]>([])

        init(_ sources: SettingSources) { self.sources = sources }

        func value<Value: SettingValue>(of key: String, default: Value) -> Value {
            found.withLock { sources.value(of: key, default: `default`, problems: &$0) }
        }

        /// Every value that did not parse, one message each.
        var problems: [String] { found.withLock { $0 } }
    }

    /// `make()` with every `Setting` it initializes read from these sources; throws naming the
    /// first setting whose value does not parse.
    func resolve<Config>(_ make: () -> Config) throws(ConfigError) -> Config {
        let resolution = Resolution(self)
        let config = Self.$resolving.withValue(resolution) { make() }
        if let problem = resolution.problems.first { throw ConfigError(problem) }
        return config
    }
}
