import Logging
import Replication

/// Turns what the replication core reports into metrics and log lines.
struct StoreObserver: ReplicationObserver {
    let nodeNames: [String]
    let metrics: StoreMetrics
    let logger: Logger

    func nodeFailed(_ node: Int, outcome: NodeOutcome, newlyDown: Bool) {
        metrics.nodeErrors.increment()
        guard newlyDown else { return }
        metrics.failovers.increment()
        logger.warning("store node marked down", metadata: ["node": "\(nodeNames[node])", "outcome": "\(outcome)"])
    }

    func copyFailedToOpen(node: Int, error: any Error) {
        metrics.integrityFailures.increment()
        logger.error("a stored copy failed its integrity check; not served, to be repaired",
                     metadata: ["node": "\(nodeNames[node])", "error": "\(error)"])
    }

    func refusedOlderThanSeen(version: UInt64, seen: UInt64) {
        metrics.rollbacksRefused.increment()
        logger.error("every copy of a record is older than a version this sidecar has seen (rolled back or lost); answering unavailable",
                     metadata: ["copyVersion": "\(version)", "seenVersion": "\(seen)"])
    }
}
