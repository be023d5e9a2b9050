/// Turns a `MeshView` into a `WeightTable`. A pure, deterministic function of the view and a
/// `CapacityMemory` (which it updates from report timestamps, never from `now`): peers with the
/// same reports, the same memory and the same `now` get bit-identical weights, because nodes are
/// processed in name order (floating-point sums included) and nothing else is consulted.
///
/// The raw weight follows gRPC A58 (client-side WRR with ORCA load reports):
///
///     weight = requestRate / (utilization + errorRate · errorPenalty)
///
/// i.e. an estimate of the requests/s the host could serve at full utilization, lowered for
/// hosts whose requests fail (a fast failure is cheap, so without the penalty it would look
/// like spare capacity and attract traffic).
///
/// Around it:
/// - no signal is not low capacity: a report with requestRate 0 or utilization below
///   `minUtilization` (an idle host) carries no estimate. Such a node keeps its last estimate
///   E (from its newest report that had one, at time tE), pulled toward the mean M of the
///   weighted nodes: `M + (E − M)·exp(−(now − tE)/idleDecay)`; never toward zero. Without any
///   estimate yet it gets M;
/// - blackout: a node that started less than `blackoutPeriod` ago has its own weight ignored
///   (a young estimate is noisy) and gets M, unless it reports its own utilization and its last
///   `stableSamples` estimates agree within `stableTolerance` (then it is weighted at once);
/// - expiry: a report older than `expirationPeriod` is not trusted: mean weight, no load signals;
/// - clamping: weights are kept within [minRatioToMedian, maxRatioToMedian] × the median raw weight
///   (gRPC C-core's stride scheduler clamps around the mean; the median is used here so that
///   one wild report cannot drag the reference up with it and take all the traffic);
/// - slow start (Envoy): a node that started `t` seconds ago gets
///   `weight · max(slowStartMinFraction, (t / slowStartWindow)^(1/slowStartAggression))`.
///
/// M is the mean of the clamped weights of the weighted nodes; with none, the mean of the
/// remembered estimates of the idle nodes; with neither, 1. The result is normalised so the mean
/// weight of routable nodes is 1.
public struct WeightFunction: Sendable, Hashable {
    public var blackoutPeriod: Double
    public var expirationPeriod: Double
    public var slowStartWindow: Double
    public var slowStartAggression: Double
    public var slowStartMinFraction: Double
    public var errorPenalty: Double
    /// Below this utilization a report carries no capacity signal (the host is idle): a
    /// nearly idle host's rate/utilization is noise, and its rate alone says nothing about capacity.
    public var minUtilization: Double
    public var maxRatioToMedian: Double
    public var minRatioToMedian: Double
    /// Time constant, seconds, of an idle node's pull from its last estimate toward the mean.
    public var idleDecay: Double
    /// A node reporting its own utilization leaves the blackout once this many consecutive
    /// reports' estimates lie within `stableTolerance` × their mean of each other (max − min).
    public var stableSamples: Int
    public var stableTolerance: Double

    public init(
        blackoutPeriod: Double = 10,
        expirationPeriod: Double = 180,
        slowStartWindow: Double = 30,
        slowStartAggression: Double = 1,
        slowStartMinFraction: Double = 0.1,
        errorPenalty: Double = 1,
        minUtilization: Double = 0.05,
        maxRatioToMedian: Double = 10,
        minRatioToMedian: Double = 0.01,
        idleDecay: Double = 60,
        stableSamples: Int = 3,
        stableTolerance: Double = 0.25
    ) {
        self.blackoutPeriod = blackoutPeriod
        self.expirationPeriod = expirationPeriod
        self.slowStartWindow = slowStartWindow
        self.slowStartAggression = slowStartAggression
        self.slowStartMinFraction = slowStartMinFraction
        self.errorPenalty = errorPenalty
        self.minUtilization = minUtilization
        self.maxRatioToMedian = maxRatioToMedian
        self.minRatioToMedian = minRatioToMedian
        self.idleDecay = idleDecay
        self.stableSamples = stableSamples
        self.stableTolerance = stableTolerance
    }

    /// The A58 raw weight of one load, or nil if it carries no usable signal (no throughput,
    /// or utilization below `minUtilization`).
    public func rawWeight(of l: HostLoad) -> Double? {
        guard l.requestRate > 0, l.requestRate.isFinite, l.utilization.isFinite,
              l.utilization >= minUtilization, l.utilization > 0 else { return nil }
        let err = min(max(l.errorRate, 0), 1)
        return l.requestRate / (l.utilization + err * errorPenalty)
    }

    /// True when a node's recent own-utilization estimates are stable enough to end its blackout.
    public func isStable(_ node: CapacityMemory.Node?) -> Bool {
        guard let recent = node?.recent, recent.count >= max(stableSamples, 1) else { return false }
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0
        for x in recent { lo = min(lo, x); hi = max(hi, x); sum += x }
        let mean = sum / Double(recent.count)
        return mean > 0 && hi - lo <= stableTolerance * mean
    }

