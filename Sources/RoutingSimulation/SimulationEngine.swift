import Routing
import SeededRandom
import SimulationSupport

/// The state and event handlers of one simulated run (see `RoutingSimulator` for the model).
struct SimulationEngine {
    enum Event: Sendable {
        case arrival
        case completion(host: Int, slot: Int)
        case publish(host: Int)
        case weightUpdate
        case slowdownStart(host: Int)
        case slowdownEnd(host: Int)
        case burstToggle
    }

    let scenario: SimulatorScenario
    let policyKind: SimulatedPolicy
    let seed: UInt64
    let hostCount: Int
    let names: [String]
    let end: Double

    var events = EventQueue<Double, Event>()
    var now = 0.0

    // Random streams, separate so policies see the same arrivals and work.
    var arrivalRng: SeededGenerator
    var workRng: SeededGenerator
    var disturbanceRng: SeededGenerator
    var routerRngs: [SeededGenerator]

    // Routers.
    var policies: [any RoutingPolicy]
    var peers: [[Peer]]

    // Hosts.
    var baseSlow: [Double]
    var slow: [Double]
    var busy: [Int]
    var queue: [[Int]]
    var queueHead: [Int]
    var inSystem: [Int]
    var busyArea: [Double]  // busy-worker-seconds since the last report
    var measuredBusy: [Double]  // busy-worker-seconds inside the measurement window
    var lastBusyChange: [Double]
    var completionsSinceReport: [Int]
    var lastPublish: [Double]
    var throughputEWMA: [Double]
    var utilizationEWMA: [Double]
    var latencyEWMA: [Double]
    var latencyStamp: [Double]
    var view: MeshView

    // Requests in flight, by slot.
    var reqRouter: [Int] = []
    var reqHost: [Int] = []
    var reqArrival: [Double] = []
    var reqWork: [Double] = []
    var reqCross: [Bool] = []
    var freeSlots: [Int] = []

    // Arrivals.
    var inBurst = false
    let maxRateFactor: Double

    // Results.
    var latencies: [Double] = []
    var outstandingMeasured = 0
    var crossMeasured = 0
    /// Routers per zone (the traffic side of the zone split), when the scenario has zones.
    var routersPerZone: [String: Double] = [:]

    init(scenario: SimulatorScenario, policy: SimulatedPolicy, seed: UInt64) {
        self.scenario = scenario
        self.policyKind = policy
        self.seed = seed
        let n = scenario.capacities.count
        hostCount = n
        let hostNames = (0..<n).map { i in
            var s = String(i)
            while s.count < 4 { s = "0" + s }
            return "host-" + s
        }
        names = hostNames
        end = scenario.warmup + scenario.duration
        arrivalRng = .stream(seed: seed, label: 1)
        workRng = .stream(seed: seed, label: 2)
        disturbanceRng = .stream(seed: seed, label: 3)
        routerRngs = (0..<scenario.routers).map { SeededGenerator.stream(seed: seed, label: 1000 + UInt64($0)) }
        policies = (0..<scenario.routers).map { _ in policy.makePolicy(routers: scenario.routers) }

        var meanCap = 0.0
        for c in scenario.capacities { meanCap += c }
        meanCap /= Double(max(n, 1))
        let template = (0..<n).map { i in
            Peer(
                node: hostNames[i], address: "", weight: policy.usesTrueCapacities ? scenario.capacities[i] / meanCap : 1,
                localLatency: PeakEWMA(tau: scenario.latencyTau))
        }
        peers = Array(repeating: template, count: scenario.routers)
        if let z = scenario.zones {
            for r in 0..<scenario.routers { routersPerZone[String(z.routerZone[r]), default: 0] += 1 }
        }

        baseSlow = Array(repeating: 1, count: n)
        if let sh = scenario.disturbances.slowHost, sh.host >= 0, sh.host < n {
            baseSlow[sh.host] = max(sh.factor, 1e-9)
        }
        slow = baseSlow
        busy = Array(repeating: 0, count: n)
        queue = Array(repeating: [], count: n)
        queueHead = Array(repeating: 0, count: n)
        inSystem = Array(repeating: 0, count: n)
        busyArea = Array(repeating: 0, count: n)
        measuredBusy = Array(repeating: 0, count: n)
        lastBusyChange = Array(repeating: 0, count: n)
        completionsSinceReport = Array(repeating: 0, count: n)
        lastPublish = Array(repeating: 0, count: n)
        throughputEWMA = Array(repeating: 0, count: n)
        utilizationEWMA = Array(repeating: 0, count: n)
        latencyEWMA = Array(repeating: 0, count: n)
        latencyStamp = Array(repeating: 0, count: n)
        view = MeshView(now: 0)

        var burstFactor = 1.0
        if case .bursty(let factor, let fraction, _) = scenario.arrivals {
            burstFactor = factor / (1 - fraction + fraction * factor)
        }
        var peakLoad = scenario.load
        if let ramp = scenario.disturbances.overloadRamp { peakLoad = max(peakLoad, ramp.peakLoad) }
        maxRateFactor = burstFactor * peakLoad * scenario.totalCapacity
    }

