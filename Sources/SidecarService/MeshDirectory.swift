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

/// The current membership view: implemented by the gossip mesh, or by a single-node view when
/// gossip is off.
public protocol MeshDirectory: Sendable {
    /// Every known member (self included), sorted by name.
    func members() -> [MeshMember]
    /// True once this node has joined at least one peer (or has no seeds to join).
    var isJoined: Bool { get }
}

/// The view of a sidecar running without gossip: just itself.
public struct LocalOnlyDirectory: MeshDirectory {
    public let name: String
    public let tags: [String: String]
    public let load: @Sendable () -> HostLoad

    public init(name: String, tags: [String: String], load: @escaping @Sendable () -> HostLoad) {
        self.name = name
        self.tags = tags
        self.load = load
    }

    public func members() -> [MeshMember] {
        [MeshMember(name: name, address: "", status: .alive, incarnation: 0, tags: tags, load: load(), loadAge: 0, isLocal: true)]
    }

    public var isJoined: Bool { true }
}
