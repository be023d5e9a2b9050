/// What one node holds of one record, as last read.
public enum CopyState: Equatable, Sendable {
    /// No copy.
    case missing
    /// A copy with the node's CAS id; `record` is nil when it did not open (tampered or foreign).
    case present(cas: UInt64, record: Record?)

    public var record: Record? {
        if case .present(_, let record) = self { return record }
        return nil
    }

    /// The stored item a conditional write replaces (its CAS id), nil where there is none.
    var casID: UInt64? {
        if case .present(let cas, _) = self { return cas }
        return nil
    }
}

/// One node's answer to a read.
public struct NodeCopy: Equatable, Sendable {
    public var node: Int
    public var state: CopyState

    public init(node: Int, state: CopyState) {
        self.node = node
        self.state = state
    }
}

/// What a read saw on each node it heard, CAS ids included. It travels with the record it
/// returns, so the write that follows (an access-time refresh, an update) can use the CAS ids
/// instead of reading the copies again.
public struct ReadToken: Equatable, Sendable {
    public var copies: [NodeCopy]

    public init(copies: [NodeCopy]) { self.copies = copies }

    public func state(of node: Int) -> CopyState? {
        copies.first { $0.node == node }?.state
    }
}

/// A record as read, with what the read saw.
public struct LoadedRecord: Equatable, Sendable {
    public var record: Record
    public var token: ReadToken

    public init(record: Record, token: ReadToken) {
        self.record = record
        self.token = token
    }
}