    // MARK: Arrival rate

    func load(at t: Double) -> Double {
        guard let ramp = scenario.disturbances.overloadRamp, t > scenario.warmup, scenario.duration > 0 else {
            return scenario.load
        }
        let f = min(1, (t - scenario.warmup) / scenario.duration)
        return scenario.load + (ramp.peakLoad - scenario.load) * f
    }

    func rate(at t: Double) -> Double {
        var r = load(at: t) * scenario.totalCapacity
        if case .bursty(let factor, let fraction, _) = scenario.arrivals {
            let quiet = 1 / (1 - fraction + fraction * factor)
            r *= inBurst ? factor * quiet : quiet
        }
        return r
    }

    mutating func exponential(_ mean: Double, _ rng: inout SeededGenerator) -> Double {
        -Math.log(rng.nextOpenUnit()) * mean
    }

    // MARK: Run

    mutating func run() -> SimulationResult {
        if maxRateFactor > 0 {
            events.push(-Math.log(arrivalRng.nextOpenUnit()) / maxRateFactor, .arrival)
        }
        if scenario.gossipInterval > 0 {
            for h in 0..<hostCount {
                events.push(arrivalRng.nextUnit() * scenario.gossipInterval, .publish(host: h))
            }
            events.push(scenario.weightUpdatePeriod, .weightUpdate)
        }
        if let s = scenario.disturbances.randomSlowdowns, s.rate > 0 {
            for h in 0..<hostCount {
                events.push(-Math.log(disturbanceRng.nextOpenUnit()) / s.rate, .slowdownStart(host: h))
            }
        }
        if case .bursty(_, let fraction, let meanBurst) = scenario.arrivals {
            events.push(-Math.log(disturbanceRng.nextOpenUnit()) * meanBurst * (1 - fraction) / fraction, .burstToggle)
        }

        while let (t, e) = events.pop() {
            now = t
            switch e {
            case .arrival: arrival()
            case .completion(let h, let slot): completion(host: h, slot: slot)
            case .publish(let h): publish(host: h)
            case .weightUpdate: weightUpdate()
            case .slowdownStart(let h): slowdownStart(host: h)
            case .slowdownEnd(let h): slowdownEnd(host: h)
            case .burstToggle: burstToggle()
            }
        }
        return result()
    }

    mutating func arrival() {
        guard now < end else { return }
        events.push(now - Math.log(arrivalRng.nextOpenUnit()) / maxRateFactor, .arrival)
        // Thinning: accept with probability rate(now) / max rate.
        if rate(at: now) < maxRateFactor, arrivalRng.nextUnit() * maxRateFactor >= rate(at: now) { return }
        let r = arrivalRng.nextIndex(scenario.routers)
        let work = scenario.service.sample(rng: &workRng)
        guard let h = pickHost(router: r) else { return }
        peers[r][h].localInFlight += 1
        let cross = scenario.zones.map { $0.hostZone[h] != $0.routerZone[r] } ?? false

        let slot: Int
        if let s = freeSlots.popLast() {
            slot = s
            reqRouter[s] = r
            reqHost[s] = h
            reqArrival[s] = now
            reqWork[s] = work
            reqCross[s] = cross
        } else {
            slot = reqRouter.count
            reqRouter.append(r)
            reqHost.append(h)
            reqArrival.append(now)
            reqWork.append(work)
            reqCross.append(cross)
        }
        if now >= scenario.warmup {
            outstandingMeasured += 1
            if cross { crossMeasured += 1 }
        }
        inSystem[h] += 1
        if busy[h] < scenario.workersPerHost {
            startService(host: h, slot: slot)
        } else {
            queue[h].append(slot)
        }
    }

