import Testing
@testable import Routing
import SeededRandom

@Suite struct WeightFunctionTests {
    let wf = WeightFunction(blackoutPeriod: 10, expirationPeriod: 60, slowStartWindow: 30)

    func report(_ node: String, qps: Double, util: Double, at t: Double = 100, started: Double = 0, errors: Double = 0)
        -> LoadReport
    {
        LoadReport(
            node: node, address: "\(node):80",
            load: HostLoad(inFlight: 3, latencyMs: 20, sessions: 10, utilization: util, errorRate: errors, requestRate: qps,
                           timestamp: t, startedAt: started))
    }

    @Test func a58WeightsEstimateCapacity() {
        // Same utilization, throughput 4:2:1 → weights 4:2:1 (normalised to mean 1).
        let view = MeshView(now: 100, reports: [
            report("a", qps: 400, util: 0.8), report("b", qps: 200, util: 0.8), report("c", qps: 100, util: 0.8),
        ])
        let t = wf.table(for: view)
        #expect(t.entries.map(\.node) == ["a", "b", "c"])
        let w = t.entries.map(\.weight)
        #expect(abs(w[0] - 12.0 / 7) < 1e-12 && abs(w[1] - 6.0 / 7) < 1e-12 && abs(w[2] - 3.0 / 7) < 1e-12)
        #expect(abs(t.meanWeight - 1) < 1e-12)
        #expect(t.entries.allSatisfy { $0.state == .weighted })
        // Half the utilization for the same throughput = twice the capacity.
        let t2 = wf.table(for: MeshView(now: 100, reports: [report("a", qps: 100, util: 0.4), report("b", qps: 100, util: 0.8)]))
        #expect(abs(t2["a"]!.weight / t2["b"]!.weight - 2) < 1e-12)
    }

    @Test func sameViewSameWeightsWhateverTheOrder() {
        var reports: [LoadReport] = []
        var rng = SeededGenerator(seed: 99)
        for i in 0..<40 {
            reports.append(
                report(
                    "node-\(i)", qps: 50 + rng.nextUnit() * 500, util: 0.1 + rng.nextUnit() * 0.9,
                    at: 95 + rng.nextUnit() * 5, started: rng.nextUnit() * 100, errors: rng.nextUnit() * 0.1))
        }
        let reference = wf.table(for: MeshView(now: 100, reports: reports))
        for seed in 0..<20 {
            var shuffled = reports
            var g = SeededGenerator(seed: UInt64(seed))
            shuffled.shuffle(using: &g)
            // Build the view by updates in a different order, on "another peer".
            var v = MeshView(now: 100)
            for r in shuffled { v.update(r) }
            let t = wf.table(for: v)
            #expect(t == reference)  // bit-identical, not just close
        }
        // Sorted by node name.
        #expect(reference.entries.map(\.node) == reference.entries.map(\.node).sorted())
    }

    @Test func viewKeepsTheNewestReportAndNeverSums() {
        var v = MeshView(now: 100)
        v.update(report("a", qps: 100, util: 0.5, at: 90))
        v.update(report("a", qps: 300, util: 0.5, at: 95))
        v.update(report("a", qps: 999, util: 0.5, at: 80))  // older: ignored
        #expect(v.reports["a"]!.load.requestRate == 300)
        #expect(v.reports.count == 1)
    }

    @Test func slowStartRamps() {
        #expect(wf.slowStartFactor(startedAt: 100, now: 100) == 0.1)  // floor: min weight percent
        #expect(abs(wf.slowStartFactor(startedAt: 100, now: 115) - 0.5) < 1e-12)
        #expect(abs(wf.slowStartFactor(startedAt: 100, now: 124) - 0.8) < 1e-12)
        #expect(wf.slowStartFactor(startedAt: 100, now: 130) == 1)
        #expect(wf.slowStartFactor(startedAt: -.infinity, now: 130) == 1)
        var aggressive = wf
        aggressive.slowStartAggression = 2  // (t/window)^(1/2)
        #expect(abs(aggressive.slowStartFactor(startedAt: 0, now: 7.5) - 0.5) < 1e-12)

        // In a table: a node that started 15 s ago (past its blackout) gets half its weight.
        let v = MeshView(now: 100, reports: [
            report("a", qps: 100, util: 0.5), report("b", qps: 100, util: 0.5), report("new", qps: 100, util: 0.5, started: 85),
        ])
        let t = wf.table(for: v)
        #expect(abs(t["new"]!.slowStartFactor - 0.5) < 1e-12)
        #expect(abs(t["new"]!.weight / t["a"]!.weight - 0.5) < 1e-12)
    }

