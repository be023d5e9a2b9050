import Logging
import NIOPosix
import Replication
import NIOCore
import Synchronization

/// The shell that runs the replication core (`ReplicaDriver`) for the sidecar: reads on the
/// caller's event loop over non-blocking connections (`LoopReadBatcher`, when the driver offers
/// `LoopNodeReads`), else coalesced on dedicated threads (`ReadCoalescer`); writes and repairs on
/// an `NIOThreadPool`; metrics and logs. Every blocking node call runs on those threads, none on
/// an event loop or on the concurrency pool.
public final class ReplicatedRecordStore: RecordStorage {
    public let driver: ReplicaDriver
    private let threadPool: NIOThreadPool
    private let metrics: StoreMetrics
    private let repairsInFlight = Atomic<Int>(0)
    private static let maxRepairsInFlight = 256
    private let reads = ReadCoalescer<Result<ReplicaDriver.ReadOutcome, StoreUnavailable>>(
        maxBatch: maxReadBatch, stoppedReply: .failure(shuttingDown))
    private static let shuttingDown = StoreUnavailable("the store is shutting down")
    /// The most reads one multi-key `gets` carries.
    static let maxReadBatch = 64
    private let loopReads: (any LoopNodeReads)?
    private let loopReadsServed = Atomic<Int>(0)
    /// Reads made on an event loop since start (answered over its own connections, or read again on
    /// the read threads where those could not decide).
    public var readsServedOnLoops: Int { loopReadsServed.load(ordering: .relaxed) }
    private let batchers = Mutex<[ObjectIdentifier: NIOLoopBound<LoopReadBatcher>]>([:])

    /// The store over the nodes `io` reaches (named `nodeNames`, in the ring's order), whichever driver that is.
    public init(io: any NodeIO, nodeNames: [String], settings: ReplicationSettings, retryIntervalMs: Int,
                rememberedVersions: Int, readThreads: Int, sealing: any RecordSealing, threadPool: NIOThreadPool,
                logger: Logger, clock: any StoreClock, loopReads: (any LoopNodeReads)? = nil) {
        let metrics = StoreMetrics()
        self.metrics = metrics
        self.driver = ReplicaDriver(io: io, ring: PlacementRing(nodes: nodeNames),
                                    health: NodeHealth(nodeCount: nodeNames.count, retryIntervalMs: retryIntervalMs),
                                    settings: settings, sealing: sealing, clock: clock,
                                    observer: StoreObserver(nodeNames: nodeNames, metrics: metrics, logger: logger),
                                    seen: SeenVersions(capacity: rememberedVersions))
        self.threadPool = threadPool
        self.loopReads = loopReads
        reads.start(threads: readThreads) { [driver] keys in driver.readBatch(keys) }
    }

    deinit { reads.stop() }

    /// Stops the read threads; reads after this fail as unavailable. Writes stop with `threadPool`.
    /// Blocks while the read threads finish their batch.
    public func shutdown() {
        reads.stop()
        loopReads?.shutdown()
    }

    /// Nodes not currently marked down.
    public func liveNodeCount() -> Int { driver.liveNodeCount() }

    /// True when a write could reach its quorum right now.
    public var hasWriteQuorum: Bool { liveNodeCount() >= driver.settings.writeQuorum }

    // MARK: RecordStorage

    public func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord? {
        let start = driver.clock.monotonicNanos()
        metrics.loads.increment()
        if let batcher = loopBatcher() {
            // On an event loop (a task that prefers its connection's loop): read on the loop.
            let reply = await withCheckedContinuation { continuation in
                batcher.read(key) { continuation.resume(returning: $0) }
            }
            loopReadsServed.add(1, ordering: .relaxed)
            return try finishLoad(reply, key: key, start: start).get()
        }
        return try finishLoad(await reads.read(key), key: key, start: start).get()
    }

    /// The read without a task: `completion` runs on the caller's event loop when the read was
    /// served there, else on the read thread that served it (it must not block; a NIO handler
    /// hops back to its loop).
    public func load(_ key: String, completion: @escaping @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void) {
        let start = driver.clock.monotonicNanos()
        metrics.loads.increment()
        if let batcher = loopBatcher() {
            batcher.read(key) { [self] result in
                loopReadsServed.add(1, ordering: .relaxed)
                completion(finishLoad(result, key: key, start: start))
            }
            return
        }
        reads.read(key) { [self] result in completion(finishLoad(result, key: key, start: start)) }
    }

