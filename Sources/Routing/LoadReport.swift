/// One member's entry in a `MeshView`: who it is (node name, where its traffic goes) and its
/// latest `HostLoad`.
public struct LoadReport: Sendable, Hashable {
    /// Node name (the gossip member name). Weights are ordered by it.
    public var node: String
    /// Where to send traffic (host:port); free text for the consumers.
    public var address: String
    /// The member's load (`HostLoad.unreported` when it has published none).
    public var load: HostLoad

    public init(node: String, address: String = "", load: HostLoad) {
        self.node = node
        self.address = address
        self.load = load
    }
}
