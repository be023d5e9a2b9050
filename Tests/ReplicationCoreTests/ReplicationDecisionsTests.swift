import Replication
import Testing

@Suite struct ReplicationDecisionsTests {
    let settings = ReplicationSettings(replicas: 2, writeQuorum: 2, operationBudgetMs: 1000)
    func rec(_ version: UInt64, writeID: UInt64 = 1, tombstone: Bool = false, touched: Int64 = 0, expires: Int64 = Record.never) -> Record {
        Record(namespace: .session, version: version, writeID: writeID, isTombstone: tombstone, expiresAt: expires,
               idle: IdleRule(lastAccessAt: touched, timeout: Int64.max / 4), payload: [])
    }

    @Test func copiesAreOrderedByVersionThenTombstoneThenAccess() {
        #expect(rec(2).isNewer(than: rec(1, touched: 99)))
        #expect(rec(2, tombstone: true).isNewer(than: rec(2, touched: 99)))
        #expect(rec(2, touched: 5).isNewer(than: rec(2, touched: 4)))
        #expect(!rec(2).isNewer(than: rec(2)))
    }

    @Test func theNewestCopyWinsAndEveryOtherIsRepaired() {
        let copies = [NodeCopy(node: 0, state: .present(cas: 1, record: rec(1))),
                      NodeCopy(node: 2, state: .present(cas: 9, record: rec(3))),
                      NodeCopy(node: 1, state: .missing)]
        #expect(ReplicationDecisions.resolve(copies, home: [0, 1], settings: settings, now: 0) == .found(rec(3), repair: [0, 1]))
    }

    /// Same version, other contents: the copy held by a write quorum wins; with none, no answer.
    @Test func siblingsOfOneVersionAreDecidedByTheQuorumThatHoldsOne() {
        func content(_ text: String, touched: Int64) -> Record {
            Record(namespace: .session, version: 5, writeID: .random(in: 1...UInt64.max), expiresAt: Record.never,
                   idle: IdleRule(lastAccessAt: touched, timeout: Int64.max / 4), payload: Array(text.utf8))
        }
        let acknowledged = content("acknowledged", touched: 1), refused = content("refused", touched: 9)
        let lax = ReplicationSettings(replicas: 3, writeQuorum: 2, operationBudgetMs: 1000)
        let three = [NodeCopy(node: 0, state: .present(cas: 1, record: refused)),
                     NodeCopy(node: 1, state: .present(cas: 2, record: acknowledged)),
                     NodeCopy(node: 2, state: .present(cas: 3, record: acknowledged))]
        #expect(ReplicationDecisions.resolve(three, home: [0, 1, 2], settings: lax, now: 0) == .found(acknowledged, repair: []))
        // Two copies heard, one each: nothing tells which was acknowledged.
        let two = Array(three.prefix(2))
        #expect(ReplicationDecisions.resolve(two, home: [0, 1], settings: settings, now: 0) == .conflict)
        // A mere touch is not a conflict: the later access wins.
        var touched = acknowledged
        touched.idle?.lastAccessAt = 7
        touched.writeID = 99
        let touch = [NodeCopy(node: 0, state: .present(cas: 1, record: acknowledged)), NodeCopy(node: 1, state: .present(cas: 2, record: touched))]
        #expect(ReplicationDecisions.resolve(touch, home: [0, 1], settings: settings, now: 0) == .found(touched, repair: [0]))
    }

    @Test func silenceNeedsEnoughHomeReplicas() {
        let missOffHome = [NodeCopy(node: 2, state: .missing)]
        #expect(ReplicationDecisions.resolve(missOffHome, home: [0, 1], settings: settings, now: 0) == .unknown(heardHome: 0, needed: 1))
        let missAtHome = [NodeCopy(node: 1, state: .missing), NodeCopy(node: 2, state: .missing)]
        #expect(ReplicationDecisions.resolve(missAtHome, home: [0, 1], settings: settings, now: 0) == .absent)
        let lax = ReplicationSettings(replicas: 3, writeQuorum: 1, operationBudgetMs: 1000)
        #expect(lax.homeReplicasForAnswer == 3)
        #expect(ReplicationDecisions.resolve(missAtHome, home: [0, 1, 2], settings: lax, now: 0) == .unknown(heardHome: 2, needed: 3))
    }