    /// The read fast path of the event loop this runs on; nil off a loop, or without `loopReads`.
    private func loopBatcher() -> LoopReadBatcher? {
        guard let loopReads, let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return nil }
        return batchers.withLock { all in
            if let found = all[ObjectIdentifier(loop)] { return found }
            let reads = self.reads
            let made = NIOLoopBound(LoopReadBatcher(loop: loop, driver: driver, nodeReads: loopReads, maxBatch: Self.maxReadBatch,
                                                    slowRead: { key, deliver in reads.read(key, deliver: deliver) }),
                                    eventLoop: loop)
            all[ObjectIdentifier(loop)] = made
            return made
        }.value
    }

    /// Metrics and the read repair of one read's outcome.
    private func finishLoad(_ result: Result<ReplicaDriver.ReadOutcome, StoreUnavailable>, key: String,
                            start: UInt64) -> Result<LoadedRecord?, StoreUnavailable> {
        defer { metrics.loadLatency.recordNanoseconds(Int64(driver.clock.monotonicNanos() - start)) }
        switch result {
        case .success(let outcome):
            if let loaded = outcome.loaded, !outcome.repair.isEmpty { scheduleRepair(loaded.record, key: key, nodes: outcome.repair) }
            return .success(outcome.loaded)
        case .failure(let error):
            metrics.unavailable.increment()
            return .failure(error)
        }
    }

    public func write(_ record: Record, key: String, expected: LoadedRecord?) async throws(StoreUnavailable) -> WriteOutcome {
        let start = driver.clock.monotonicNanos()
        defer { metrics.writeLatency.recordNanoseconds(Int64(driver.clock.monotonicNanos() - start)) }
        metrics.writes.increment()
        let result: Result<WriteOutcome, StoreUnavailable>
        do {
            result = try await threadPool.runIfActive { [driver] in
                Result { () throws(StoreUnavailable) in try driver.write(record, key: key, expected: expected) }
            }
        } catch {
            result = .failure(Self.shuttingDown)
        }
        switch result {
        case .success(let outcome):
            if outcome == .conflict { metrics.conflicts.increment() }
            return outcome
        case .failure(let error):
            metrics.unavailable.increment()
            if let unsettled = error.unsettled { keepWithdrawing(unsettled) }
            throw error
        }
    }

    /// A write that missed its quorum may still land on a node that did not answer (a frozen node
    /// applies its queued requests when it thaws): it is withdrawn there as soon as the node
    /// answers, once a second, for at most `maxWithdrawalAttempts` seconds.
    private func keepWithdrawing(_ unsettled: StoreUnavailable.Unsettled) {
        let driver = self.driver, threadPool = self.threadPool
        Task {
            var nodes = unsettled.nodes
            for _ in 0..<Self.maxWithdrawalAttempts where !nodes.isEmpty {
                try? await Task.sleep(for: .seconds(1))
                let pending = nodes
                guard let left = try? await threadPool.runIfActive({
                    driver.withdraw(unsettled.record, key: unsettled.key, from: pending, restoring: unsettled.previous)
                }) else { return }
                nodes = left
            }
        }
    }

    static let maxWithdrawalAttempts = 30

    /// Repairs run in the background, bounded: past `maxRepairsInFlight` a repair is dropped (the
    /// next read of the record schedules it again).
    private func scheduleRepair(_ record: Record, key: String, nodes: [Int]) {
        guard repairsInFlight.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxRepairsInFlight else {
            repairsInFlight.wrappingSubtract(1, ordering: .relaxed)
            metrics.repairsDropped.increment()
            return
        }
        threadPool.submit { state in
            defer { self.repairsInFlight.wrappingSubtract(1, ordering: .relaxed) }
            guard case .active = state else { return }
            self.metrics.readRepairs.increment(by: self.driver.repair(record, key: key, nodes: nodes))
        }
    }
}
