import StoreHealth
import Synchronization
import Testing

/// The readiness hysteresis as pure code on a manual clock (ms → ns).
struct ReadinessGateTests {
    static func ms(_ x: UInt64) -> UInt64 { x * 1_000_000 }

    @Test func readyAtOnceBeforeAnyLossThenUnreadyAtOnceWhenTheQuorumIsLost() {
        var g = ReadinessGate(holdMs: 3000)
        #expect(!g.isReady(now: 0), "no observation yet: not ready")
        g.observe(quorum: true, now: Self.ms(10))
        #expect(g.isReady(now: Self.ms(10)), "never lost: no hold at start")
        g.observe(quorum: false, now: Self.ms(20))
        #expect(!g.isReady(now: Self.ms(20)))
        #expect(g.remainingHold(now: Self.ms(20)) == nil)
    }

    @Test func readyAgainOnlyAfterTheQuorumHeldForTheHoldTime() {
        var g = ReadinessGate(holdMs: 3000)
        g.observe(quorum: false, now: Self.ms(1000))
        g.observe(quorum: true, now: Self.ms(1500))
        #expect(!g.isReady(now: Self.ms(1500)))
        #expect(g.remainingHold(now: Self.ms(1500)) == Self.ms(2500))
        #expect(!g.isReady(now: Self.ms(3999)))
        #expect(g.isReady(now: Self.ms(4000)), "3000 ms after the last loss")
        #expect(g.remainingHold(now: Self.ms(4000)) == 0)
    }

    @Test func aFlappingQuorumKeepsItUnreadyForTheWholeFlap() {
        // The store's retry interval re-admits a dead node every 500 ms, then the next probe fails:
        // quorum true, false, true, false… must read unready the whole time, not half of it.
        var g = ReadinessGate(holdMs: 2000)
        g.observe(quorum: true, now: 0)
        var readySamples = 0
        for step in 1...40 {  // 20 s in 500 ms steps
            let t = Self.ms(UInt64(step) * 500)
            g.observe(quorum: step % 2 == 0, now: t)
            if g.isReady(now: t) || g.isReady(now: t + Self.ms(499)) { readySamples += 1 }
        }
        #expect(readySamples == 0)
        // After the flapping stops (last loss at 19.5 s), ready 2 s later.
        g.observe(quorum: true, now: Self.ms(20_500))
        #expect(!g.isReady(now: Self.ms(21_499)))
        #expect(g.isReady(now: Self.ms(21_500)))
    }

    @Test func zeroHoldFollowsTheLatestObservation() {
        var g = ReadinessGate(holdMs: 0)
        g.observe(quorum: false, now: 5)
        #expect(!g.isReady(now: 5))
        g.observe(quorum: true, now: 6)
        #expect(g.isReady(now: 6))
    }

    @Test func theSharedGateCountsARequestPathLossAtOnceAndRestartsTheHold() {
        let clock = Atomic<UInt64>(0)
        let live = Atomic<Bool>(true)
        let r = StoreReadiness(holdMs: 1000, now: { clock.load(ordering: .relaxed) }, liveQuorum: { live.load(ordering: .relaxed) })
        #expect(!r.isReady && r.notReadyReason != nil, "unready until the first probe")
        r.observeProbe(quorum: true)
        #expect(r.isReady && r.notReadyReason == nil)
        // An operation marks nodes down between probes: unready at once, without waiting for a probe.
        clock.store(Self.ms(100), ordering: .relaxed)
        live.store(false, ordering: .relaxed)
        #expect(!r.isReady)
        #expect(r.notReadyReason == "fewer live memcached nodes than the write quorum")
        // The nodes are re-admitted and the next probe finds the quorum: the hold runs from the loss.
        clock.store(Self.ms(600), ordering: .relaxed)
        live.store(true, ordering: .relaxed)
        r.observeProbe(quorum: true)
        #expect(!r.isReady)
        #expect(r.notReadyReason?.contains("500 ms more") == true)
        clock.store(Self.ms(1100), ordering: .relaxed)
        #expect(r.isReady)
        // A probe round below the quorum counts as a loss even when the request path saw none.
        r.observeProbe(quorum: false)
        #expect(!r.isReady)
    }
}
