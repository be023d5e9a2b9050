import Logging
import NIOPosix
import Replication
import ServiceLifecycle

/// Probes every store node every `interval` with one `get` of a key no session uses, so an idle
/// sidecar notices a dead node (and a revived one) without waiting for a request. A node that does
/// not answer is marked down in the shared `NodeHealth`, as a failed operation would; the round's
/// result (did at least the write quorum answer?) feeds the readiness gate.
///
/// The node calls block, so they run on a thread of the probe's own, never on an event loop, and
/// never queued behind writes that are waiting out their budget on the store's threads (a busy
/// sidecar must notice a lost quorum as soon as an idle one).
public final class StoreProbe: Service, Sendable {
    /// Read on every node; never written. Holds no app key or session id.
    static let probeKey = "sessionmesh-probe"
    private let driver: ReplicaDriver
    private let threadPool: NIOThreadPool
    private let readiness: StoreReadiness
    private let interval: Duration
    private let logger: Logger

    public init(driver: ReplicaDriver, readiness: StoreReadiness, interval: Duration, logger: Logger) {
        self.driver = driver
        self.threadPool = NIOThreadPool(numberOfThreads: 1)
        self.readiness = readiness
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        threadPool.start()
        defer { threadPool.shutdownGracefully { _ in } }
        try? await cancelWhenGracefulShutdown {
            var lastAnswered = -1
            while !Task.isCancelled {
                let driver = self.driver
                guard let answered = try? await self.threadPool.runIfActive({ Self.probeOnce(driver) }) else { return }
                self.readiness.observeProbe(quorum: answered >= driver.settings.writeQuorum)
                if answered != lastAnswered {
                    self.logger.notice("store probe", metadata: [
                        "answered": "\(answered)", "nodes": "\(driver.io.nodeCount)", "writeQuorum": "\(driver.settings.writeQuorum)",
                    ])
                    lastAnswered = answered
                }
                try await Task.sleep(for: self.interval)
            }
        }
    }

    /// One round: a `get` on every node at once. Returns how many answered. Blocks.
    static func probeOnce(_ driver: ReplicaDriver) -> Int {
        let nodes = Array(0..<driver.io.nodeCount)
        let results = driver.io.gets(nodes.map { _ in [probeKey] }, on: nodes)
        var answered = 0
        for (node, result) in zip(nodes, results) {
            switch result {
            case .success: answered += 1
            case .failure(let failure):
                let newlyDown = driver.health.markFailed(node, now: driver.clock.monotonicNanos())
                driver.observer.nodeFailed(node, outcome: failure.outcome, newlyDown: newlyDown)
            }
        }
        return answered
    }
}
