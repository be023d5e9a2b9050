import Gossip
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// `/v1/mesh`, `/ui`, `members` and the member gauges show `suspect` apart from `alive`
/// (serf's own view folds it into `alive`; the wire is unchanged).
struct MeshMemberStatusTests {
    static func member(_ status: MemberStatus, leaving: Bool = false) -> GossipMember {
        GossipMember(name: "n", address: GossipAddress(ip: [10, 0, 0, 1], port: 7946), incarnation: 1, status: status,
                     meta: nil, vsn: VersionVector([1, 5, 2, 2, 5, 4]), stateChange: 0, leaving: leaving)
    }

    @Test func suspectIsShownApartFromAlive() {
        #expect(MeshMember.Status(Self.member(.suspect)) == .suspect)
        #expect(Self.member(.suspect).serfStatus == "alive", "serf's view (and the wire) stay as they were")
        #expect(MeshMember.Status(Self.member(.alive)) == .alive)
    }

    @Test func deadLeftAndLeavingMapAsSerfDoes() {
        #expect(MeshMember.Status(Self.member(.dead)) == .dead)
        #expect(MeshMember.Status(Self.member(.dead, leaving: true)) == .left)
        #expect(MeshMember.Status(Self.member(.left)) == .left)
        #expect(MeshMember.Status(Self.member(.alive, leaving: true)) == .alive)
        #expect(MeshMember.Status(Self.member(.suspect, leaving: true)) == .alive)
    }
}
