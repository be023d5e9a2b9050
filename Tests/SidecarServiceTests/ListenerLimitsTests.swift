import SidecarSettings
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// The composition's split of the fd limit between listeners (`ListenerLimits`, in `Sidecar.swift`).
@Suite struct ListenerLimitsTests {
    /// Connection caps stay within the fd limit less the reserve.
    @Test func listenerLimitsKeepAReserve() {
        var c = SidecarConfig()
        c.gossipBind = HostPort(host: "127.0.0.1", port: 7946)
        c.agentCheckBind = HostPort(host: "127.0.0.1", port: 7947)
        c.adminBind = HostPort(host: "127.0.0.1", port: 7948)
        let small = ListenerLimits(config: c, fdLimit: 256)
        #expect(small.reserve >= 64)
        #expect(small.api + small.admin + small.agent + small.gossip + small.reserve <= 256)
        let large = ListenerLimits(config: c, fdLimit: 1_048_576)
        #expect(large.api == c.maxConnections && large.gossip == 64 && large.agent == 32 && large.admin == 64)
    }
}
