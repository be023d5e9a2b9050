import Foundation
import SessionMeshClient
import Testing
import TestSupport

/// Live, on loopback, with Debian's haproxy: the agent-check answers the asking balancer's zone.
///
/// Four sidecars in one mesh, host1 and host2 in zone `de`, host3 and host4 in `fr`. Each is told
/// its app's load every 500 ms (`POST /v1/load`): the `de` apps serve 100 requests/s at
/// utilization 0.5, the `fr` apps 50 at 0.5, so `de` holds 2/3 of the mesh's capacity and half of
/// its members. haproxy has three backends over the same four servers, each server with an
/// `agent-check` on its own sidecar:
/// - `apps_de` sends `agent-send "zone=de\n"`: de has capacity to spare (2/3 ≥ 1/2), so Envoy's
///   rule keeps all of de's traffic in de: host1 and host2 answer `up 200%` (1 × 1/2 × 4
///   servers), host3 and host4 `up 0%`, and haproxy sets those two weights to 0;
/// - `apps_fr` sends `zone=fr`: fr is short (1/3 < 1/2) and keeps (1/3)/(1/2) = 2/3 of its
///   traffic: host3 and host4 `up 133%`, host1 and host2 get the spill, `up 67%`;
/// - `apps_blind` sends nothing: after 50 ms every agent answers its zone-blind weight (de 133%,
///   fr 67%), and no server is at 0.
/// Weights are read after the 30 s slow start of the last sidecar (no flag shortens it).
@Suite(.serialized) struct HAProxyZoneLiveTests {
    @Test(.timeLimit(.minutes(3)))
    func eachBalancerZoneGetsItsOwnEnvoySplitFromTheAgents() async throws {
        _ = try LiveTools.haproxy()
        let dir = TempDir("haproxy-zones")

        let zones = ["de", "de", "fr", "fr"]
        let requestRates = [100.0, 100.0, 50.0, 50.0]
        let mesh = try LiveMesh(count: zones.count, dir: dir) { i in ["--zone", zones[i]] }
        defer { mesh.stop() }
        let slowStartOver = Date().addingTimeInterval(31)
        let clients = mesh.clients, appPorts = mesh.appPorts, agentPorts = mesh.agentPorts
        try await mesh.waitUntilJoined()

        // Each app's load, every 500 ms until the test ends (at most 150 s).
        let reporting = Task {
            for _ in 0..<300 where !Task.isCancelled {
                for (i, client) in clients.enumerated() {
                    let body = #"{"inFlight":2,"latencyMs":10,"requestRate":\#(requestRates[i]),"errorRate":0,"utilization":0.5}"#
                    _ = try? await client.send(.POST, "/v1/load", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        defer { reporting.cancel() }

        func backend(_ name: String, send: String?) -> String {
            let servers = zones.indices.map { i in
                "    server s\(i + 1) 127.0.0.1:\(appPorts[i]) weight 100 agent-check agent-port \(agentPorts[i]) agent-inter 300ms"
                    + (send.map { #" agent-send "zone=\#($0)\n""# } ?? "")
            }
            return "backend \(name)\n    balance roundrobin\n" + servers.joined(separator: "\n")
        }
        let (proxy, stats) = try LiveTools.startHAProxy(
            sections: [backend("apps_de", send: "de"), backend("apps_fr", send: "fr"), backend("apps_blind", send: nil)]
                .joined(separator: "\n"),
            dir: dir)
        defer { proxy.terminate(waitSeconds: 5) }

        func weights(_ backend: String) -> [Int] { (1...4).compactMap { stats.weight(backend: backend, server: "s\($0)") } }
        var seen: [String: [Int]] = [:]
        var streak = 0
        let settled = await eventually(seconds: 90, every: .milliseconds(500)) {
            seen = ["apps_de": weights("apps_de"), "apps_fr": weights("apps_fr"), "apps_blind": weights("apps_blind")]
            guard Date() > slowStartOver, seen.values.allSatisfy({ $0.count == 4 }) else { return false }
            let de = seen["apps_de"]!, fr = seen["apps_fr"]!, blind = seen["apps_blind"]!
            let ok = de[2] == 0 && de[3] == 0 && de[0...1].allSatisfy { (180...220).contains($0) }
                && fr[2...3].allSatisfy { (120...146).contains($0) } && fr[0...1].allSatisfy { (55...78).contains($0) }
                && blind[0...1].allSatisfy { (120...146).contains($0) } && blind[2...3].allSatisfy { (55...78).contains($0) }
            streak = ok ? streak + 1 : 0
            return streak >= 3
        }
        let members = await LiveTools.meshMembers(clients[0])
        print("haproxy weights s1..s4 (de, de, fr, fr): \(seen.sorted { $0.key < $1.key }); mesh: \(members.sorted { $0.key < $1.key })")
        #expect(settled, """
            weights s1..s4 (de, de, fr, fr): \(seen.sorted { $0.key < $1.key }); want apps_de ≈ [200, 200, 0, 0], \
            apps_fr ≈ [67, 67, 133, 133], apps_blind ≈ [133, 133, 67, 67]; mesh: \(members)
            """)
        // A server the agent sets to 0% stays up: running and not draining (an agent answering
        // `down` or `drain` instead would show here); haproxy only stops sending it requests.
        for server in ["s3", "s4"] {
            let op = stats.operationalState(backend: "apps_de", server: server)
            let admin = stats.adminState(backend: "apps_de", server: server)
            #expect(op == 2 && admin.map { $0 & 0x18 == 0 } == true, "apps_de/\(server): srv_op_state \(op.map(String.init) ?? "?"), srv_admin_state \(admin.map(String.init) ?? "?")")
        }
    }
}
