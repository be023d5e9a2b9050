import ArgumentParser
import Foundation
import LocalCluster
import SessionCore
import SessionMeshClient

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a 3-node store (memcached or Redis), 3-sidecar cluster on loopback with a payment workload and failures.",
        discussion: """
        Starts 3 memcached (or, with --backend redis, 3 redis-server) and 3 sidecars on 127.0.0.1,
        drives login → rotate → cart → pay → logout flows that hop between sidecars, kills a store
        node and a sidecar mid-run and brings them
        back, prints a status line every second and a summary. Ends by itself (or on Ctrl-C) and
        stops every process it started. Exits non-zero if any session was lost.
        """
    )

    @Option(help: "Seconds of workload.") var duration: Int = 20
    @Option(help: "Concurrent virtual users.") var users: Int = 24
    @Flag(help: "Do not inject failures.") var noFailures = false
    @Option(help: "Store: memcached or redis.") var backend: DemoBackend = .memcached

    func run() async throws {
        let dir = TempDir("sessionmesh-demo")
        print("SessionMesh demo — everything on 127.0.0.1, scratch files in \(dir.path)")
        let store = backend.kind
        let nodes = try startStoreServers(store, count: 3, dir: dir)
        let keyring = dir.file("keyring")
        try SessionKeyring.generateKey().write(toFile: keyring, atomically: true, encoding: .utf8)
        // Gossip is authenticated and encrypted too (a serf-compatible key of the same form).
        let gossipKeyring = dir.file("gossip-keyring")
        try SessionKeyring.generateKey().write(toFile: gossipKeyring, atomically: true, encoding: .utf8)
        for path in [keyring, gossipKeyring] { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        var sidecars = [SidecarProcess]()
        let gossipPorts = (0..<3).map { _ in freeLoopbackPort() }
        for i in 0..<3 {
            var extra = ["--poll-timeout-ms", "200", "--connect-timeout-ms", "200", "--node-name", "host\(i + 1)",
                         "--gossip-bind", "127.0.0.1:\(gossipPorts[i])", "--gossip-keyring", gossipKeyring, "--app-address", "127.0.0.1:\(8081 + i)",
                         "--memcache-socket", dir.file("host\(i + 1)-memcache.sock")]
            for (j, port) in gossipPorts.enumerated() where j != i { extra += ["--join", "127.0.0.1:\(port)"] }
            sidecars.append(try SidecarProcess(dir: dir, name: "host\(i + 1)", backend: store, nodes: nodes.map(\.address), keyring: keyring,
                                               extra: extra))
        }
        let cleanup = Cleanup(nodes: nodes, sidecars: sidecars)
        let interrupt = Interrupt.install { cleanup.run(); Foundation.exit(130) }
        defer { interrupt.cancel(); cleanup.run() }

        print("\(store): \(nodes.map(\.address).joined(separator: ", "))")
        print("sidecars:  \(sidecars.map(\.socket).joined(separator: ", "))")
        let clients = sidecars.map { SessionMeshClient(socketPath: $0.socket, maxConnections: 16, timeout: .seconds(2)) }
        let stats = DemoStats()
        let flow = PaymentFlow(clients: clients, stats: stats)
        let start = ContinuousClock.now
        let deadline = start + .seconds(duration)

        let workload = Task {
            await withTaskGroup(of: Void.self) { group in
                for user in 0..<users { group.addTask { await flow.runUser(user, until: deadline) } }
            }
        }
        // Failure script, as fractions of the run.
        var events: [(Double, String, () throws -> Void)] = []
        if !noFailures {
            events = [
                (0.25, "SIGKILL \(store) \(nodes[1].address)", { nodes[1].kill() }),
                (0.40, "SIGKILL sidecar host3", { sidecars[2].process.killNow() }),
                (0.60, "restart \(store) \(nodes[1].address) (empty)", { try nodes[1].restart() }),
                (0.70, "restart sidecar host3", { try sidecars[2].restart() }),
            ]
        }
        var lastRequests = 0
        var second = 0
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            second += 1
            let elapsed = Double(second) / Double(duration)
            while let event = events.first, event.0 <= elapsed {
                events.removeFirst()
                print(">>> t=\(second)s \(event.1)")
                try event.2()
            }
            let requests = stats.requests.load(ordering: .relaxed)
            let mc = nodes.map { $0.isRunning ? "up" : "DOWN" }.joined(separator: " ")
            let sc = sidecars.map { $0.process.process.isRunning ? "up" : "DOWN" }.joined(separator: " ")
            print(String(format: "t=%3ds  ops/s %5d  flows %5d  sessions alive %3d  created %5d  failed requests %4d  lost %d  | %@ %@ | sidecars %@",
                         second, requests - lastRequests, stats.flowsCompleted.load(ordering: .relaxed),
                         stats.sessionsAlive.load(ordering: .relaxed), stats.sessionsCreated.load(ordering: .relaxed),
                         stats.requestsFailed.load(ordering: .relaxed), stats.lost.load(ordering: .relaxed), store.rawValue, mc, sc))
            print(await meshLine(clients: clients, sidecars: sidecars))
            for note in stats.drainNotes().prefix(5) { print("    \(note)") }
            lastRequests = requests
        }
        await workload.value
        for note in stats.drainNotes().prefix(20) { print("    \(note)") }
        print("── one payment flow through the memcached-protocol front door (what stock PHP/Django/Go handlers use) ──")
        let memcacheOK = MemcacheFlow(sockets: (1...3).map { dir.file("host\($0)-memcache.sock") }).run()
        let lost = stats.lost.load(ordering: .relaxed)
        print("""
        ── summary ──
        sessions created: \(stats.sessionsCreated.load(ordering: .relaxed))
        payment flows completed: \(stats.flowsCompleted.load(ordering: .relaxed))
        requests: \(stats.requests.load(ordering: .relaxed)), failed (retried on another sidecar): \(stats.requestsFailed.load(ordering: .relaxed))
        memcache front door flow: \(memcacheOK ? "ok" : "FAILED")
        lost: \(lost)
        """)
        if lost > 0 || !memcacheOK { throw ExitCode(1) }
    }
}

