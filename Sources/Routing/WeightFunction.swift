/// Turns a `MeshView` into a `WeightTable`. A pure, deterministic function of the view: every
/// peer with the same reports and the same `now` gets bit-identical weights, because nodes are
/// processed in name order (floating-point sums included) and nothing else is consulted.
///
/// The raw weight follows gRPC A58 (client-side WRR with ORCA load reports):
///
///     weight = throughput / (utilization + errorRate · errorPenalty)
///
/// i.e. an estimate of the requests/s the host could serve at full utilization, lowered for
/// hosts whose requests fail (a fast failure is cheap, so without the penalty it would look
/// like spare capacity and attract traffic).
///
/// Around it:
/// - blackout: a node that started less than `blackoutPeriod` ago has its own weight ignored
///   (a young estimate is noisy) and gets the mean weight instead;
/// - expiry: a report older than `expirationPeriod` is not trusted: mean weight, no load signals;
/// - clamping: weights are kept within [minRatioToMedian, maxRatioToMedian] × the median raw weight
///   (gRPC C-core's stride scheduler clamps around the mean; the median is used here so that
///   one wild report cannot drag the reference up with it and take all the traffic);
/// - slow start (Envoy): a node that started `t` seconds ago gets
///   `weight · max(slowStartMinFraction, (t / slowStartWindow)^(1/slowStartAggression))`.
///
/// The result is normalised so the mean weight of routable nodes is 1.
public struct WeightFunction: Sendable, Hashable {
    public var blackoutPeriod: Double
    public var expirationPeriod: Double
    public var slowStartWindow: Double
    public var slowStartAggression: Double
    public var slowStartMinFraction: Double
    public var errorPenalty: Double
    /// Utilization floor in the denominator, so a nearly idle host does not get a huge weight.
    public var minUtilization: Double
    public var maxRatioToMedian: Double
    public var minRatioToMedian: Double

    public init(
        blackoutPeriod: Double = 10,
        expirationPeriod: Double = 180,
        slowStartWindow: Double = 30,
        slowStartAggression: Double = 1,
        slowStartMinFraction: Double = 0.1,
        errorPenalty: Double = 1,
        minUtilization: Double = 0.05,
        maxRatioToMedian: Double = 10,
        minRatioToMedian: Double = 0.01
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
    }

    /// The A58 raw weight of one report, or nil if it carries no usable signal.
    public func rawWeight(of r: LoadReport) -> Double? {
        guard r.throughput > 0, r.throughput.isFinite, r.utilization > 0, r.utilization.isFinite else { return nil }
        let err = min(max(r.errorRate, 0), 1)
        let denominator = max(r.utilization, minUtilization) + err * errorPenalty
        return r.throughput / denominator
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

    public func table(for view: MeshView) -> WeightTable {
        let now = view.now
        let reports = view.sortedReports
        var entries: [WeightTable.Entry] = []
        entries.reserveCapacity(reports.count)

        // Pass 1: classify, and collect the raw weights that count.
        var rawCount = 0
        for r in reports {
            let age = now - r.timestamp
            var state: WeightTable.State
            let raw = rawWeight(of: r)
            if r.draining {
                state = .draining
            } else if age > expirationPeriod {
                state = .expired
            } else if raw == nil {
                state = .unknown
            } else if now - r.startedAt < blackoutPeriod {
                state = .blackout
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
                    rawWeight: raw,
                    slowStartFactor: 1,
                    state: state,
                    inFlight: expired ? 0 : r.inFlight,
                    latencyEWMA: expired ? 0 : r.latencyEWMA,
                    sessions: expired ? 0 : r.sessions,
                    utilization: expired ? 0 : r.utilization,
                    reportTimestamp: r.timestamp))
        }

        // Pass 2: clamp around the median; unknown weights get the mean of the clamped weights.
        var counted: [Double] = []
        counted.reserveCapacity(rawCount)
        for e in entries where e.state == .weighted { counted.append(e.rawWeight!) }
        counted.sort()
        let median: Double
        if counted.isEmpty {
            median = 1
        } else if counted.count % 2 == 1 {
            median = counted[counted.count / 2]
        } else {
            median = (counted[counted.count / 2 - 1] + counted[counted.count / 2]) / 2
        }
        var clampedSum = 0.0
        for e in entries where e.state == .weighted {
            clampedSum += min(max(e.rawWeight!, minRatioToMedian * median), maxRatioToMedian * median)
        }
        let rawMean = rawCount > 0 ? clampedSum / Double(rawCount) : 1
        for i in entries.indices {
            switch entries[i].state {
            case .draining:
                entries[i].weight = 0
            case .weighted:
                let w = entries[i].rawWeight!
                entries[i].weight = min(max(w, minRatioToMedian * median), maxRatioToMedian * median)
            case .blackout, .expired, .unknown:
                entries[i].weight = rawMean
            }
        }

        // Pass 3: slow start, then normalise to mean 1.
        var sum = 0.0
        var routable = 0
        for (i, r) in reports.enumerated() where entries[i].weight > 0 {
            let f = slowStartFactor(startedAt: r.startedAt, now: now)
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
