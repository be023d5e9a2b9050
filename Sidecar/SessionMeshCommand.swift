import ArgumentParser

struct SessionMeshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessionmesh",
        abstract: "Per-host sidecar: shared sessions on a replicated memcached cluster, load gossip and routing.",
        subcommands: [RunCommand.self, KeygenCommand.self, MembersCommand.self, RouteCommand.self, DemoCommand.self, SimulateCommand.self]
    )

    /// `AsyncParsableCommand.main()`, callable from main.swift's top-level code (where ArgumentParser's
    /// overload would be chosen and `run` would only print its help).
    static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