    /// The router's policy; with `meshZoneAware` and zones, only within the zone drawn from
    /// the router's `ZoneSplit` (all hosts if that zone has nothing routable).
    mutating func pickHost(router r: Int) -> Int? {
        guard policyKind == .meshZoneAware, let z = scenario.zones else {
            return policies[r].pick(from: peers[r], rng: &routerRngs[r])
        }
        var capacity: [String: Double] = [:]
        for h in 0..<hostCount where peers[r][h].isRoutable { capacity[String(z.hostZone[h]), default: 0] += peers[r][h].weight }
        let split = ZoneSplit.split(local: String(z.routerZone[r]), traffic: routersPerZone, capacity: capacity)
        var u = routerRngs[r].nextUnit()
        var zone: String? = nil
        for key in split.keys.sorted() {
            zone = key
            u -= split[key]!
            if u < 0 { break }
        }
        guard let zone else { return policies[r].pick(from: peers[r], rng: &routerRngs[r]) }
        let outside = (0..<hostCount).filter { String(z.hostZone[$0]) != zone && peers[r][$0].healthy }
        for h in outside { peers[r][h].healthy = false }
        let picked = policies[r].pick(from: peers[r], rng: &routerRngs[r])
        for h in outside { peers[r][h].healthy = true }
        return picked ?? policies[r].pick(from: peers[r], rng: &routerRngs[r])
    }

    mutating func accountBusy(host h: Int) {
        let dt = now - lastBusyChange[h]
        if dt > 0 {
            let area = Double(busy[h]) * dt
            busyArea[h] += area
            // The part of [lastBusyChange, now] inside the measurement window.
            let lo = max(lastBusyChange[h], scenario.warmup)
            let hi = min(now, end)
            if hi > lo { measuredBusy[h] += Double(busy[h]) * (hi - lo) }
        }
        lastBusyChange[h] = now
    }

    mutating func startService(host h: Int, slot: Int) {
        accountBusy(host: h)
        busy[h] += 1
        let service = reqWork[slot] * scenario.serviceMean / scenario.capacities[h] * slow[h]
        events.push(now + service, .completion(host: h, slot: slot))
    }

    mutating func completion(host h: Int, slot: Int) {
        accountBusy(host: h)
        busy[h] -= 1
        inSystem[h] -= 1
        completionsSinceReport[h] += 1
        let arrivedAt = reqArrival[slot]
        // Across zones the request also travels there and back (the host does not see that).
        let hostLatency = now - arrivedAt
        let latency = hostLatency + (reqCross[slot] ? 2 * (scenario.zones?.interZoneDelay ?? 0) : 0)
        let r = reqRouter[slot]
        freeSlots.append(slot)

        // Host-side latency EWMA (what it reports).
        let dt = now - latencyStamp[h]
        let w = Math.exp(-dt / scenario.reportTau)
        latencyEWMA[h] = latencyEWMA[h] == 0 ? hostLatency : latencyEWMA[h] * w + hostLatency * (1 - w)
        latencyStamp[h] = now

        // The router learns of the completion at once.
        peers[r][h].localInFlight -= 1
        peers[r][h].localLatency.observe(latency, at: now)

        if arrivedAt >= scenario.warmup && arrivedAt < end {
            latencies.append(latency)
            outstandingMeasured -= 1
        }

        if queueHead[h] < queue[h].count {
            let next = queue[h][queueHead[h]]
            queueHead[h] += 1
            if queueHead[h] > 1024, queueHead[h] * 2 > queue[h].count {
                queue[h].removeFirst(queueHead[h])
                queueHead[h] = 0
            }
            startService(host: h, slot: next)
        }
    }

