import ArgumentParser
import Foundation
import Logging
import SidecarService

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sidecar.",
        discussion: """
        Settings come from, in increasing priority: built-in defaults, the JSON config file
        (--config; keys as in the flag names, camelCase, e.g. "pollTimeoutMs"), environment
        variables SESSIONMESH_<KEY> (e.g. SESSIONMESH_POLL_TIMEOUT_MS, SESSIONMESH_MEMCACHED=
        h1:11211,h2:11211), then these flags. The sidecar logs one line "sessionmesh ready"
        when it serves, drains on SIGTERM, and exits non-zero with a message on a bad config.
        """
    )

    @Option(help: "JSON config file.") var config: String?
    @Option(help: "Unix socket path of the session API. Default /run/sessionmesh/sessionmesh.sock.") var socket: String?
    @Option(help: "Socket file mode, octal. Default 0660.") var socketMode: String?
    @Option(help: "memcached nodes, HOST:PORT,HOST:PORT,… (same order on every sidecar).") var memcached: String?
    @Option(help: "Copies of each session. Default 2.") var replicas: Int?
    @Option(help: "Copies a write needs before it is acknowledged. Default: --replicas.") var writeQuorum: Int?
    @Option(help: "Keyring file: one base64 32-byte key per line, the first is the primary.") var keyring: String?
    @Option(help: "memcached connect timeout, ms. Default 250.") var connectTimeoutMs: Int?
    @Option(help: "memcached poll (I/O) timeout, ms. Default 250.") var pollTimeoutMs: Int?
    @Option(help: "A failed memcached node is skipped this long, ms. Default 1000.") var retryIntervalMs: Int?
    @Option(help: "Upper bound of one store operation, ms. Default 1000.") var operationBudgetMs: Int?
    @Option(help: "Threads for blocking memcached calls. Default 8.") var storeThreads: Int?
    @Option(help: "Default and maximum idle timeout, seconds. Default 900.") var idleTimeout: Int?
    @Option(help: "Default and maximum absolute session lifetime, seconds. Default 28800.") var absoluteTimeout: Int?
    @Option(help: "Largest request body, bytes. Default 262144.") var maxBodyBytes: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Default info.") var logLevel: String?

    func run() async throws {
        var settings: SidecarConfig
        do {
            settings = try config.map { path throws(ConfigError) in try SidecarConfig.load(file: path) } ?? SidecarConfig()
            try settings.applyEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        if let v = socket { settings.socket = v }
        if let v = socketMode { settings.socketMode = v }
        if let v = memcached { settings.memcached = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let v = replicas { settings.replicas = v }
        if let v = writeQuorum { settings.writeQuorum = v }
        if let v = keyring { settings.keyring = v }
        if let v = connectTimeoutMs { settings.connectTimeoutMs = v }
        if let v = pollTimeoutMs { settings.pollTimeoutMs = v }
        if let v = retryIntervalMs { settings.retryIntervalMs = v }
        if let v = operationBudgetMs { settings.operationBudgetMs = v }
        if let v = storeThreads { settings.storeThreads = v }
        if let v = idleTimeout { settings.idleTimeout = v }
        if let v = absoluteTimeout { settings.absoluteTimeout = v }
        if let v = maxBodyBytes { settings.maxBodyBytes = v }
        if let v = logLevel { settings.logLevel = v }
        if let problem = settings.validate() { throw ValidationError(problem) }

        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sessionmesh")
        do {
            try await Sidecar.run(config: settings, logger: logger)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }
}
