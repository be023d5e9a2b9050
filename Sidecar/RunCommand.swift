import ArgumentParser
import Foundation
import Logging
import SidecarService
import SidecarSettings

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sidecar.",
        discussion: """
        Settings come from, in increasing priority: built-in defaults, the JSON config
        file (--config; keys are the flag names in camelCase, e.g. "pollTimeoutMs"),
        environment variables SESSIONMESH_<KEY> (e.g. SESSIONMESH_POLL_TIMEOUT_MS,
        SESSIONMESH_MEMCACHED=h1:11211,h2:11211), then these flags. Lists are
        comma-separated, or the flag repeated. The sidecar logs one line "sessionmesh
        ready" when it serves, drains on SIGTERM, and exits non-zero with a message
        naming the setting on a bad config.

        SETTINGS:
        \(SidecarConfig.settingsHelp())
        """
    )

    @Option(help: "JSON config file.") var config: String?
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The settings listed under SETTINGS above, each a flag and its value.",
                                                            valueName: "setting"))
    var settingFlags: [String] = []

    func run() async throws {
        let settings: SidecarConfig
        do {
            settings = try SidecarConfig(file: config, environment: ProcessInfo.processInfo.environment, arguments: settingFlags)
        } catch {
            throw ValidationError(error.description)
        }
        LoggingSystem.bootstrap { label in settings.logHandler(label: label) }
        let logger = Logger(label: "sessionmesh")
        do {
            try await Sidecar.run(config: settings, logger: logger)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }
}
