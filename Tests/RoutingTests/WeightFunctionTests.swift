import Testing
@testable import Routing

@Suite struct WeightFunctionTests {
    let wf = WeightFunction(blackoutPeriod: 10, expirationPeriod: 60, slowStartWindow: 30)

    func report(_ node: String, qps: Double, util: Double, at t: Double = 100, started: Double = 0, errors: Double = 0)
        -> LoadReport
    {
        LoadReport(
            node: node, address: "\(node):80", inFlight: 3, latencyEWMA: 0.02, sessions: 10, utilization: util,
            errorRate: errors, throughput: qps, timestamp: t, startedAt: started)
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
        #expect(v.reports["a"]!.throughput == 300)
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
        d.draining = true
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
}