    /// An idle node's weight before clamping: its last estimate pulled toward `mean`.
    public func idleWeight(estimate: Double, estimateAt: Double, mean: Double, now: Double) -> Double {
        guard idleDecay > 0 else { return mean }
        let age = max(0, now - estimateAt)
        return mean + (estimate - mean) * Math.exp(-age / idleDecay)
    }

    /// The slow-start multiplier for a node that started at `startedAt`.
    public func slowStartFactor(startedAt: Double, now: Double) -> Double {
        guard slowStartWindow > 0 else { return 1 }
        let t = now - startedAt
        if !(t < slowStartWindow) { return 1 }  // also covers startedAt = -infinity
        let timeFactor = max(t, 0) / slowStartWindow
        let ramp = Math.pow(timeFactor, 1 / max(slowStartAggression, 1e-9))
        return min(1, max(slowStartMinFraction, ramp))
    }

    /// The table of `view` with no memory of earlier reports (idle nodes get the mean).
    public func table(for view: MeshView) -> WeightTable {
        var memory = CapacityMemory()
        return table(for: view, memory: &memory)
    }

    public func table(for view: MeshView, memory: inout CapacityMemory) -> WeightTable {
        let now = view.now
        let reports = view.sortedReports
        var entries: [WeightTable.Entry] = []
        entries.reserveCapacity(reports.count)

        // Pass 0: remember what the reports say.
        var present = Set<String>()
        for r in reports {
            present.insert(r.node)
            let trusted = !r.load.draining && !(now - r.load.timestamp > expirationPeriod)
            memory.observe(r, estimate: trusted ? rawWeight(of: r.load) : nil, keep: max(stableSamples, 1))
        }
        memory.keepOnly(present)

        // Pass 1: classify, and collect the raw weights that count.
        var rawCount = 0
        for r in reports {
            let l = r.load
            let age = now - l.timestamp
            var state: WeightTable.State
            let raw = rawWeight(of: l)
            let remembered = memory[r.node]
            if l.draining {
                state = .draining
            } else if age > expirationPeriod {
                state = .expired
            } else if now - l.startedAt < blackoutPeriod, !(raw != nil && l.ownUtilization && isStable(remembered)) {
                state = .blackout
            } else if raw == nil {
                state = remembered?.estimate != nil ? .idle : .unknown
            } else {
                state = .weighted
                rawCount += 1
            }
            let expired = state == .expired
            entries.append(
                WeightTable.Entry(
                    node: r.node,
                    address: r.address,
                    weight: 0,
                    rawWeight: state == .idle ? remembered?.estimate : raw,
                    slowStartFactor: 1,
                    state: state,
                    inFlight: expired ? 0 : Double(l.inFlight),
                    latencyEWMA: expired ? 0 : l.latencyMs / 1000,
                    sessions: expired ? 0 : Double(l.sessions),
                    utilization: expired ? 0 : l.utilization,
                    reportTimestamp: l.timestamp))
        }

        // Pass 2: clamp around the median; idle nodes get their estimate pulled toward the mean
        // of the clamped weights, unknown ones that mean.
        var counted: [Double] = []
        counted.reserveCapacity(rawCount)
        for e in entries where e.state == .weighted { counted.append(e.rawWeight!) }
        counted.sort()
        let median: Double?
        if counted.isEmpty {
            median = nil
        } else if counted.count % 2 == 1 {
            median = counted[counted.count / 2]
        } else {
            median = (counted[counted.count / 2 - 1] + counted[counted.count / 2]) / 2
        }
        func clamp(_ w: Double) -> Double {
            guard let median else { return w }
            return min(max(w, minRatioToMedian * median), maxRatioToMedian * median)
        }
        var meanSum = 0.0
        var meanCount = 0
        for e in entries where e.state == .weighted {
            meanSum += clamp(e.rawWeight!)
            meanCount += 1
        }
        if meanCount == 0 {
            for e in entries where e.state == .idle {
                meanSum += e.rawWeight!
                meanCount += 1
            }
        }
        let mean = meanCount > 0 ? meanSum / Double(meanCount) : 1
        for i in entries.indices {
            switch entries[i].state {
            case .draining:
                entries[i].weight = 0
            case .weighted:
                entries[i].weight = clamp(entries[i].rawWeight!)
            case .idle:
                let n = memory[entries[i].node]!
                entries[i].weight = clamp(idleWeight(estimate: n.estimate!, estimateAt: n.estimateAt, mean: mean, now: now))
            case .blackout, .expired, .unknown:
                entries[i].weight = mean
            }
        }

        // Pass 3: slow start, then normalise to mean 1.
        var sum = 0.0
        var routable = 0
        for (i, r) in reports.enumerated() where entries[i].weight > 0 {
            let f = slowStartFactor(startedAt: r.load.startedAt, now: now)
            entries[i].slowStartFactor = f
            entries[i].weight *= f
            sum += entries[i].weight
            routable += 1
        }
        if routable > 0, sum > 0 {
            let scale = Double(routable) / sum
            for i in entries.indices { entries[i].weight *= scale }
        }
        return WeightTable(entries: entries, computedAt: now)
    }
}
