import Gossip
import GossipNIO
import Routing
import Synchronization

/// The mesh directory fed by the gossip shell: every view the shell publishes becomes the
/// latest `MeshSnapshot`. Members are converted (status, address text, decoded serf tags) only
/// when they changed; a load-only view re-attaches the loads to the converted members.
public final class GossipDirectory: MeshDirectory {
    private struct State {
        var snapshot = MeshSnapshot(version: 0, members: [], isJoined: false)
        var membersVersion: UInt64 = .max
        var converted: [MeshMember] = []
    }

    private let state = Mutex(State())

    /// `joinedWithoutSeeds`: the snapshot before the shell's first view (no seeds: joined).
    public init(joinedWithoutSeeds: Bool) {
        state.withLock { $0.snapshot.isJoined = joinedWithoutSeeds }
    }

    public var snapshot: MeshSnapshot { state.withLock { $0.snapshot } }

    /// Takes the shell's newest view (`GossipShell`'s `publish`).
    public func publish(_ view: GossipView<HostLoad>) {
        state.withLock { s in
            if s.membersVersion != view.membersVersion {
                s.converted = view.members.map { m in
                    MeshMember(name: m.name, address: "\(m.address)", status: MeshMember.Status(m), incarnation: m.incarnation,
                               tags: m.tags ?? [:], isLocal: m.name == view.localName)
                }
                s.membersVersion = view.membersVersion
            }
            var members = s.converted
            for i in members.indices { members[i].load = view.loads[members[i].name] }
            s.snapshot = MeshSnapshot(version: view.version, members: members, isJoined: view.joined)
        }
    }
}
