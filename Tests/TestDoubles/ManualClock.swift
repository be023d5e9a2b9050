import Synchronization

/// Wall-clock milliseconds that move only when a test says so.
public final class ManualClock: Sendable {
    private let ms: Atomic<Int64>

    public init(ms: Int64 = 1_800_000_000_000) { self.ms = Atomic(ms) }

    public func advance(seconds: Int64) { ms.add(seconds * 1000, ordering: .relaxed) }

    public var now: Int64 { ms.load(ordering: .relaxed) }
}