    mutating func publish(host h: Int) {
        guard now < end else { return }
        accountBusy(host: h)
        let dt = now - lastPublish[h]
        if dt > 0 {
            let thr = Double(completionsSinceReport[h]) / dt
            let util = busyArea[h] / (Double(scenario.workersPerHost) * dt)
            let alpha = 1 - Math.exp(-dt / scenario.reportTau)
            throughputEWMA[h] += alpha * (thr - throughputEWMA[h])
            utilizationEWMA[h] += alpha * (util - utilizationEWMA[h])
        }
        completionsSinceReport[h] = 0
        busyArea[h] = 0
        lastPublish[h] = now

        // The view keeps the latency in ms (`HostLoad`); the routers take the EWMA in seconds as measured.
        let load = HostLoad(
            inFlight: inSystem[h], latencyMs: latencyEWMA[h] * 1000, utilization: utilizationEWMA[h],
            requestRate: throughputEWMA[h], timestamp: now, startedAt: 0)
        view.update(LoadReport(node: names[h], load: load))
        for r in 0..<scenario.routers {
            peers[r][h].reportedInFlight = Double(load.inFlight)
            peers[r][h].reportedLatency = latencyEWMA[h]
            peers[r][h].localInFlightAtReport = peers[r][h].localInFlight
        }
        events.push(now + scenario.gossipInterval, .publish(host: h))
    }

    mutating func weightUpdate() {
        guard now < end else { return }
        events.push(now + scenario.weightUpdatePeriod, .weightUpdate)
        guard !policyKind.usesTrueCapacities else { return }
        view.now = now
        let table = scenario.weightFunction.table(for: view)
        // Entries are sorted by name, and names sort in host order; hosts without a report
        // yet keep their weight.
        var h = 0
        for e in table.entries {
            while h < hostCount, names[h] < e.node { h += 1 }
            guard h < hostCount, names[h] == e.node else { continue }
            for r in 0..<scenario.routers { peers[r][h].weight = e.weight }
        }
    }

    mutating func slowdownStart(host h: Int) {
        guard now < end, let s = scenario.disturbances.randomSlowdowns else { return }
        slow[h] = baseSlow[h] * s.factor
        events.push(now - Math.log(disturbanceRng.nextOpenUnit()) * s.meanDuration, .slowdownEnd(host: h))
    }

    mutating func slowdownEnd(host h: Int) {
        guard let s = scenario.disturbances.randomSlowdowns else { return }
        slow[h] = baseSlow[h]
        guard now < end else { return }
        events.push(now - Math.log(disturbanceRng.nextOpenUnit()) / s.rate, .slowdownStart(host: h))
    }

    mutating func burstToggle() {
        guard now < end, case .bursty(_, let fraction, let meanBurst) = scenario.arrivals else { return }
        inBurst.toggle()
        let mean = inBurst ? meanBurst : meanBurst * (1 - fraction) / fraction
        events.push(now - Math.log(disturbanceRng.nextOpenUnit()) * mean, .burstToggle)
    }

    mutating func result() -> SimulationResult {
        for h in 0..<hostCount { accountBusy(host: h) }
        latencies.sort()
        var sum = 0.0
        var late = 0
        for x in latencies {
            sum += x
            if x > scenario.deadline { late += 1 }
        }
        let window = max(scenario.duration, 1e-9)
        let util = (0..<hostCount).map { measuredBusy[$0] / (Double(scenario.workersPerHost) * window) }
        return SimulationResult(
            policy: policyKind.label, seed: seed, requests: latencies.count,
            meanLatency: latencies.isEmpty ? 0 : sum / Double(latencies.count),
            p50: Percentile.of(sorted: latencies, 0.5),
            p99: Percentile.of(sorted: latencies, 0.99),
            p999: Percentile.of(sorted: latencies, 0.999),
            deadlineErrors: late, utilization: util, unfinished: outstandingMeasured,
            crossZoneShare: latencies.isEmpty ? 0 : Double(crossMeasured) / Double(latencies.count))
    }
}
