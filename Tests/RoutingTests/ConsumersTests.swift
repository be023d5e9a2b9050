import Testing
@testable import Routing

@Suite struct ConsumersTests {
    func table() -> WeightTable {
        let wf = WeightFunction(slowStartWindow: 0)
        var d = LoadReport(node: "c", address: "10.0.0.3:8080", load: HostLoad(requestRate: 100, timestamp: 100))
        d.load.utilization = 0.5
        d.load.draining = true
        return wf.table(for: MeshView(now: 100, reports: [
            LoadReport(node: "a", address: "10.0.0.1:8080",
                       load: HostLoad(inFlight: 2, latencyMs: 10, sessions: 100, utilization: 0.5, requestRate: 300, timestamp: 100)),
            LoadReport(node: "b", address: "10.0.0.2:8080",
                       load: HostLoad(inFlight: 6, latencyMs: 30, sessions: 300, utilization: 0.5, requestRate: 100, timestamp: 100)),
            d,
        ]))
    }

    @Test func haproxyAgentReplies() {
        #expect(HAProxyAgentCheck.response(weight: 1) == "up 100%\n")
        #expect(HAProxyAgentCheck.response(weight: 0.754) == "up 75%\n")
        #expect(HAProxyAgentCheck.response(weight: 0.001) == "up 1%\n")  // clamp low
        #expect(HAProxyAgentCheck.response(weight: 7) == "up 256%\n")  // clamp high (HAProxy max)
        #expect(HAProxyAgentCheck.response(weight: 0) == "drain\n")
        #expect(HAProxyAgentCheck.response(weight: 1, state: .drain) == "drain\n")
        #expect(HAProxyAgentCheck.response(weight: 1, state: .down(reason: "left\nmesh")) == "down#left mesh\n")
        #expect(HAProxyAgentCheck.response(weight: 1, state: .down(reason: nil)) == "down\n")
        let t = table()
        #expect(HAProxyAgentCheck.response(for: "a", in: t) == "up 150%\n")  // 3:1 → 1.5, 0.5
        #expect(HAProxyAgentCheck.response(for: "b", in: t) == "up 50%\n")
        #expect(HAProxyAgentCheck.response(for: "c", in: t) == "drain\n")
        #expect(HAProxyAgentCheck.response(for: "zz", in: t) == "down#unknown node\n")
        #expect(HAProxyAgentCheck.response(for: "a", in: t, alive: false) == "down#not alive\n")
    }

    @Test func nginxUpstreamBlock() {
        let r = NginxUpstreamRenderer(name: "payments", method: .randomTwoLeastConn, maxFails: 3, failTimeout: "10s")
        #expect(
            r.render(table()) == """
                upstream payments {
                    zone payments 64k;
                    random two least_conn;
                    server 10.0.0.1:8080 weight=15 max_fails=3 fail_timeout=10s;  # a
                    server 10.0.0.2:8080 weight=5 max_fails=3 fail_timeout=10s;  # b
                    server 10.0.0.3:8080 weight=1 max_fails=3 fail_timeout=10s down;  # c
                }

                """)
        let plain = NginxUpstreamRenderer(zoneSize: nil)
        #expect(plain.render(table()).hasPrefix("upstream sessionmesh {\n    server 10.0.0.1:8080 weight=15;"))
    }

    @Test func meshMeans() {
        let m = MeshMeans(table: table())
        // T̄ = (0.010 + 0.030) / 2 over the two members reporting a latency.
        #expect(abs(m.meanResponseTime - 0.020) < 1e-12 && m.responseTimeCount == 2)
        // S̄ = (100 + 300 + 0) / 3.
        #expect(abs(m.meanSessions - 400.0 / 3) < 1e-12 && m.sessionsCount == 3)
        #expect(abs(m.responseTimeImbalance - 1.5) < 1e-12)
        #expect(abs(m.sessionImbalance - 300 / (400.0 / 3)) < 1e-12)
        #expect(m.members.map(\.node) == ["a", "b", "c"])
        #expect(abs(m.members[0].weight - 1.5) < 1e-12)
        #expect(MeshMeans.imbalance([]) == 0 && MeshMeans.mean([]) == 0)
        #expect(MeshMeans.imbalance([2, 2, 2]) == 1)
    }
}
