import Foundation
import Logging
import TestSupport
import Testing
@testable import SidecarSettings

/// One declaration per setting: the file, the environment, the flags and `--help` all read it,
/// with defaults < file < environment < flags.
@Suite struct SettingSourcesTests {
    let dir = TempDir("settings")

    func file(_ json: String) throws -> String {
        let path = dir.file("config.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func eachSourceOverridesTheOneBefore() throws {
        let path = try file(#"{"keyring": "/k", "replicas": 1, "pollTimeoutMs": 100, "logFormat": "json", "join": ["10.0.0.1:7946"]}"#)
        let insecure = ["--gossip-bind", "127.0.0.1:0", "--gossip-insecure"]
        let defaults = try SidecarConfig(file: nil, environment: [:], arguments: ["--keyring", "/k", "--replicas", "1"])
        #expect(defaults.pollTimeoutMs == 250 && defaults.logFormat == .text && defaults.join.isEmpty)
        let fromFile = try SidecarConfig(file: path, environment: [:], arguments: insecure)
        #expect(fromFile.pollTimeoutMs == 100 && fromFile.logFormat == .json && fromFile.join == [HostPort(host: "10.0.0.1", port: 7946)])
        let environment = ["SESSIONMESH_POLL_TIMEOUT_MS": "50", "SESSIONMESH_LOG_FORMAT": "text", "SESSIONMESH_JOIN": "a:1,b:2"]
        let fromEnvironment = try SidecarConfig(file: path, environment: environment, arguments: insecure)
        #expect(fromEnvironment.pollTimeoutMs == 50 && fromEnvironment.logFormat == .text && fromEnvironment.join.map(\.description) == ["a:1", "b:2"])
        let fromFlags = try SidecarConfig(file: path, environment: environment, arguments: insecure + [
            "--poll-timeout-ms", "20", "--log-format=json", "--join", "c:3", "--join", "d:4,[::1]:5",
        ])
        #expect(fromFlags.pollTimeoutMs == 20 && fromFlags.logFormat == .json)
        #expect(fromFlags.join.map(\.description) == ["c:3", "d:4", "[::1]:5"] && fromFlags.join[2].host == "::1")
        #expect(fromFlags.gossipInsecure && fromFlags.gossipBind == HostPort(host: "127.0.0.1", port: 0))
        // A value given twice: the last wins, as with swift-argument-parser.
        let twice = try SidecarConfig(file: path, environment: [:], arguments: insecure + ["--poll-timeout-ms", "30", "--poll-timeout-ms", "40"])
        #expect(twice.pollTimeoutMs == 40)
    }

    @Test func valuesAreTypedAtStartup() throws {
        let config = try SidecarConfig(file: nil, environment: [:], arguments: [
            "--keyring", "/k", "--replicas", "1", "--socket-mode", "0o640", "--log-level", "debug",
            "--admin-bind", "127.0.0.1:8080", "--app-address", "[::1]:9000",
        ])
        #expect(config.socketMode.rawValue == 0o640 && config.logLevel == .debug)
        #expect(config.adminBind == HostPort(host: "127.0.0.1", port: 8080) && config.appAddress?.description == "[::1]:9000")
    }

    @Test(arguments: [
        (nil, ["SESSIONMESH_POLL_TIMEOUT_MS": "soon"], [], "SESSIONMESH_POLL_TIMEOUT_MS: pollTimeoutMs must be an integer, got 'soon'"),
        (nil, [:], ["--poll-timeout-ms", "soon"], "--poll-timeout-ms: pollTimeoutMs must be an integer, got 'soon'"),
        (#"{"pollTimeoutMs": "250"}"#, [:], [], #"pollTimeoutMs in CONFIG must be an integer, got "250""#),
        (nil, [:], ["--gossip-bind", "nohostport"], "--gossip-bind: gossipBind must be HOST:PORT, got 'nohostport'"),
        (nil, ["SESSIONMESH_MEMCACHED": "a:1,b"], [], "SESSIONMESH_MEMCACHED: memcached must be a list of HOST:PORT, got 'a:1,b'"),
        (nil, [:], ["--socket-mode", "999"], "--socket-mode: socketMode must be octal such as 0660, got '999'"),
        (nil, [:], ["--log-format", "yaml"], "--log-format: logFormat must be text or json, got 'yaml'"),
        (#"{"logLevel": "loud"}"#, [:], [], #"logLevel in CONFIG must be one of trace, debug, info, notice, warning, error, critical, got "loud""#),
        (#"{"gossipInsecure": "yes"}"#, [:], [], #"gossipInsecure in CONFIG must be true or false, got "yes""#),
        (nil, [:], ["--drain-delay-ms", "70000"], "drainDelayMs must be between 0 and 60000"),
        (nil, [:], ["--keyring", ""], "keyring is not set"),
        (nil, [:], ["--pol-timeout-ms", "1"], "unknown option '--pol-timeout-ms'"),
        (nil, [:], ["--zone"], "--zone needs a value"),
        (#"{"pollTimeout": 5}"#, [:], [], "unknown setting 'pollTimeout' in CONFIG"),
    ] as [(String?, [String: String], [String], String)])
    func aBadValueNamesItsSetting(json: String?, environment: [String: String], arguments: [String], message: String) throws {
        let path = try json.map(file)
        let base = arguments.contains("--keyring") ? ["--replicas", "1"] : ["--keyring", "/k", "--replicas", "1"]
        let error = #expect(throws: ConfigError.self) {
            try SidecarConfig(file: path, environment: environment, arguments: base + arguments)
        }
        let expected = message.replacingOccurrences(of: "CONFIG", with: path ?? "")
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    /// Each property's key is its name, so flag, variable and file key all match the Swift name.
    @Test func everySettingIsDeclaredOnceAndDescribed() {
        let labels = Mirror(reflecting: SidecarConfig()).children.compactMap(\.label)
        let settings = SidecarConfig.settings
        #expect(settings.count == labels.count && settings.count >= 46)
        #expect(settings.map { "_" + $0.key } == labels)
        let help = SidecarConfig.settingsHelp()
        let lines = help.split(separator: "\n").map(String.init)
        for setting in settings {
            #expect(!setting.help.isEmpty, "\(setting.key)")
            #expect(lines.contains { $0 == "  " + setting.flag || $0.hasPrefix("  " + setting.flag + " ") }, "\(setting.flag)")
        }
        #expect(help.contains("--log-format <text|json>") && help.contains("(default: text)"))
        #expect(help.contains("--poll-timeout-ms <ms>") && help.contains("(default: 250)"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count < 80 })
        #expect(SettingName.environment("httpIdleTimeoutMs") == "SESSIONMESH_HTTP_IDLE_TIMEOUT_MS")
        #expect(SettingName.flag("httpIdleTimeoutMs") == "--http-idle-timeout-ms")
    }

    /// deploy/config.sample.json loads, documents every setting, and states the defaults.
    @Test func theSampleConfigLoadsAndListsEverySetting() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("deploy/config.sample.json").path
        let sample = try SidecarConfig(file: path, environment: [:], arguments: ["--replicas", "1"])
        let keys = try SettingSources.read(file: path, known: Set(SidecarConfig.settings.map(\.key))).keys
        #expect(Set(keys) == Set(SidecarConfig.settings.map(\.key)))
        var expected = SidecarConfig()
        expected.memcached = [HostPort(host: "127.0.0.1", port: 11211)]
        expected.keyring = "/etc/sessionmesh/keyring"
        expected.replicas = 1
        #expect(sample == expected)
    }
}