    @Test func blackoutIgnoresANewWeight() {
        // "new" started 5 s ago and claims a huge capacity: during the blackout it gets the
        // mean of the others instead (then slow start applies).
        let reports = [
            report("a", qps: 100, util: 0.5), report("b", qps: 300, util: 0.5),
            report("new", qps: 10_000, util: 0.1, started: 95),
        ]
        var noRamp = wf
        noRamp.slowStartWindow = 0
        let t = noRamp.table(for: MeshView(now: 100, reports: reports))
        #expect(t["new"]!.state == .blackout)
        #expect(abs(t["new"]!.weight - 1) < 1e-12)  // the mean weight
        #expect(abs(t["b"]!.weight / t["a"]!.weight - 3) < 1e-12)
        // After the blackout its own (clamped) weight counts.
        let later = noRamp.table(for: MeshView(now: 106, reports: reports))
        #expect(later["new"]!.state == .weighted)
        #expect(later["new"]!.weight > later["b"]!.weight)
    }

    @Test func staleReportsExpire() {
        let reports = [
            report("a", qps: 100, util: 0.5, at: 100), report("b", qps: 300, util: 0.5, at: 100),
            report("old", qps: 900, util: 0.5, at: 30),
        ]
        let t = wf.table(for: MeshView(now: 100, reports: reports))  // 70 s > 60 s
        #expect(t["old"]!.state == .expired)
        #expect(t["old"]!.inFlight == 0 && t["old"]!.latencyEWMA == 0)
        #expect(abs(t["old"]!.weight - 1) < 1e-12)  // mean weight, not its stale 9×
        let fresh = wf.table(for: MeshView(now: 80, reports: reports))  // 50 s: still valid
        #expect(fresh["old"]!.state == .weighted)
        #expect(fresh["old"]!.weight > fresh["b"]!.weight)
    }

    @Test func errorPenaltyLowersWeight() {
        // Fast failures: high throughput, low utilization — without a penalty it looks best.
        let healthy = report("a", qps: 100, util: 0.5)
        let failing = report("b", qps: 100, util: 0.5, errors: 0.5)
        let t = wf.table(for: MeshView(now: 100, reports: [healthy, failing]))
        // 100/(0.5+0.5·1) = 100 against 100/0.5 = 200.
        #expect(abs(t["a"]!.weight / t["b"]!.weight - 2) < 1e-12)
        var noPenalty = wf
        noPenalty.errorPenalty = 0
        let t0 = noPenalty.table(for: MeshView(now: 100, reports: [healthy, failing]))
        #expect(abs(t0["a"]!.weight - t0["b"]!.weight) < 1e-12)
    }

    @Test func clampsAndUnknownsAndDraining() {
        var reports = (0..<5).map { report("n\($0)", qps: 100, util: 0.5) }
        reports.append(report("huge", qps: 1_000_000, util: 0.5))
        reports.append(report("idle", qps: 0, util: 0))
        var d = report("drain", qps: 100, util: 0.5)
        d.load.draining = true
        reports.append(d)
        let t = wf.table(for: MeshView(now: 100, reports: reports))
        let mean = t["n0"]!.weight
        #expect(t["idle"]!.state == .unknown)
        #expect(t["drain"]!.state == .draining && t["drain"]!.weight == 0)
        // huge is clamped to 10× the median raw weight, far from its 10 000×.
        #expect(abs(t["huge"]!.weight / mean - 10) < 1e-9)
        #expect(t["idle"]!.weight > 0)
    }

    @Test func candidateSetKeepsLocalStateAndCorrects() {
        let v1 = MeshView(now: 100, reports: [report("a", qps: 100, util: 0.5), report("b", qps: 100, util: 0.5, at: 100)])
        var set = CandidateSet(table: wf.table(for: v1))
        let b = set.index(of: "b")!
        #expect(set.index(of: "zzz") == nil)
        set.requestStarted(b)
        set.requestStarted(b)
        // Report says 3 in flight (taken before our two): estimate 3 + 2.
        #expect(set.peers[b].estimatedInFlight == 5)
        set.requestFinished(b, latency: 0.2, at: 101)
        #expect(set.peers[b].estimatedInFlight == 4)
        #expect(set.peers[b].localLatency.cost == 0.2)
        // A fresh report (which now counts our one outstanding request): 3 in total.
        let v2 = MeshView(now: 102, reports: [report("a", qps: 100, util: 0.5), report("b", qps: 100, util: 0.5, at: 102)])
        set.apply(wf.table(for: v2))
        #expect(set.peers[b].localInFlight == 1)
        #expect(set.peers[b].estimatedInFlight == 3)
    }

