import ArgumentParser

@main
struct SessionMeshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessionmesh",
        abstract: "Per-host sidecar: shared sessions on a replicated memcached cluster, load gossip and routing.",
        subcommands: [RunCommand.self, KeygenCommand.self, MembersCommand.self, RouteCommand.self, DemoCommand.self, SimulateCommand.self]
    )
}