    @Test func thePrimaryStoresOverWhatTheWriteWasBasedOnOrOverAStaleCopyOnly() {
        let mine = rec(3, writeID: 42)
        typealias D = ReplicationDecisions
        #expect(D.primaryStep(current: .missing, writing: mine, expected: nil, outcomeWasUnknown: false) == .store(replacingCAS: nil))
        #expect(D.primaryStep(current: .present(cas: 5, record: rec(2)), writing: mine, expected: rec(2), outcomeWasUnknown: false) == .store(replacingCAS: 5))
        // A node that missed writes holds an older copy than the one the write was based on.
        #expect(D.primaryStep(current: .present(cas: 5, record: rec(1)), writing: mine, expected: rec(2), outcomeWasUnknown: false) == .store(replacingCAS: 5))
        // Someone else wrote since.
        #expect(D.primaryStep(current: .present(cas: 5, record: rec(3, writeID: 7)), writing: mine, expected: rec(2), outcomeWasUnknown: false) == .conflict)
        // A create over anything that exists.
        #expect(D.primaryStep(current: .present(cas: 5, record: rec(1)), writing: mine, expected: nil, outcomeWasUnknown: false) == .conflict)
        #expect(D.primaryStep(current: .present(cas: 5, record: nil), writing: mine, expected: nil, outcomeWasUnknown: false) == .conflict)
        #expect(D.primaryStep(current: .present(cas: 5, record: nil), writing: mine, expected: rec(2), outcomeWasUnknown: false) == .store(replacingCAS: 5))
        // After a timeout, finding its own write id means the write landed.
        #expect(D.primaryStep(current: .present(cas: 6, record: mine), writing: mine, expected: rec(2), outcomeWasUnknown: true) == .alreadyWritten)
        #expect(D.primaryStep(current: .present(cas: 6, record: mine), writing: mine, expected: rec(2), outcomeWasUnknown: false) == .conflict)
    }

    @Test func aReplicaHoldingTheRecordOrANewerOneIsLeftAlone() {
        typealias D = ReplicationDecisions
        let mine = rec(3)
        #expect(D.replicaStep(.present(cas: 1, record: mine), mine) == .holds)
        #expect(D.replicaStep(.present(cas: 1, record: rec(4)), mine) == .holds)
        #expect(D.replicaStep(.present(cas: 1, record: rec(2)), mine) == .store)
        #expect(D.replicaStep(.present(cas: 1, record: nil), mine) == .store)
        #expect(D.replicaStep(.missing, mine) == .store)
        // The same write, touched: the later access time is stored, an earlier one left alone.
        #expect(D.replicaStep(.present(cas: 1, record: rec(3, touched: 1)), rec(3, touched: 5)) == .store)
        #expect(D.replicaStep(.present(cas: 1, record: rec(3, touched: 5)), rec(3, touched: 1)) == .holds)
    }

    /// Another write at the same version is not a copy of this one, whatever its access time, and
    /// is not overwritten either: it may be the acknowledged write.
    @Test func aReplicaHoldingAnotherWriteOfTheSameVersionIsASibling() {
        typealias D = ReplicationDecisions
        var mine = rec(3)
        mine.payload = Array("mine".utf8)
        var other = rec(3, writeID: 99)
        other.payload = Array("other".utf8)
        #expect(D.replicaStep(.present(cas: 1, record: other), mine) == .sibling)
        let tombstone = rec(3, writeID: 98, tombstone: true)
        #expect(D.replicaStep(.present(cas: 1, record: tombstone), mine) == .sibling)
        #expect(D.replicaStep(.present(cas: 1, record: mine), tombstone) == .sibling)
    }
}