    // MARK: No signal is not low capacity; the way out of the blackout

    func own(_ r: LoadReport) -> LoadReport {
        var r = r
        r.load.ownUtilization = true
        return r
    }

    /// The rule: a report with throughput 0 or utilization < minUtilization (0.05) carries no
    /// capacity estimate. The node then keeps its last estimate E (from its newest report that
    /// had one, at tE), pulled toward the mean M of the weighted nodes' clamped raw weights:
    /// M + (E − M)·exp(−(now − tE)/idleDecay), idleDecay 60 s. Never toward zero.
    @Test func anIdleHostKeepsAPositiveWeightNearItsEstimateAndEarnsTrafficBack() {
        var memory = CapacityMemory()
        // t = 100: capacities 400, 200, 100 req/s (rate/utilization).
        let busy = wf.table(for: MeshView(now: 100, reports: [
            report("a", qps: 200, util: 0.5), report("b", qps: 100, util: 0.5), report("c", qps: 50, util: 0.5),
        ]), memory: &memory)
        #expect(abs(busy["c"]!.weight - 3.0 / 7) < 1e-12)  // 100 · 3/700
        #expect(memory["c"]?.estimate == 100 && memory["c"]?.estimateAt == 100)

        // t = 160: c gets no traffic; its rate decays to 0.4/s at utilization 0.01.
        let idleView = MeshView(now: 160, reports: [
            report("a", qps: 200, util: 0.5, at: 160), report("b", qps: 100, util: 0.5, at: 160),
            report("c", qps: 0.4, util: 0.01, at: 160),
        ])
        let idle = wf.table(for: idleView, memory: &memory)
        #expect(idle["c"]!.state == .idle)
        #expect(idle["c"]!.rawWeight == 100)
        // M = 300; 300 + (100 − 300)·e⁻¹ = 226.42 req/s; normalised over 400 + 200 + 226.42: 0.822.
        let c160 = 300 - 200 * Math.exp(-1.0)
        #expect(abs(idle["c"]!.weight - 3 * c160 / (600 + c160)) < 1e-12)
        #expect(abs(idle["c"]!.weight - 0.8219) < 1e-4)
        #expect(abs(idle["a"]!.weight - 3 * 400 / (600 + c160)) < 1e-12)
        // The same view again changes nothing (memory follows report timestamps, not calls).
        let again = wf.table(for: idleView, memory: &memory)
        #expect(again == idle)
        // rate / max(utilization, 0.05) would have said 0.4 / 0.05 = 8 req/s, weight 0.039.
        #expect(idle["c"]!.weight > 20 * (3 * 8 / 608.0))

        // t = 700: nine minutes idle. The weight has gone to the mean, not toward zero.
        let long = wf.table(for: MeshView(now: 700, reports: [
            report("a", qps: 200, util: 0.5, at: 700), report("b", qps: 100, util: 0.5, at: 700),
            report("c", qps: 0, util: 0, at: 700),
        ]), memory: &memory)
        let c700 = 300 - 200 * Math.exp(-10.0)
        #expect(abs(long["c"]!.weight - 3 * c700 / (600 + c700)) < 1e-12)
        #expect(abs(long["c"]!.weight - 1) < 1e-4)

        // Offered traffic again, it reports 60 req/s at 0.5: weighted on its new estimate, 120.
        let back = wf.table(for: MeshView(now: 710, reports: [
            report("a", qps: 200, util: 0.5, at: 710), report("b", qps: 100, util: 0.5, at: 710),
            report("c", qps: 60, util: 0.5, at: 710),
        ]), memory: &memory)
        #expect(back["c"]!.state == .weighted)
        #expect(abs(back["c"]!.weight - 3 * 120 / 720.0) < 1e-12)
        #expect(memory["c"]?.estimate == 120)

        // A node that leaves the view is forgotten.
        _ = wf.table(for: MeshView(now: 711, reports: [report("a", qps: 200, util: 0.5, at: 711)]), memory: &memory)
        #expect(memory["c"] == nil && memory.nodes.count == 1)
    }

