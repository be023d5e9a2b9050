import Gossip

extension MeshMember.Status {
    /// The status the sidecar shows for a gossip member (`/v1/mesh`, `/ui`, `members`, metrics).
    /// Serf folds `suspect` into `alive` (and `serf members` prints it so); the sidecar shows it
    /// apart so an operator sees a failure being confirmed. `leaving` reads `alive` until it has
    /// left, and `failed` reads `dead`. The wire is not affected: this is a view.
    public init(_ member: GossipMember) {
        switch member.status {
        case .alive: self = .alive
        case .suspect: self = member.leaving ? .alive : .suspect
        case .dead: self = member.leaving ? .left : .dead
        case .left: self = .left
        }
    }
}