/// One line of the mesh as the first live sidecar sees it: status, weight, Tᵢ and Sᵢ per member,
/// then the seed's means T̄ and S̄ and the imbalance.
func meshLine(clients: [SessionMeshClient], sidecars: [SidecarProcess]) async -> String {
    for (client, sidecar) in zip(clients, sidecars) where sidecar.process.process.isRunning {
        guard let mesh = try? await client.mesh(), let members = mesh["members"] as? [[String: Any]] else { continue }
        let parts = members.map { m -> String in
            let name = m["name"] as? String ?? "?", status = m["status"] as? String ?? "?"
            let w = (m["weight"] as? Double).map { String(format: "%.2f", $0) } ?? "-"
            let t = (m["responseTimeMs"] as? Double).map { String(format: "%.1f", $0) } ?? "-"
            let s = (m["sessions"] as? Double).map { String(format: "%.0f", $0) } ?? "-"
            return "\(name) \(status) w=\(w) T=\(t)ms S=\(s)"
        }
        let tbar = (mesh["meanResponseTimeMs"] as? Double).map { String(format: "%.2f", $0) } ?? "-"
        let sbar = (mesh["meanSessions"] as? Double).map { String(format: "%.1f", $0) } ?? "-"
        let imbalance = (mesh["imbalance"] as? [String: Any])?["responseTime"] as? Double
        return "        mesh (\(sidecar.name)): " + parts.joined(separator: " | ")
            + "  T̄=\(tbar)ms S̄=\(sbar) imbalance(T)=\(imbalance.map { String(format: "%.2f", $0) } ?? "-")"
    }
    return "        mesh: no sidecar answered"
}

/// Stops every process the demo started, once.
final class Cleanup: @unchecked Sendable {
    private let nodes: [any StoreServer]
    private let sidecars: [SidecarProcess]
    private var done = false
    private let lock = NSLock()

    init(nodes: [any StoreServer], sidecars: [SidecarProcess]) {
        self.nodes = nodes
        self.sidecars = sidecars
    }

    func run() {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        for s in sidecars { s.process.terminate(waitSeconds: 5) }
        for m in nodes { m.kill() }
    }
}

/// `--backend` of the demo.
enum DemoBackend: String, ExpressibleByArgument, CaseIterable {
    case memcached, redis
    var kind: StoreBackend { self == .redis ? .redis : .memcached }
}

/// SIGINT/SIGTERM handling for the foreground commands.
enum Interrupt {
    static func install(_ handler: @escaping @Sendable () -> Void) -> Installed {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { sig -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { print("\ninterrupted: stopping every process"); handler() }
            source.resume()
            return source
        }
        return Installed(sources: sources)
    }

    struct Installed {
        let sources: [any DispatchSourceSignal]
        func cancel() { sources.forEach { $0.cancel() } }
    }
}
