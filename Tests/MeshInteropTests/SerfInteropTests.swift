import Foundation
import SessionMeshClient
import Testing
import TestSupport

/// A sidecar with gossip on, next to one memcached.
final class MeshSidecar: @unchecked Sendable {
    let sidecar: SidecarProcess
    let gossipPort: Int
    let client: SessionMeshClient
    init(dir: TempDir, name: String, memcached: MemcachedServer, keyring: String, join: [String] = [], gossipKeyring: String? = nil,
         extraFlags: [String] = []) throws {
        gossipPort = freeLoopbackPort()
        var extra = ["--replicas", "1", "--node-name", name, "--gossip-bind", "127.0.0.1:\(gossipPort)", "--app-address", "127.0.0.1:18080"]
        for seed in join { extra += ["--join", seed] }
        // A stock serf agent without a keyring joins only a plaintext mesh.
        extra += gossipKeyring.map { ["--gossip-keyring", $0] } ?? ["--gossip-insecure"]
        extra += extraFlags
        sidecar = try SidecarProcess(dir: dir, name: name, memcached: [memcached.address], keyring: keyring, extra: extra)
        client = SessionMeshClient(socketPath: sidecar.socket)
    }

    /// Member name → status, from `GET /v1/mesh`.
    func mesh() async -> [String: String] {
        guard let r = try? await client.send(.GET, "/v1/mesh"), r.status == 200,
              let json = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let members = json["members"] as? [[String: Any]] else { return [:] }
        var out = [String: String]()
        for m in members { if let n = m["name"] as? String, let s = m["status"] as? String { out[n] = s } }
        return out
    }
}


@Suite(.serialized) struct SerfInteropTests {
    @Test func aSidecarJoinsThroughSerfAndSerfListsItAliveWithTagsAndVersions() async throws {
        let dir = TempDir("serf")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let serf = try SerfAgent(dir: dir, name: "serf1")
        let side = try MeshSidecar(dir: dir, name: "side1", memcached: memcached, keyring: keyring, join: [serf.address])
        #expect(waitUntil(seconds: 5) { serf.status(of: "side1") == "alive" })
        let member = try #require(try serf.members().first { $0.name == "side1" })
        #expect(member.tags["role"] == "sessionmesh" && member.tags["app"] == "127.0.0.1:18080")
        #expect(member.protocol.min == 2 && member.protocol.max == 5 && member.protocol.version == 5)
        // The load summary appears in the tags at the bounded update rate (every 5 s).
        #expect(waitUntil(seconds: 8) { (try? serf.members().first { $0.name == "side1" }?.tags["load"]) != nil })
        #expect(await eventually(seconds: 5) { await side.mesh()["serf1"] == "alive" })

        // SIGTERM: serf shows the sidecar `left` (not failed) within 1 s.
        side.sidecar.process.signal(SIGTERM)
        let start = Date()
        #expect(waitUntil(seconds: 3) { serf.status(of: "side1") == "left" })
        let elapsed = Date().timeIntervalSince(start)
        print("serf saw the sidecar left after \(String(format: "%.2f", elapsed)) s")
        #expect(elapsed < 1.0)
        #expect(side.sidecar.process.terminate(waitSeconds: 5) == 0)
    }

    @Test func serfJoinsThroughASidecarAndAKilledSerfIsMarkedFailed() async throws {
        let dir = TempDir("serf")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let side = try MeshSidecar(dir: dir, name: "side1", memcached: memcached, keyring: keyring)
        let serf = try SerfAgent(dir: dir, name: "serf1", join: "127.0.0.1:\(side.gossipPort)")
        #expect(await eventually(seconds: 5) { await side.mesh()["serf1"] == "alive" })
        #expect(serf.status(of: "side1") == "alive")
        // SIGKILL the serf agent: the sidecar declares it failed about as fast as serf would. With
        // memberlist's defaults and two members: up to 1 s until the next probe, 1 s for the probe
        // and its fallback to the end of the probe interval, then the suspicion timeout (4 × 1 s,
        // no one to confirm it): 6 s, plus 1.5 s for scheduling on a loaded 2-core machine and the
        // 100 ms polls here (the bound was 7 s until a CI run measured 7.003 s).
        serf.process.killNow()
        let start = Date()
        #expect(await eventually(seconds: 9) { let s = await side.mesh()["serf1"]; return s == "failed" || s == "dead" })
        let elapsed = Date().timeIntervalSince(start)
        print("sidecar marked the killed serf agent failed after \(String(format: "%.2f", elapsed)) s")
        #expect(elapsed <= 7.5)
    }

