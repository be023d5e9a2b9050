import Routing
import Synchronization

/// What the mesh knows about one member, as the API, routing and the CLI see it.
public struct MeshMember: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case alive, suspect, dead, left }

    public var name: String
    /// Gossip address, `host:port`.
    public var address: String
    public var status: Status
    public var incarnation: UInt32
    /// Serf tags carried in the node's Meta (e.g. `app` = the app's `host:port`, `role`).
    public var tags: [String: String]
    /// The member's latest load report, if any arrived and has not expired.
    public var load: HostLoad?
    /// Seconds since that report was taken (sender's clock) when the view was read.
    public var loadAge: Double?
    /// True for this sidecar itself.
    public var isLocal: Bool

    public init(name: String, address: String, status: Status, incarnation: UInt32, tags: [String: String] = [:],
                load: HostLoad? = nil, loadAge: Double? = nil, isLocal: Bool = false) {
        self.name = name
        self.address = address
        self.status = status
        self.incarnation = incarnation
        self.tags = tags
        self.load = load
        self.loadAge = loadAge
        self.isLocal = isLocal
    }

    /// The app beside that member's sidecar (`--app-address`, carried as tag `app`).
    public var appAddress: String? { tags["app"] }
}

/// One published picture of the mesh: immutable, replaced whole whenever the mesh changes.
public struct MeshSnapshot: Sendable, Equatable {
    /// Differs between any two snapshots a directory published (readers cache on it).
    public var version: UInt64
    /// Every known member (self included), sorted by name, each with its latest load report as
    /// gossiped (not aged: `RoutingEngine` applies the expiry when it computes the weights).
    public var members: [MeshMember]
    /// True once this node has joined at least one peer (or has no seeds to join).
    public var isJoined: Bool

    public init(version: UInt64, members: [MeshMember], isJoined: Bool) {
        self.version = version
        let sorted = zip(members, members.dropFirst()).allSatisfy { $0.name < $1.name }
        self.members = sorted ? members : members.sorted { $0.name < $1.name }
        self.isJoined = isJoined
    }
}

/// Where the latest mesh snapshot is read: the gossip mesh (`GossipDirectory`), or a
/// single-node view when gossip is off.
public protocol MeshDirectory: Sendable {
    /// The latest published snapshot (cheap: no copying, sorting or conversion).
    var snapshot: MeshSnapshot { get }
}

extension MeshDirectory {
    /// Every known member (self included), sorted by name.
    public func members() -> [MeshMember] { snapshot.members }
    /// True once this node has joined at least one peer (or has no seeds to join).
    public var isJoined: Bool { snapshot.isJoined }
}

/// The view of a sidecar running without gossip: just itself, with the monitor's latest load.
/// A new snapshot (a new version) whenever that load changed since the last read.
public final class LocalOnlyDirectory: MeshDirectory {
    public let name: String
    public let tags: [String: String]
    public let load: @Sendable () -> HostLoad
    private let latest = Mutex<MeshSnapshot?>(nil)

    public init(name: String, tags: [String: String], load: @escaping @Sendable () -> HostLoad) {
        self.name = name
        self.tags = tags
        self.load = load
    }

    public var snapshot: MeshSnapshot {
        let now = load()
        return latest.withLock { s in
            if let s, s.members.first?.load == now { return s }
            let next = MeshSnapshot(
                version: (s?.version ?? 0) &+ 1,
                members: [MeshMember(name: name, address: "", status: .alive, incarnation: 0, tags: tags, load: now, isLocal: true)],
                isJoined: true)
            s = next
            return next
        }
    }
}
