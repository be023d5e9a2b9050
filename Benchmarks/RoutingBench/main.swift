// RoutingBench: the pick-cost benchmark and the simulator's benchmark tables.
//
//   swift run -c release RoutingBench pick [peers=100] [picks=1000000]
//   swift run -c release RoutingBench tables [seeds=5] [duration=10000]
//   swift run -c release RoutingBench supermarket [seeds=5] [duration=6000]
//   swift run -c release RoutingBench plan [--preset …] [--gossip 5] [--policies mesh,p2c] …
//
// Build in release: debug timings mean nothing.
import Routing
import RoutingSimulation
import SeededRandom

let args = Array(CommandLine.arguments.dropFirst())
let mode = args.first ?? "all"

func intArg(_ i: Int, _ def: Int) -> Int { args.count > i ? Int(args[i]) ?? def : def }
func doubleArg(_ i: Int, _ def: Double) -> Double { args.count > i ? Double(args[i]) ?? def : def }

func fixed(_ x: Double, _ d: Int) -> String {
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    let r = (x * scale).rounded() / scale
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < d { s += String(repeating: "0", count: d - decimals) }
    }
    return s
}

/// ns per pick for one policy over `peers` peers with varied weights and loads.
func pickCost(_ kind: RoutingPolicyKind, peers n: Int, picks: Int) -> Double {
    var rng = SeededGenerator(seed: 42)
    var candidates = (0..<n).map { i in
        Peer(
            node: "node-\(1000 + i)", address: "10.0.\(i / 250).\(i % 250):8080",
            weight: [4.0, 2.0, 1.0][i % 3] / (7.0 / 3.0),
            reportedInFlight: Double(rng.nextIndex(8)), localInFlight: rng.nextIndex(3),
            reportedLatency: 0.01 + 0.001 * Double(i % 7))
    }
    for i in candidates.indices { candidates[i].localLatency.observe(0.01 + 0.0005 * Double(i % 11), at: 0) }
    var policy = kind.makePolicy(routers: 8)
    var sink = 0
    // Warm up (buffers, caches), then time.
    for _ in 0..<10_000 { sink &+= policy.pick(from: candidates, rng: &rng) ?? 0 }
    let clock = ContinuousClock()
    let start = clock.now
    for k in 0..<picks {
        let i = policy.pick(from: candidates, rng: &rng) ?? 0
        sink &+= i
        // Keep the loads moving a little, as a sidecar would (start/finish a request).
        if k & 1 == 0 { candidates[i].localInFlight += 1 } else { candidates[i].localInFlight = max(0, candidates[i].localInFlight - 1) }
    }
    let elapsed = clock.now - start
    if sink == -1 { print("") }
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    return ns / Double(picks)
}

func runPick() {
    let n = intArg(1, 100)
    let picks = intArg(2, 1_000_000)
    let rounds = 5
    print("pick cost, \(n) peers, \(rounds) rounds of \(picks) picks per policy (release build; each pick also")
    print("updates one local in-flight count, as a sidecar would); median [min-max] ns per pick over the rounds")
    for kind in RoutingPolicyKind.allCases {
        let ns = (0..<rounds).map { _ in pickCost(kind, peers: n, picks: picks) }.sorted()
        let median = ns[rounds / 2]
        print("  \(kind.rawValue.padding(22)) \(fixed(median, 1)) [\(fixed(ns[0], 1))-\(fixed(ns[rounds - 1], 1))] ns/pick  \(median <= 1000 ? "(<= 1 us)" : "(> 1 us)")")
    }
}

func runTables() {
    print(SimulationPlan.benchmark(seeds: intArg(1, 5), duration: doubleArg(2, 10_000)).run())
}

func runSupermarket() {
    let seeds = SimulationBenchmark.seeds(intArg(1, 5))
    print(SimulationBenchmark.supermarketReport(duration: doubleArg(2, 6000), seeds: seeds))
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}

switch mode {
case "plan":
    // The same flags as `sessionmesh simulate routing` (see SimulationPlan).
    do {
        print(try SimulationPlan.parse(arguments: Array(args.dropFirst())).run())
    } catch {
        print("error: \(error)")
    }
case "pick": runPick()
case "tables": runTables()
case "supermarket": runSupermarket()
default:
    runSupermarket()
    runTables()
    runPick()
}
