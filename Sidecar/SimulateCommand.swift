import ArgumentParser
import Foundation
import GossipSimulation
import RoutingSimulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Deterministic simulations that run the real protocol code.",
        subcommands: [SimulateGossipCommand.self, SimulateRoutingCommand.self]
    )
}

struct SimulateRoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Compare the routing policies in a seeded discrete-event simulation.",
        discussion: """
        Flags are passed to the simulator as --key value (or a scenario file of key = value lines):
          --preset benchmark|heterogeneous|slowdowns|supermarket   --hosts N  --capacities 4:2:1
          --workers N  --service exponential|lognormal[:sigma]|pareto[:alpha]|deterministic
          --service-mean S  --arrivals poisson|bursty[:factor[:fraction[:meanBurst]]]  --load 0.85
          --routers 8  --gossip 1  --slowdowns factor[:rate[:meanDuration]]|none
          --slow-host index[:factor]  --ramp peakLoad  --duration S  --warmup S  --deadline S
          --seeds N  --policies all|swrr-static,p2c,mesh,…
        Examples: sessionmesh simulate routing --preset heterogeneous --gossip 5 --seeds 5
                  sessionmesh simulate routing --preset slowdowns --seeds 5
        (--preset benchmark runs every scenario; a --gossip flag then applies to all of them.)
        """
    )

    @Option(help: "Scenario file (key = value lines; flags override it).") var scenario: String?
    @Argument(parsing: .allUnrecognized, help: "Simulator flags (see above).") var flags: [String] = []

    func run() throws {
        let fileText = try scenario.map { try String(contentsOfFile: $0, encoding: .utf8) }
        do {
            let plan = try SimulationPlan.parse(arguments: flags, scenarioFile: fileText)
            print(plan.run())
        } catch let error as SimulationPlan.ParseError {
            throw ValidationError(error.message)
        }
    }
}

struct SimulateGossipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gossip",
        abstract: "Run the real SWIM/Lifeguard state machine for N nodes on a simulated lossy network.",
        discussion: """
        One process, simulated clock and network, seeded. Prints how old each node's view of every
        peer's load is (p50, p99, max), when a crashed node (the last one, at 5 s) is declared dead
        everywhere, false suspicions and deaths, and bytes per node per second.
        Example: sessionmesh simulate gossip --nodes 1000 --loss 0.01
        """
    )

    @Option(help: "Number of nodes.") var nodes: Int = 100
    @Option(help: "Packet loss, as a fraction (0.01 = 1%) or a percentage (1%).") var loss: String = "0.01"
    @Option(help: "Simulated seconds.") var seconds: Double = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Do not crash a node.") var noCrash = false

    func run() throws {
        let text = loss.trimmingCharacters(in: .whitespaces)
        guard let value = Double(text.hasSuffix("%") ? String(text.dropLast()) : text) else {
            throw ValidationError("--loss must be a number such as 0.01 or 1%")
        }
        let fraction = text.hasSuffix("%") ? value / 100 : value
        guard (0..<1).contains(fraction), nodes >= 1, nodes <= 10_000, seconds > 0 else {
            throw ValidationError("need 1…10000 nodes, loss in [0, 1), seconds > 0")
        }
        let start = ContinuousClock.now
        let report = GossipSimulator.run(nodes: nodes, loss: fraction, seconds: seconds, seed: seed, crash: !noCrash)
        print(report)
        print("  (wall time \(ContinuousClock.now - start))")
    }
}
