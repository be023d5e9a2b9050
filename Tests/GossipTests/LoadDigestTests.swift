import Testing
@testable import Gossip

@Suite struct LoadDigestTests {
    @Test func digestRoundTripAndBadInput() throws {
        let entries = [LoadDigest.Entry(origin: "node-1", seq: 7, payload: [1, 2, 3]),
                       LoadDigest.Entry(origin: "node-22", seq: 0xfffffff0, payload: [])]
        let b = LoadDigest.encode(entries)
        #expect(b.prefix(3) == [0x4C, 1, 2])
        #expect(try LoadDigest.decode(b) == entries)
        #expect(throws: LoadDigest.Error.truncated) { try LoadDigest.decode(Array(b.dropLast())) }
        #expect(throws: LoadDigest.Error.notADigest) { try LoadDigest.decode([0x00, 1, 0]) }
        #expect(throws: LoadDigest.Error.badVersion(9)) { try LoadDigest.decode([0x4C, 9, 0]) }
    }

    @Test func newerVersionsSupersedeAndForwardingIsBounded() {
        var t = LoadTable()
        let r1 = t.update(origin: "a", seq: 1, payload: [1], now: 0)
        #expect(r1)
        let r2 = t.update(origin: "a", seq: 1, payload: [9], now: 1)
        #expect(!r2)   // same version
        let r3 = t.update(origin: "a", seq: 2, payload: [2], now: 2)
        #expect(r3)
        let r4 = t.update(origin: "a", seq: 1, payload: [3], now: 3)
        #expect(!r4)   // older
        #expect(t["a"]?.payload == [2])
        let r5 = t.update(origin: "b", seq: 5, payload: [5], now: 4)
        #expect(r5)
        // Newest first, each entry at most maxTransmits times.
        let first = t.take(budget: 1000, maxTransmits: 2, exclude: "")
        #expect(first.map(\.origin) == ["b", "a"])
        let r6 = t.take(budget: 1000, maxTransmits: 2, exclude: "")
        #expect(r6.count == 2)
        let r7 = t.take(budget: 1000, maxTransmits: 2, exclude: "")
        #expect(r7.isEmpty)
        // A new version is forwarded again, before older news.
        let r8 = t.update(origin: "a", seq: 3, payload: [3], now: 5)
        #expect(r8)
        let r9 = t.take(budget: 1000, maxTransmits: 2, exclude: "")
        #expect(r9.map(\.seq) == [3])
        // The budget is respected.
        for i in 0..<100 { t.update(origin: "n\(i)", seq: 1, payload: [UInt8](repeating: 0, count: 10), now: 6) }
        let some = t.take(budget: 200, maxTransmits: 4, exclude: "")
        #expect(some.count > 0)
        #expect(LoadDigest.encode(some).count <= 200)
        // Sequence numbers compare with wrap-around.
        var w = LoadTable()
        w.update(origin: "x", seq: UInt32.max, payload: [], now: 0)
        let r10 = w.update(origin: "x", seq: 0, payload: [], now: 1)
        #expect(r10)
    }

    @Test func nodesExchangeLoadReportsInGossip() {
        var a = GossipNode(name: "a", address: addr(1), meta: nil, now: 0, seed: 1)
        var b = GossipNode(name: "b", address: addr(2), meta: nil, now: 0, seed: 2)
        a.seedMembership([state("b", 2)], now: 0)
        b.seedMembership([state("a", 1)], now: 0)
        a.setLocalLoad([42, 43], now: 0)
        var got: [GossipEffect] = []
        var t: Int64 = 0
        while t < 1 * sec {
            for e in a.tick(now: t) {
                if case .sendPacket(let bytes, let to) = e, to == addr(2) { got += b.receivePacket(bytes, from: addr(1), now: t) }
            }
            t += 10 * ms
        }
        #expect(b.load["a"]?.payload == [42, 43])
        #expect(got.contains(.loadReport(origin: "a", seq: 1, payload: [42, 43])))
    }

    @Test func reliableUserMessageOverStream() throws {
        var a = GossipNode(name: "a", address: addr(1), meta: nil, now: 0, seed: 1)
        var b = GossipNode(name: "b", address: addr(2), meta: nil, now: 0, seed: 2)
        let eff = a.sendReliable([3, 0x80], to: addr(2))
        guard case .openStream(let req)? = eff.first else { Issue.record("no stream"); return }
        #expect(!req.expectsReply)
        let (msg, _) = try #require(try StreamCodec.decode(req.bytes))
        let (reply, out) = b.receiveStream(msg, from: addr(1), now: 0)
        #expect(reply == nil)
        #expect(out == [.userMessage([3, 0x80], from: addr(1))])
    }

    @Test func aRestartedNodesReportsWinWhenItsSequenceStartsHigher() {
        var table = LoadTable()
        let first = table.update(origin: "n", seq: 5_000, payload: [1], now: 0)
        // Same name, a new process that restarted its sequence at 1: ignored (old report kept).
        let restartedAtOne = table.update(origin: "n", seq: 1, payload: [2], now: 1)
        // Started from a clock-derived value above the old one: accepted.
        let restartedHigher = table.update(origin: "n", seq: 9_000, payload: [3], now: 2)
        #expect(first && !restartedAtOne && restartedHigher)
        #expect(table["n"]?.payload == [3])
        var wrap = LoadTable()
        let a = wrap.update(origin: "w", seq: UInt32.max - 2, payload: [1], now: 0)
        let b = wrap.update(origin: "w", seq: 3, payload: [2], now: 1)  // serial-number order across wrap-around
        #expect(a && b)
    }
}
