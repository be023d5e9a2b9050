import Crypto
import Replication
import SessionCore
import Testing

/// Three (or more) in-memory nodes, the real sealer, a manual clock, and the driver over them.
struct Fixture {
    let clock = ManualStoreClock()
    let io: InMemoryNodeIO
    let observer = RecordingObserver()
    let sealer: RecordSealer
    let ring: PlacementRing
    let settings: ReplicationSettings
    let driver: ReplicaDriver

    init(nodes: Int = 3, replicas: Int = 2, quorum: Int = 2, seen: SeenVersions? = nil) throws {
        io = InMemoryNodeIO(nodes: nodes, clock: clock)
        sealer = RecordSealer(keyring: try SessionKeyring(keys: [SymmetricKey(size: .bits256)]))
        ring = PlacementRing(nodes: (0..<nodes).map { "10.0.0.\($0 + 1):11211" })
        settings = ReplicationSettings(replicas: replicas, writeQuorum: quorum, operationBudgetMs: 1000)
        driver = ReplicaDriver(io: io, ring: ring, health: NodeHealth(nodeCount: nodes, retryIntervalMs: 1000),
                               settings: settings, sealing: sealer, clock: clock, observer: observer, seen: seen)
    }

    /// The record's home replicas, then the rest of its preference list.
    func order(_ key: String) -> [Int] { ring.preferenceList(for: key, count: ring.nodeCount) }

    func item(_ text: String, version: UInt64, writeID: UInt64 = .random(in: 1...UInt64.max), tombstone: Bool = false,
              expiresAt: Int64 = Record.never) -> Record {
        Record(namespace: .memcacheItem, version: version, writeID: writeID, isTombstone: tombstone,
               expiresAt: expiresAt, flags: 7, payload: Array(text.utf8))
    }

    /// Puts `record`, sealed, on `nodes` directly (a node that missed writes holds older ones).
    func put(_ record: Record, key: String, on nodes: [Int]) {
        let bytes = sealer.seal(record, storeKey: key)
        for node in nodes { io.put(bytes, key: key, on: node, expiresAt: record.effectiveExpiresAt) }
    }

    /// What a node holds, opened.
    func held(_ key: String, on node: Int) -> Record? {
        io.raw(key, on: node).flatMap { try? sealer.open($0, storeKey: key) }
    }

    func text(_ record: Record?) -> String? { record.map { String(decoding: $0.payload, as: UTF8.self) } }
}

@Suite struct ReplicaDriverTests {
    let key = "mi1:some-key"

    // MARK: Writes

