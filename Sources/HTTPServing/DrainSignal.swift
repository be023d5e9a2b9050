import ServiceLifecycle
import Synchronization

/// Set as soon as a shutdown signal arrives (this service is last in the group, so it is told
/// first), then held for `delay` so load balancers polling the agent see `drain` before the API
/// stops accepting.
public final class DrainSignal: Service, Sendable {
    private let draining = Atomic<Bool>(false)
    private let delay: Duration

    public init(delay: Duration) { self.delay = delay }

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func run() async throws {
        try? await gracefulShutdown()
        draining.store(true, ordering: .relaxed)
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}