    @Test func seedsMayBeHostNames() async throws {
        let dir = TempDir("serf")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let serf = try SerfAgent(dir: dir, name: "serf1")
        let side = try MeshSidecar(dir: dir, name: "side1", memcached: memcached, keyring: keyring, join: ["localhost:\(serf.bindPort)"])
        #expect(waitUntil(seconds: 5) { serf.status(of: "side1") == "alive" })
        #expect(await eventually(seconds: 5) { await side.mesh()["serf1"] == "alive" })
    }

    @Test func encryptedJoinWorksWithTheRightKeyAndFailsWithAWrongOne() async throws {
        let dir = TempDir("serf")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let key = SerfAgent.makeKey()
        let serf = try SerfAgent(dir: dir, name: "serf1", encryptKey: key)
        let good = dir.file("gossip-good")
        try key.write(toFile: good, atomically: true, encoding: .utf8)
        let bad = dir.file("gossip-bad")
        try SerfAgent.makeKey().write(toFile: bad, atomically: true, encoding: .utf8)

        let ok = try MeshSidecar(dir: dir, name: "side-ok", memcached: memcached, keyring: keyring, join: [serf.address], gossipKeyring: good)
        #expect(waitUntil(seconds: 5) { serf.status(of: "side-ok") == "alive" })
        #expect(await eventually(seconds: 5) { await ok.mesh()["serf1"] == "alive" })

        let wrong = try MeshSidecar(dir: dir, name: "side-wrong", memcached: memcached, keyring: keyring, join: [serf.address], gossipKeyring: bad)
        try await Task.sleep(for: .seconds(3))
        #expect(serf.status(of: "side-wrong") == nil)
        #expect(await wrong.mesh()["serf1"] == nil)
        // The encrypted sidecar keeps both views consistent.
        #expect(await ok.mesh()["side-wrong"] == nil)
    }

    @Test func stockAgentsPushPullKeepsWorkingWithASidecarInTheMesh() async throws {
        let dir = TempDir("serf")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let a = try SerfAgent(dir: dir, name: "serf-a")
        let side = try MeshSidecar(dir: dir, name: "side1", memcached: memcached, keyring: keyring, join: [a.address])
        #expect(waitUntil(seconds: 5) { a.status(of: "side1") == "alive" })
        // B joins through the sidecar (push/pull with us), C through A (push/pull between stock
        // agents carrying our node state: a wrong version vector would fail this merge).
        let b = try SerfAgent(dir: dir, name: "serf-b", join: "127.0.0.1:\(side.gossipPort)")
        let c = try SerfAgent(dir: dir, name: "serf-c", join: a.address)
        let everyone = Set(["serf-a", "serf-b", "serf-c", "side1"])
        for agent in [a, b, c] {
            #expect(waitUntil(seconds: 8) { Set((try? agent.members().filter { $0.status == "alive" }.map(\.name)) ?? []) == everyone },
                    "\(agent.name) sees \((try? agent.members().map { "\($0.name)=\($0.status)" }) ?? [])")
        }
        #expect(await eventually(seconds: 5) { Set(await side.mesh().filter { $0.value == "alive" }.keys) == everyone })
        // A further push/pull between stock agents after the sidecar left still works.
        side.sidecar.process.signal(SIGTERM)
        #expect(waitUntil(seconds: 3) { a.status(of: "side1") == "left" })
        let d = try SerfAgent(dir: dir, name: "serf-d", join: b.address)
        #expect(waitUntil(seconds: 8) { d.status(of: "serf-a") == "alive" && d.status(of: "serf-c") == "alive" })
        for agent in [a, b, c, d] {
            let log = agent.process.log
            #expect(!log.contains("Failed push/pull merge"), "\(agent.name) log")
            #expect(!log.contains("incompatible"), "\(agent.name) log")
        }
    }
}
