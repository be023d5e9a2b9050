import Foundation
import SessionMeshClient
import Synchronization
import Testing
import TestSupport

@Suite(.serialized) struct LifecycleTests {
    @Test func sigtermFinishesInFlightRequestsThenExitsCleanly() async throws {
        // Long memcached timeouts, so requests stay in flight for seconds while memcached is frozen.
        let cluster = try SidecarCluster(extra: ["--poll-timeout-ms", "1500", "--operation-budget-ms", "4000"])
        let client = cluster.clients[0]
        let probe = SessionMeshClient(socketPath: cluster.sidecars[0].socket, maxConnections: 1)
        let s = try await client.create(Counter(n: 0))
        // Freeze the session's nodes so requests are slow while SIGTERM arrives.
        cluster.nodes[0].freeze()
        cluster.nodes[1].freeze()
        let results = StatusLog()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let r = try? await client.send(.GET, "/v1/sessions/\(s.id)")
                        results.append(r?.status ?? -1)
                    }
                }
            }
        }
        // Wait until all 20 are inside the sidecar (the metrics call itself counts as one more).
        var inFlight = 0
        for _ in 0..<200 where inFlight < 21 {
            let metrics = String(decoding: try await probe.send(.GET, "/metrics").body, as: UTF8.self)
            inFlight = metrics.split(separator: "\n").first { $0.hasPrefix("sessionmesh_http_requests_in_flight ") }
                .flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
            if inFlight < 21 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(inFlight == 21)
        cluster.sidecars[0].process.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(200))
        cluster.nodes[0].resume()
        cluster.nodes[1].resume()
        await load.value
        let status = cluster.sidecars[0].process.terminate(waitSeconds: 10)
        #expect(status == 0)
        // Every request that was in flight got a whole answer, none was cut off.
        #expect(results.all.count == 20)
        #expect(results.all.allSatisfy { $0 == 200 || $0 == 503 }, "\(results.all)")
        #expect(!FileManager.default.fileExists(atPath: cluster.sidecars[0].socket))
        #expect(cluster.sidecars[0].process.log.contains("sessionmesh stopped"))
    }

    @Test(arguments: [
        (["--memcached", "127.0.0.1:11211"], "keyring is not set: pass --keyring PATH"),
        (["--memcached", "nohostport", "--keyring", "KEYRING"], "--memcached: memcached must be a list of HOST:PORT, got 'nohostport'"),
        (["--memcached", "127.0.0.1:1", "--replicas", "2", "--keyring", "KEYRING"], "replicas must be between"),
        (["--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", "/nonexistent/keyring"], "cannot read keyring"),
        (["--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", "KEYRING", "--socket-mode", "999"], "socketMode must be octal"),
        (["--config", "CONFIG"], "unknown setting 'pollTimeout'"),
        (["--memcached", "127.0.0.1:1", "--redis", "127.0.0.1:2", "--replicas", "1", "--keyring", "KEYRING"], "memcached and redis are both set"),
        (["--redis", "nohostport", "--keyring", "KEYRING"], "--redis: redis must be a list of HOST:PORT, got 'nohostport'"),
        (["--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", "KEYRING", "--log-format", "yaml"], "--log-format: logFormat must be text or json"),
        (["--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", "KEYRING", "--drain-delay-ms", "-1"], "drainDelayMs must be between 0 and 60000"),
        (["--redis", "127.0.0.1:1", "--replicas", "1", "--keyring", "KEYRING", "--redis-password-file", "/nonexistent/pw"], "cannot read redis password file"),
        (["--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", "KEYRING", "--redis-password-file", "/nonexistent/pw"], "redisPasswordFile is set but no redis nodes are"),
    ])
    func aBadConfigExitsNonZeroWithAClearMessage(_ args: [String], _ message: String) throws {
        let dir = TempDir("badconfig")
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        try #"{"pollTimeout": 5}"#.write(toFile: dir.file("config.json"), atomically: true, encoding: .utf8)
        let resolved = args.map { $0 == "KEYRING" ? keyring : $0 == "CONFIG" ? dir.file("config.json") : $0 }
        let p = try ManagedProcess(SidecarProcess.defaultBinary, ["run", "--socket", dir.file("s.sock")] + resolved, logPath: dir.file("log"))
        #expect(waitUntil(seconds: 10) { !p.process.isRunning })
        #expect(p.process.terminationStatus != 0)
        #expect(p.log.contains(message), "\(p.log)")
    }
}

final class StatusLog: Sendable {
    private let statuses = Mutex<[Int]>([])
    func append(_ s: Int) { statuses.withLock { $0.append(s) } }
    var all: [Int] { statuses.withLock { $0 } }
}