    @Test func aHostWithoutAReportYetGetsTheMeanOfTheKnownWeights() {
        // Known: 400 and 200 req/s (mean 300). "quiet" has never carried a signal, "new" is in
        // its blackout: both get 300, i.e. weight 1 after normalisation, not 1 of the raw scale.
        var quiet = report("quiet", qps: 0, util: 0)
        quiet.load.inFlight = 0
        let t = wf.table(for: MeshView(now: 100, reports: [
            report("a", qps: 200, util: 0.5), report("b", qps: 100, util: 0.5), quiet,
            report("new", qps: 20, util: 0.5, started: 95),
        ]))
        var noRamp = wf
        noRamp.slowStartWindow = 0
        let u = noRamp.table(for: MeshView(now: 100, reports: [
            report("a", qps: 200, util: 0.5), report("b", qps: 100, util: 0.5), quiet,
            report("new", qps: 20, util: 0.5, started: 95),
        ]))
        #expect(t["quiet"]!.state == .unknown && u["new"]!.state == .blackout)
        // Without slow start: 400 : 200 : 300 : 300 → 4/3, 2/3, 1, 1.
        #expect(abs(u["quiet"]!.weight - 1) < 1e-12 && abs(u["new"]!.weight - 1) < 1e-12)
        #expect(abs(u["a"]!.weight - 4.0 / 3) < 1e-12 && abs(u["b"]!.weight - 2.0 / 3) < 1e-12)
        // With slow start (started 5 s ago: factor 5/30), "new" ramps from the mean.
        #expect(abs(t["new"]!.slowStartFactor - 1.0 / 6) < 1e-12)
        #expect(abs(t["new"]!.weight / t["quiet"]!.weight - 1.0 / 6) < 1e-12)
    }

    /// A node that reports its own utilization leaves the blackout once its last 3 estimates
    /// agree within 25 % of their mean (max − min); slow start still ramps it.
    @Test func aHostReportingItsOwnUtilizationLeavesTheBlackoutEarly() {
        let a = report("a", qps: 100, util: 0.5, at: 100)  // 200 req/s
        // "new" started at 98; reports at 99, 99.5 and 100 estimate 200, 210 and 190 req/s.
        let samples = [own(report("new", qps: 100, util: 0.5, at: 99, started: 98)),
                       own(report("new", qps: 105, util: 0.5, at: 99.5, started: 98)),
                       own(report("new", qps: 95, util: 0.5, at: 100, started: 98))]
        var memory = CapacityMemory()
        var states: [WeightTable.State] = []
        var last: WeightTable?
        for r in samples {
            last = wf.table(for: MeshView(now: r.load.timestamp, reports: [a, r]), memory: &memory)
            states.append(last!["new"]!.state)
        }
        #expect(states == [.blackout, .blackout, .weighted])  // 2 s after its start, not 10
        #expect(memory["new"]?.recent == [200, 210, 190])
        // Weighted on its own estimate (190) with the slow-start floor 0.1: 19 against a's 200.
        let t = last!
        #expect(t["new"]!.slowStartFactor == 0.1)
        #expect(abs(t["new"]!.weight - 2 * 19 / 219.0) < 1e-12)
        #expect(abs(t["a"]!.weight - 2 * 200 / 219.0) < 1e-12)

        // The same reports without the own-utilization flag: blackout for the full 10 s.
        var plain = CapacityMemory()
        for r in samples {
            var p = r
            p.load.ownUtilization = false
            last = wf.table(for: MeshView(now: p.load.timestamp, reports: [a, p]), memory: &plain)
        }
        #expect(last!["new"]!.state == .blackout)
        #expect(wf.table(for: MeshView(now: 107, reports: [a, samples[2]]))["new"]!.state == .blackout)  // no memory
        // Unstable estimates (200, 400, 200: spread 1.5 × their mean) keep it in blackout.
        var unstable = CapacityMemory()
        for (i, q) in [100.0, 200, 100].enumerated() {
            let r = own(report("new", qps: q, util: 0.5, at: 99 + Double(i) * 0.5, started: 98))
            last = wf.table(for: MeshView(now: r.load.timestamp, reports: [a, r]), memory: &unstable)
        }
        #expect(last!["new"]!.state == .blackout)
        #expect(!wf.isStable(unstable["new"]))
        // An idle report in between restarts the count.
        var gap = CapacityMemory()
        for r in [samples[0], own(report("new", qps: 0, util: 0, at: 99.2, started: 98)), samples[1], samples[2]] {
            last = wf.table(for: MeshView(now: r.load.timestamp, reports: [a, r]), memory: &gap)
        }
        #expect(last!["new"]!.state == .blackout && gap["new"]?.recent == [210, 190])
    }
}
