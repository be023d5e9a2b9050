import Synchronization

/// The one health model behind `/readyz`, the HAProxy agent (`down`) and the load report the mesh
/// weights and the nginx file are built from (an unready sidecar reports itself draining).
///
/// Hysteresis: a sidecar is unready the moment an observation shows the write quorum lost, and
/// ready again only after the quorum has held for `holdNanos` since the last loss. A host on a
/// flapping link (or one that is cut off while the store's retry interval keeps re-admitting its
/// dead nodes) therefore stays unready instead of flipping with every retry. Before any loss was
/// seen it is ready as soon as the quorum holds, so a fresh start does not wait.
///
/// Pure: the clock is a parameter (monotonic nanoseconds).
public struct ReadinessGate: Sendable, Equatable {
    public let holdNanos: UInt64
    /// When the quorum was last seen lost; nil if never.
    public private(set) var lastLoss: UInt64?
    /// What the latest observation said.
    public private(set) var quorum: Bool

    public init(holdMs: Int, initiallyQuorate: Bool = false) {
        holdNanos = UInt64(max(0, holdMs)) * 1_000_000
        quorum = initiallyQuorate
    }

    /// Records one observation of whether a write could reach its quorum now.
    public mutating func observe(quorum: Bool, now: UInt64) {
        self.quorum = quorum
        if !quorum { lastLoss = now }
    }

    public func isReady(now: UInt64) -> Bool {
        guard quorum else { return false }
        guard let lastLoss else { return true }
        return now &- lastLoss >= holdNanos
    }

    /// How long until it reads ready if the quorum keeps holding; 0 when ready, nil while lost.
    public func remainingHold(now: UInt64) -> UInt64? {
        guard quorum else { return nil }
        guard let lastLoss, now &- lastLoss < holdNanos else { return 0 }
        return holdNanos - (now &- lastLoss)
    }
}

/// A `ReadinessGate` shared by the probe, the request path and the readers, on a clock.
public final class StoreReadiness: Sendable {
    private let gate: Mutex<ReadinessGate>
    private let now: @Sendable () -> UInt64
    /// What the request path knows right now (nodes its operations marked down); nil = not used.
    private let liveQuorum: @Sendable () -> Bool

    /// - Parameter initiallyQuorate: what to assume before the first probe round (the store starts
    ///   with every node live; the first probe, within one interval, corrects it).
    public init(holdMs: Int, now: @escaping @Sendable () -> UInt64, liveQuorum: @escaping @Sendable () -> Bool = { true },
                initiallyQuorate: Bool = false) {
        gate = Mutex(ReadinessGate(holdMs: holdMs, initiallyQuorate: initiallyQuorate))
        self.now = now
        self.liveQuorum = liveQuorum
    }

    /// A probe round's result: whether at least the write quorum of nodes answered.
    public func observeProbe(quorum: Bool) {
        let t = now()
        let live = liveQuorum()
        gate.withLock { $0.observe(quorum: quorum && live, now: t) }
    }

    /// Ready now: the last probe found the quorum, the request path has not lost it since, and it has
    /// held for the hold time. A loss the request path sees counts at once (and restarts the hold).
    public var isReady: Bool {
        let t = now()
        let live = liveQuorum()
        return gate.withLock { g in
            if !live { g.observe(quorum: false, now: t) }
            return g.isReady(now: t)
        }
    }

    /// Nil when ready, else why not (for `/readyz`).
    public var notReadyReason: String? {
        let t = now()
        let live = liveQuorum()
        return gate.withLock { g -> String? in
            if !live { g.observe(quorum: false, now: t) }
            if g.isReady(now: t) { return nil }
            guard let left = g.remainingHold(now: t) else { return "fewer live memcached nodes than the write quorum" }
            return "memcached write quorum is back; ready after it has held \(left / 1_000_000) ms more"
        }
    }
}
