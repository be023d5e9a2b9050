import Logging
import NIOPosix
import Replication
import Synchronization

/// The shell that runs the replication core (`ReplicaDriver`) for the sidecar: reads coalesced on
/// dedicated threads (`ReadCoalescer`), writes and repairs on an `NIOThreadPool`, metrics and logs.
/// Every node call blocks, so none runs on an event loop or on the concurrency pool.
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

    /// The store over the nodes `io` reaches (named `nodeNames`, in the ring's order), whichever driver that is.
    public init(io: any NodeIO, nodeNames: [String], settings: ReplicationSettings, retryIntervalMs: Int,
                rememberedVersions: Int, readThreads: Int, sealing: any RecordSealing, threadPool: NIOThreadPool,
                logger: Logger, clock: any StoreClock) {
        let metrics = StoreMetrics()
        self.metrics = metrics
        self.driver = ReplicaDriver(io: io, ring: PlacementRing(nodes: nodeNames),
                                    health: NodeHealth(nodeCount: nodeNames.count, retryIntervalMs: retryIntervalMs),
                                    settings: settings, sealing: sealing, clock: clock,
                                    observer: StoreObserver(nodeNames: nodeNames, metrics: metrics, logger: logger),
                                    seen: SeenVersions(capacity: rememberedVersions))
        self.threadPool = threadPool
        reads.start(threads: readThreads, onBatch: { [metrics] in metrics.readBatches.increment() }) { [driver] keys in
            driver.readBatch(keys)
        }
    }

    deinit { reads.stop() }

    /// Stops the read threads; reads after this fail as unavailable. Writes stop with `threadPool`.
    /// Blocks while the read threads finish their batch.
    public func shutdown() { reads.stop() }

    /// Nodes not currently marked down.
    public func liveNodeCount() -> Int { driver.liveNodeCount() }

    /// True when a write could reach its quorum right now.
    public var hasWriteQuorum: Bool { liveNodeCount() >= driver.settings.writeQuorum }

    // MARK: RecordStorage

    public func load(_ key: String) async throws(StoreUnavailable) -> LoadedRecord? {
        let start = driver.clock.monotonicNanos()
        metrics.loads.increment()
        return try finishLoad(await reads.read(key), key: key, start: start).get()
    }

    /// The coalesced read without a task: `completion` runs on the read thread that served the
    /// batch (it must not block; a NIO handler hops back to its loop).
    public func load(_ key: String, completion: @escaping @Sendable (Result<LoadedRecord?, StoreUnavailable>) -> Void) {
        let start = driver.clock.monotonicNanos()
        metrics.loads.increment()
        reads.read(key) { [self] result in completion(finishLoad(result, key: key, start: start)) }
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
