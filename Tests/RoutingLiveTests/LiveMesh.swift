import Foundation
import SessionMeshClient
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Sidecars in one gossip mesh over a memcached of their own on loopback, as the live routing tests
/// run them: host1…hostN, each with an agent-check responder and the address of its app (a port
/// the test may or may not serve), host1 the seed the others join.
struct LiveMesh {
    let memcached: MemcachedServer
    let sidecars: [SidecarProcess]
    let clients: [SessionMeshClient]
    let appPorts: [Int]
    let agentPorts: [Int]

    /// Starts `count` sidecars; `extra(i)` adds options to sidecar i (0-based).
    init(count: Int, dir: TempDir, extra: (Int) -> [String] = { _ in [] }) throws {
        let memcached = try MemcachedServer(dir: dir)
        self.memcached = memcached
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let gossip = (0..<count).map { _ in freeLoopbackPort() }
        appPorts = (0..<count).map { _ in freeLoopbackPort() }
        agentPorts = (0..<count).map { _ in freeLoopbackPort() }
        var started: [SidecarProcess] = []
        do {
            for i in 0..<count {
                var options = ["--replicas", "1", "--node-name", "host\(i + 1)",
                               "--gossip-bind", "127.0.0.1:\(gossip[i])", "--gossip-keyring", keyring,
                               "--app-address", "127.0.0.1:\(appPorts[i])", "--agent-check-bind", "127.0.0.1:\(agentPorts[i])"]
                if i > 0 { options += ["--join", "127.0.0.1:\(gossip[0])"] }
                started.append(try SidecarProcess(dir: dir, name: "host\(i + 1)", memcached: [memcached.address],
                                                  keyring: keyring, extra: options + extra(i)))
            }
        } catch {
            Self.stop(started)
            memcached.kill()
            throw error
        }
        sidecars = started
        clients = started.map { SessionMeshClient(socketPath: $0.socket) }
    }

    /// Returns once every sidecar sees every member alive (30 s each at most).
    func waitUntilJoined() async throws {
        for (i, client) in clients.enumerated() {
            let joined = await eventually(seconds: 30) {
                await LiveTools.meshMembers(client).values.filter { $0.status == "alive" }.count == sidecars.count
            }
            let members = await LiveTools.meshMembers(client)
            try #require(joined, """
                host\(i + 1) does not see \(sidecars.count) alive members: \(members); \
                running: \(sidecars[i].process.process.isRunning); log: \(sidecars[i].process.log.suffix(2000))
                """)
        }
    }

    /// SIGTERM to every sidecar, waits for each to exit (SIGKILL after 10 s), then stops memcached.
    func stop() {
        Self.stop(sidecars)
        memcached.kill()
    }

    private static func stop(_ sidecars: [SidecarProcess]) {
        for s in sidecars where s.process.process.isRunning { kill(s.process.pid, SIGTERM) }
        for s in sidecars { s.process.terminate(waitSeconds: 10) }
    }
}