    @Test func aWriteLandsOnBothHomeReplicasAndReadsBack() throws {
        let f = try Fixture()
        let record = f.item("v1", version: 1)
        #expect(try f.driver.write(record, key: key, expected: nil) == .written)
        let home = Array(f.order(key).prefix(2))
        for node in home { #expect(f.held(key, on: node) == record) }
        #expect(f.io.raw(key, on: f.order(key)[2]) == nil)
        // Sealed once: both copies hold the same bytes.
        #expect(f.io.raw(key, on: home[0]) == f.io.raw(key, on: home[1]))
        #expect(try f.driver.read(key).loaded?.record == record)
    }

    @Test func aNodeThatDiesMidWriteIsReplacedByTheNextNodeAndNothingIsLost() throws {
        let f = try Fixture()
        let order = f.order(key)
        // The second home replica dies right after the primary stored its copy.
        f.io.afterWrite.withLock { $0 = { node, io in if node == order[0] { io.setMode(.down, of: order[1]) } } }
        let record = f.item("paid", version: 1)
        #expect(try f.driver.write(record, key: key, expected: nil) == .written)
        #expect(f.held(key, on: order[0]) == record)
        #expect(f.held(key, on: order[2]) == record, "the copy went to the next node clockwise")
        #expect(f.observer.failures.withLock { $0.contains { $0.node == order[1] && $0.newlyDown } })
        // Read through the failure: one home replica and the stand-in are heard.
        #expect(try f.driver.read(key).loaded?.record == record)
    }

    @Test func withOnlyTwoNodesADeadReplicaMeansNoQuorumAndTheWriteIsNotAcknowledged() throws {
        let f = try Fixture(nodes: 2)
        let order = f.order(key)
        f.io.afterWrite.withLock { $0 = { node, io in if node == order[0] { io.setMode(.down, of: order[1]) } } }
        #expect(throws: StoreUnavailable.self) { try f.driver.write(f.item("x", version: 1), key: key, expected: nil) }
    }

    @Test func aTimeoutAfterTheWriteLandedIsReadBackAndNotWrittenTwice() throws {
        let f = try Fixture()
        let primary = f.order(key)[0]
        f.io.setMode(.timesOutAfterApplying, of: primary)
        f.io.afterWrite.withLock { $0 = { node, io in if node == primary { io.setMode(.up, of: primary) } } }
        let record = f.item("once", version: 1)
        #expect(try f.driver.write(record, key: key, expected: nil) == .written)
        #expect(f.held(key, on: primary) == record)
        // One add that timed out; the read-back found the write id; no second store on the primary.
        #expect(f.io.calls.add == 1)
        #expect(f.io.calls.setIfNewer == 1)
    }

    @Test func aTimeoutBeforeTheWriteLandedIsRetriedByVersion() throws {
        let f = try Fixture()
        let order = f.order(key)
        let v1 = f.item("v1", version: 1)
        f.put(v1, key: key, on: Array(order.prefix(2)))
        let loaded = try #require(try f.driver.read(key).loaded)
        // The primary's first cas times out without applying; then the node answers again.
        f.io.setMode(.frozen, of: order[0])
        f.io.afterWrite.withLock { $0 = { node, io in if node == order[0] { io.setMode(.up, of: node) } } }
        let v2 = f.item("v2", version: 2)
        #expect(try f.driver.write(v2, key: key, expected: loaded) == .written)
        for node in order.prefix(2) { #expect(f.held(key, on: node) == v2) }
        #expect(f.io.calls.cas == 2, "the timed-out cas, then the retry after reading the node again")
    }

    @Test func twoWritersRacingOnCASOneWinsTheOtherIsToldConflict() throws {
        let f = try Fixture()
        f.put(f.item("v1", version: 1), key: key, on: Array(f.order(key).prefix(2)))
        let seenByA = try #require(try f.driver.read(key).loaded)
        let seenByB = try #require(try f.driver.read(key).loaded)
        let a = f.item("A", version: 2), b = f.item("B", version: 2)
        #expect(try f.driver.write(a, key: key, expected: seenByA) == .written)
        #expect(try f.driver.write(b, key: key, expected: seenByB) == .conflict)
        #expect(f.text(try f.driver.read(key).loaded?.record) == "A")
        for node in f.order(key).prefix(2) { #expect(f.held(key, on: node) == a) }
    }

    /// A partition: one side reaches only the first home replica, the other side the second home
    /// replica and the next node. Both update version 1 to a version 2 of their own; only the
    /// majority's is acknowledged. After the heal the acknowledged one must win, not the one that
    /// touched last: the refused write was withdrawn from the node it reached.
    @Test func aWriteRefusedForWantOfQuorumIsWithdrawnAndCannotOutrankTheAcknowledgedOne() throws {
        let minority = try Fixture(), order = minority.order(key)
        let v1 = minority.item("v1", version: 1)
        minority.put(v1, key: key, on: Array(order.prefix(2)))
        // The majority's driver shares the nodes but has its own view of them.
        let majority = ReplicaDriver(io: minority.io, ring: minority.ring, health: NodeHealth(nodeCount: 3, retryIntervalMs: 1000),
                                     settings: minority.settings, sealing: minority.sealer, clock: minority.clock, observer: minority.observer)
        // Minority side: the second home replica and the third node are unreachable for it.
        minority.io.setMode(.down, of: order[1])
        minority.io.setMode(.down, of: order[2])
        let seenByMinority = try #require(try minority.driver.read(key).loaded)
        let refused = minority.item("refused", version: 2)
        #expect(throws: StoreUnavailable.self) { try minority.driver.write(refused, key: key, expected: seenByMinority) }
        #expect(minority.held(key, on: order[0]) == v1, "withdrawn: the first home replica holds version 1 again")
        // Majority side: the first home replica is unreachable for it.
        minority.io.setMode(.up, of: order[1])
        minority.io.setMode(.up, of: order[2])
        minority.io.setMode(.down, of: order[0])
        let seenByMajority = try #require(try majority.read(key).loaded)
        let acknowledged = minority.item("acknowledged", version: 2)
        #expect(try majority.write(acknowledged, key: key, expected: seenByMajority) == .written)
        // Heal.
        minority.io.setMode(.up, of: order[0])
        minority.clock.advance(ms: 2000)
        #expect(minority.text(try minority.driver.read(key).loaded?.record) == "acknowledged")
        #expect(minority.text(try majority.read(key).loaded?.record) == "acknowledged")
    }

    /// A store that timed out may land later (a frozen node applies what it had queued when it
    /// thaws). When such a write misses its quorum, the error names the node, and the write is
    /// withdrawn there once the node answers.
    @Test func aTimedOutStoreOfARefusedWriteIsWithdrawnOnceTheNodeAnswers() throws {
        let f = try Fixture()
        let order = f.order(key)
        let v1 = f.item("v1", version: 1)
        f.put(v1, key: key, on: Array(order.prefix(2)))
        let loaded = try #require(try f.driver.read(key).loaded)
        // The primary applies the cas but its answer is lost, then it stops answering; the other
        // nodes are gone too, so the write cannot reach its quorum.
        f.io.setMode(.timesOutAfterApplying, of: order[0])
        f.io.afterWrite.withLock { $0 = { node, io in if node == order[0] { io.setMode(.down, of: node) } } }
        f.io.setMode(.down, of: order[1])
        f.io.setMode(.down, of: order[2])
        let v2 = f.item("refused", version: 2)
        var unsettled: StoreUnavailable.Unsettled?
        do {
            _ = try f.driver.write(v2, key: key, expected: loaded)
            Issue.record("a write without a quorum was acknowledged")
        } catch {
            unsettled = error.unsettled
        }
        let pending = try #require(unsettled)
        #expect(pending.nodes == [order[0]] && pending.previous == v1)
        f.io.setMode(.up, of: order[0])
        #expect(f.held(key, on: order[0]) == v2, "the timed-out store landed")
        let left = f.driver.withdraw(v2, key: key, from: pending.nodes, restoring: pending.previous)
        #expect(left.isEmpty)
        #expect(f.held(key, on: order[0]) == v1, "withdrawn once the node answered")
    }

    /// The two home replicas disagree at one version (a refused write not yet withdrawn on one):
    /// the read asks the other nodes, and the content a write quorum holds wins.
    @Test func siblingsAtOneVersionAreSettledByReadingTheOtherNodes() throws {
        let f = try Fixture()
        let order = f.order(key)
        let acknowledged = f.item("acknowledged", version: 2), refused = f.item("refused", version: 2)
        f.put(refused, key: key, on: [order[0]])
        f.put(acknowledged, key: key, on: [order[1], order[2]])
        #expect(try f.driver.read(key).loaded?.record == acknowledged)
        #expect(try f.driver.readBatch([key])[0].get().loaded?.record == acknowledged)
        // With the third node unreachable nothing tells them apart: 503, not a guess.
        f.io.setMode(.down, of: order[2])
        f.clock.advance(ms: 1)
        let blind = try Fixture()
        blind.put(refused, key: key, on: [order[0]])
        blind.put(acknowledged, key: key, on: [order[1]])
        #expect(throws: StoreUnavailable.self) { try blind.driver.read(key) }
    }

    /// A refused write whose store landed late on the second home replica (a frozen node thawed)
    /// holds the next version there. The next write at that version does not count that copy as
    /// its own: it goes on to the third node. Once it holds a write quorum, and two write quorums
    /// cannot be disjoint, the sibling cannot be acknowledged and is replaced; with more nodes
    /// than that it is left to the read rules.
    @Test(arguments: [3, 5]) func aLateRefusedCopyIsNotCountedAsACopyOfTheNextWrite(nodes: Int) throws {
        let f = try Fixture(nodes: nodes)
        let order = f.order(key)
        let v1 = f.item("v1", version: 1)
        f.put(v1, key: key, on: Array(order.prefix(2)))
        let loaded = try #require(try f.driver.read(key).loaded)
        var late = f.item("refused", version: 2)
        late.flags = 1
        f.put(late, key: key, on: [order[1]])
        let next = f.item("acknowledged", version: 2)
        #expect(try f.driver.write(next, key: key, expected: loaded) == .written)
        #expect(f.held(key, on: order[0]) == next)
        #expect(f.held(key, on: order[2]) == next, "the write went on to the next node")
        if nodes == 3 {
            #expect(f.held(key, on: order[1]) == next, "with 3 nodes and a quorum of 2 the sibling is replaced")
        } else {
            #expect(f.held(key, on: order[1]) == late, "with 5 nodes it could be acknowledged elsewhere: left alone")
        }
        #expect(f.text(try f.driver.read(key).loaded?.record) == "acknowledged")
    }

    @Test func aCreateNeverOverwritesAnExistingOrUndecodableCopy() throws {
        let f = try Fixture()
        let primary = f.order(key)[0]
        f.put(f.item("old", version: 1), key: key, on: [primary])
        #expect(try f.driver.write(f.item("new", version: 1), key: key, expected: nil) == .conflict)
        f.io.put(Array("not a sealed record".utf8), key: key, on: primary)
        #expect(try f.driver.write(f.item("new", version: 1), key: key, expected: nil) == .conflict)
        #expect(f.io.raw(key, on: primary) == Array("not a sealed record".utf8))
    }

    @Test func fewerLiveNodesThanTheQuorumWritesNothing() throws {
        let f = try Fixture()
        let order = f.order(key)
        // Two nodes fail a read and are marked down: one live node is left for a quorum of two.
        f.io.setMode(.down, of: order[0])
        f.io.setMode(.down, of: order[1])
        _ = try? f.driver.read(key)
        _ = try? f.driver.read("mi1:other")
        #expect(f.driver.liveNodeCount() == 1)
        f.io.resetCalls()
        #expect(throws: StoreUnavailable.self) { try f.driver.write(f.item("x", version: 1), key: key, expected: nil) }
        #expect(f.io.calls.writes == 0)
        #expect(f.io.raw(key, on: order[2]) == nil)
    }

    // MARK: Reads

    @Test func aFrozenNodesOldCopyLosesToTheNewestAndIsRepaired() throws {
        let f = try Fixture()
        let home = Array(f.order(key).prefix(2))
        let v1 = f.item("v1", version: 1), v3 = f.item("v3", version: 3)
        f.put(v3, key: key, on: [home[0]])
        f.put(v1, key: key, on: [home[1]])  // resumed after missing two writes
        let outcome = try f.driver.read(key)
        #expect(outcome.loaded?.record == v3)
        #expect(outcome.repair == [home[1]])
        #expect(f.driver.repair(v3, key: key, nodes: outcome.repair) == 1)
        #expect(f.held(key, on: home[1]) == v3)
    }

    @Test func aTombstoneBeatsAnOlderLiveCopyAndReplacesIt() throws {
        let f = try Fixture()
        let home = Array(f.order(key).prefix(2))
        let live = f.item("session", version: 4), tomb = f.item("", version: 5, tombstone: true, expiresAt: f.clock.wallMillis() + 60_000)
        f.put(live, key: key, on: [home[0]])
        f.put(tomb, key: key, on: [home[1]])
        let outcome = try f.driver.read(key)
        #expect(outcome.loaded?.record == tomb)
        #expect(outcome.repair == [home[0]])
        _ = f.driver.repair(tomb, key: key, nodes: outcome.repair)
        #expect(f.held(key, on: home[0])?.isTombstone == true)
    }

    @Test func aTombstoneIsFinalEvenWhenFoundOffItsHomeNodes() throws {
        let f = try Fixture()
        let order = f.order(key)
        f.io.setMode(.down, of: order[0])
        f.io.setMode(.down, of: order[1])
        f.put(f.item("", version: 2, tombstone: true, expiresAt: f.clock.wallMillis() + 60_000), key: key, on: [order[2]])
        #expect(try f.driver.read(key).loaded?.record.isTombstone == true)
    }

    @Test func expirySeenOnOneCopyButNotTheOther() throws {
        let f = try Fixture()
        let home = Array(f.order(key).prefix(2))
        let now = f.clock.wallMillis()
        // Two copies of version 1 with different access times: the later access keeps the session alive.
        var early = Record(namespace: .session, version: 1, writeID: 1, expiresAt: now + 3_600_000,
                           idle: IdleRule(lastAccessAt: now - 900_000, timeout: 600_000), payload: [0, 0, 0, 0, 0, 0, 0, 0, 1])
        var late = early
        late.idle = IdleRule(lastAccessAt: now - 60_000, timeout: 600_000)
        late.writeID = 2
        f.put(early, key: key, on: [home[0]])
        f.put(late, key: key, on: [home[1]])
        let outcome = try f.driver.read(key)
        #expect(outcome.loaded?.record == late)
        #expect(outcome.loaded?.record.isLive(at: now) == true)
        #expect(outcome.repair == [home[0]])
        // Memcached dropped one copy at its TTL; the other, past its idle expiry by less than the
        // TTL's second of slack, is still read, but not repaired back onto the node that dropped it.
        early.idle = IdleRule(lastAccessAt: now - 600_500, timeout: 600_000)
        f.io.drop(key, on: home[1])
        f.io.put(f.sealer.seal(early, storeKey: key), key: key, on: home[0], expiresAt: now + 1_000)
        let expired = try f.driver.read(key)
        #expect(expired.loaded?.record.isLive(at: now) == false)
        #expect(expired.repair.isEmpty)
    }

    @Test func aMissingCopyIsRepaired() throws {
        let f = try Fixture()
        let home = Array(f.order(key).prefix(2))
        let record = f.item("only one copy left", version: 2)
        f.put(record, key: key, on: [home[0]])
        let outcome = try f.driver.read(key)
        #expect(outcome.repair == [home[1]])
        #expect(f.driver.repair(record, key: key, nodes: outcome.repair) == 1)
        #expect(f.held(key, on: home[1]) == record)
        #expect(try f.driver.read(key).repair.isEmpty)
    }

    @Test func anUndecodableCopyIsNeverServedAndIsRepaired() throws {
        let f = try Fixture()
        let home = Array(f.order(key).prefix(2))
        let record = f.item("good", version: 1)
        f.put(record, key: key, on: [home[0]])
        f.io.put(Array(repeating: 0x53, count: 64), key: key, on: home[1])
        let outcome = try f.driver.read(key)
        #expect(outcome.loaded?.record == record)
        #expect(outcome.repair == [home[1]])
        #expect(f.observer.unopened.load(ordering: .relaxed) == 1)
        #expect(f.driver.repair(record, key: key, nodes: outcome.repair) == 1)
        #expect(f.held(key, on: home[1]) == record)
    }

    @Test func aMissHeardFromTooFewHomeReplicasIsUnavailableNeverNotFound() throws {
        let f = try Fixture()
        let order = f.order(key)
        f.put(f.item("exists", version: 1), key: key, on: Array(order.prefix(2)))
        // Cut off from both home replicas: only a node that never held a copy answers.
        f.io.setMode(.down, of: order[0])
        f.io.setMode(.frozen, of: order[1])
        #expect(throws: StoreUnavailable.self) { try f.driver.read(key) }
        // The same in a batch.
        let batch = f.driver.readBatch([key])
        #expect(throws: StoreUnavailable.self) { try batch[0].get() }
    }

    @Test func aLiveCopyFoundOnlyOffItsHomeNodesIsNotAnAnswerEither() throws {
        let f = try Fixture()
        let order = f.order(key)
        // An old copy on the stand-in node; the home replicas (with a newer one) cannot be heard.
        f.put(f.item("v1", version: 1), key: key, on: [order[2]])
        f.io.setMode(.down, of: order[0])
        f.io.setMode(.down, of: order[1])
        #expect(throws: StoreUnavailable.self) { try f.driver.read(key) }
    }

    @Test func aMissFromEnoughHomeReplicasIsAnAnswer() throws {
        let f = try Fixture()
        let order = f.order(key)
        #expect(try f.driver.read(key).loaded == nil)
        // With one home replica down, the other and the stand-in are heard: still an answer.
        f.io.setMode(.down, of: order[0])
        #expect(try f.driver.read(key).loaded == nil)
        // With a write quorum of 1, one home replica's silence is not enough: the copy may be on the other.
        let lax = try Fixture(quorum: 1)
        lax.io.setMode(.down, of: order[0])
        #expect(throws: StoreUnavailable.self) { try lax.driver.read(key) }
    }

    @Test func aBatchReadServesManyKeysWithOneRoundTrip() throws {
        let f = try Fixture()
        let keys = (0..<50).map { "mi1:key-\($0)" }
        for (i, k) in keys.enumerated() { f.put(f.item("value \(i)", version: 1), key: k, on: Array(f.order(k).prefix(2))) }
        f.io.resetCalls()
        let results = f.driver.readBatch(keys)
        #expect(f.io.calls.gets == 1)
        for (i, result) in results.enumerated() { #expect(f.text(try result.get().loaded?.record) == "value \(i)") }
    }

    @Test func copiesRolledBackBelowASeenVersionAreRefused() throws {
        let f = try Fixture(seen: SeenVersions(capacity: 100))
        let home = Array(f.order(key).prefix(2))
        let v1 = f.item("unpaid", version: 1)
        #expect(try f.driver.write(v1, key: key, expected: nil) == .written)
        let oldBytes = try #require(f.io.raw(key, on: home[0]))
        let loaded = try #require(try f.driver.read(key).loaded)
        #expect(try f.driver.write(f.item("paid", version: 2), key: key, expected: loaded) == .written)
        // Someone with write access to the nodes puts the old sealed bytes back on every copy.
        for node in home { f.io.put(oldBytes, key: key, on: node) }
        #expect(throws: StoreUnavailable.self) { try f.driver.read(key) }
        #expect(f.observer.refused.load(ordering: .relaxed) == 1)
        // A sidecar that never saw version 2 cannot tell (the README says so).
        let fresh = ReplicaDriver(io: f.io, ring: f.ring, health: NodeHealth(nodeCount: 3, retryIntervalMs: 1000),
                                  settings: f.settings, sealing: f.sealer, clock: f.clock, observer: f.observer)
        #expect(try fresh.read(key).loaded?.record.version == 1)
    }

    /// A version read from one copy only may be a write in flight that then failed: a later read
    /// that sees only the older version is not a rollback.
    @Test func aVersionSeenOnFewerCopiesThanTheQuorumIsNotAFloor() throws {
        let f = try Fixture(seen: SeenVersions(capacity: 100))
        let order = f.order(key)
        f.put(f.item("v1", version: 1), key: key, on: [order[1]])
        f.put(f.item("v2 in flight", version: 2), key: key, on: [order[0]])
        #expect(try f.driver.read(key).loaded?.record.version == 2)
        f.io.drop(key, on: order[0])
        f.io.setMode(.down, of: order[0])
        #expect(try f.driver.read(key).loaded?.record.version == 1)
        #expect(f.observer.refused.load(ordering: .relaxed) == 0)
    }

    @Test func seenVersionsStayBounded() {
        let seen = SeenVersions(capacity: 10)
        for i in 0..<1000 { seen.saw(RecordOrder(version: 1, isTombstone: false, touchedAt: 0), key: "k\(i)") }
        #expect(seen.floor(of: "k999") != nil)
        #expect(seen.floor(of: "k0") == nil)
        // A floor never goes down, and an access time alone does not raise it.
        seen.saw(RecordOrder(version: 5, isTombstone: false, touchedAt: 0), key: "x")
        seen.saw(RecordOrder(version: 3, isTombstone: false, touchedAt: 99), key: "x")
        #expect(seen.floor(of: "x") == SeenVersions.Floor(version: 5, isTombstone: false))
        #expect(seen.floor(of: "x")!.isAbove(RecordOrder(version: 4, isTombstone: true, touchedAt: 0)))
        #expect(!seen.floor(of: "x")!.isAbove(RecordOrder(version: 5, isTombstone: false, touchedAt: -1)))
    }

    // MARK: Round trips

    /// A read that refreshes the access time: one `gets` round trip (the read), then the write uses
    /// the CAS ids the read saw: a `cas` on each copy, no second `gets`. Before the read token, the
    /// write read the copies again: one round trip more.
    @Test func aReadThatRefreshesTheAccessTimeReadsTheCopiesOnce() throws {
        let f = try Fixture()
        let now = f.clock.wallMillis()
        let session = Record(namespace: .session, version: 3, writeID: 1, expiresAt: now + 3_600_000,
                             idle: IdleRule(lastAccessAt: now - 120_000, timeout: 900_000), payload: [UInt8](repeating: 1, count: 40))
        let key = "sm1:session"
        f.put(session, key: key, on: Array(f.order(key).prefix(2)))
        f.io.resetCalls()
        let loaded = try #require(try f.driver.read(key).loaded)
        var touched = loaded.record
        touched.idle?.lastAccessAt = now
        touched.writeID = 2
        #expect(try f.driver.write(touched, key: key, expected: loaded) == .written)
        #expect(f.io.calls.gets == 1)
        #expect(f.io.calls.roundTrips == 3, "gets, then cas on the primary and on the replica")
        // Without the read's CAS ids the write has to read the copies first.
        f.io.resetCalls()
        var again = touched
        again.idle?.lastAccessAt = now + 1
        again.writeID = 3
        _ = try f.driver.write(again, key: key, expected: LoadedRecord(record: touched, token: ReadToken(copies: [])))
        #expect(f.io.calls.roundTrips == 3, "gets of both copies, then two writes")
        #expect(f.io.calls.gets == 1)
    }
}

