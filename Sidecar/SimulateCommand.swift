import ArgumentParser
import Foundation
import Routing

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Deterministic simulations that run the real protocol code.",
        subcommands: [SimulateRoutingCommand.self]
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
        Example: sessionmesh simulate routing --preset benchmark --gossip 5 --seeds 5
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
