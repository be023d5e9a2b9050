import Replication
import Synchronization

/// Nodes in memory with memcached's conditional-write semantics (CAS ids, `add`, `cas`), and faults
/// a test switches on: a node down, frozen (every call times out, nothing applied), or answering
/// "timed out" after it applied a write. Counts every call, so tests can count round trips.
final class InMemoryNodeIO: NodeIO {
    enum Mode: Equatable, Sendable {
        case up
        /// Refuses every call: nothing read, nothing written.
        case down
        /// Every call times out; nothing is applied.
        case frozen
        /// Writes are applied, then answered "timed out" (the reply was lost).
        case timesOutAfterApplying
    }

    struct Node {
        var items: [String: (item: StoredItem, expiresAt: Int64)] = [:]
        var mode = Mode.up
        var nextCAS: UInt64 = 1
    }

    struct Calls: Equatable {
        /// Multi-key, multi-node reads: each is one round trip.
        var gets = 0
        var cas = 0
        var add = 0
        var setIfNewer = 0
        var delete = 0
        var writes: Int { cas + add + setIfNewer + delete }
        var roundTrips: Int { gets + writes }
    }

    private let state: Mutex<(nodes: [Node], calls: Calls)>
    let clock: ManualStoreClock
    /// Called after a write call was answered `ok` or "timed out" (the test may change modes from here).
    let afterWrite = Mutex<(@Sendable (_ node: Int, _ io: InMemoryNodeIO) -> Void)?>(nil)

    init(nodes: Int, clock: ManualStoreClock) {
        state = Mutex(([Node](repeating: Node(), count: nodes), Calls()))
        self.clock = clock
    }

    var nodeCount: Int { state.withLock { $0.nodes.count } }
    var calls: Calls { state.withLock { $0.calls } }
    func resetCalls() { state.withLock { $0.calls = Calls() } }
    func setMode(_ mode: Mode, of node: Int) { state.withLock { $0.nodes[node].mode = mode } }

    /// The bytes a node holds under `key` (expired items are gone, as in memcached).
    func raw(_ key: String, on node: Int) -> [UInt8]? {
        let now = clock.wallMillis()
        return state.withLock { s in s.nodes[node].items[key].flatMap { $0.expiresAt > now ? $0.item.value : nil } }
    }

    /// Puts bytes on a node directly, as a node that missed writes (or an attacker) would hold them.
    func put(_ value: [UInt8], key: String, on node: Int, expiresAt: Int64 = Record.never) {
        state.withLock { s in
            s.nodes[node].items[key] = (StoredItem(value: value, cas: s.nodes[node].nextCAS), expiresAt)
            s.nodes[node].nextCAS += 1
        }
    }

    func drop(_ key: String, on node: Int) { state.withLock { _ = $0.nodes[node].items.removeValue(forKey: key) } }

    func gets(_ keys: [[String]], on nodes: [Int]) -> [Result<[String: StoredItem], NodeFailure>] {
        let now = clock.wallMillis()
        return state.withLock { s in
            s.calls.gets += 1
            return zip(keys, nodes).map { keys, node in
                switch s.nodes[node].mode {
                case .down: return .failure(NodeFailure(.failed("connection refused")))
                case .frozen: return .failure(NodeFailure(.timedOut))
                case .up, .timesOutAfterApplying:
                    var found = [String: StoredItem]()
                    for key in keys {
                        if let entry = s.nodes[node].items[key], entry.expiresAt > now { found[key] = entry.item }
                    }
                    return .success(found)
                }
            }
        }
    }

    func cas(_ copy: SealedCopy, key: String, on node: Int, cas: UInt64) -> NodeOutcome {
        write(key, on: node, count: \.cas) { current in current?.cas == cas ? .store(copy) : .refuse }
    }

    func add(_ copy: SealedCopy, key: String, on node: Int) -> NodeOutcome {
        write(key, on: node, count: \.add) { current in current == nil ? .store(copy) : .refuse }
    }

    /// memcached's way: `cas` over the copy read, `add` where none was.
    func setIfNewer(_ copy: SealedCopy, key: String, on node: Int, replacingCAS: UInt64?) -> NodeOutcome {
        write(key, on: node, count: \.setIfNewer) { current in current?.cas == replacingCAS ? .store(copy) : .refuse }
    }

    func delete(key: String, on node: Int) -> NodeOutcome {
        write(key, on: node, count: \.delete) { current in current == nil ? .refuse : .remove }
    }

    private enum Action { case store(SealedCopy), remove, refuse }

    private func write(_ key: String, on node: Int, count: WritableKeyPath<Calls, Int>,
                       _ decide: (StoredItem?) -> Action) -> NodeOutcome {
        let now = clock.wallMillis()
        let outcome: NodeOutcome = state.withLock { s in
            s.calls[keyPath: count] += 1
            let mode = s.nodes[node].mode
            switch mode {
            case .down: return .failed("connection refused")
            case .frozen: return .timedOut
            case .up, .timesOutAfterApplying: break
            }
            let current = s.nodes[node].items[key].flatMap { $0.expiresAt > now ? $0.item : nil }
            switch decide(current) {
            case .refuse: return .notStored
            case .remove: s.nodes[node].items[key] = nil
            case .store(let copy):
                s.nodes[node].items[key] = (StoredItem(value: copy.value, cas: s.nodes[node].nextCAS), copy.expiresAt)
                s.nodes[node].nextCAS += 1
            }
            return mode == .timesOutAfterApplying ? .timedOut : .ok
        }
        if outcome == .ok || outcome == .timedOut, let hook = afterWrite.withLock({ $0 }) { hook(node, self) }
        return outcome
    }
}

/// A clock that moves only when the test moves it.
final class ManualStoreClock: StoreClock {
    private let nanos = Atomic<UInt64>(1_000_000_000)
    private let millis = Atomic<Int64>(1_800_000_000_000)

    func monotonicNanos() -> UInt64 { nanos.load(ordering: .relaxed) }
    func wallMillis() -> Int64 { millis.load(ordering: .relaxed) }

    func advance(ms: Int64) {
        nanos.add(UInt64(ms) * 1_000_000, ordering: .relaxed)
        millis.add(ms, ordering: .relaxed)
    }
}

/// Records what the core reports.
final class RecordingObserver: ReplicationObserver {
    let failures = Mutex<[(node: Int, outcome: NodeOutcome, newlyDown: Bool)]>([])
    let unopened = Atomic<Int>(0)

    func nodeFailed(_ node: Int, outcome: NodeOutcome, newlyDown: Bool) {
        failures.withLock { $0.append((node, outcome, newlyDown)) }
    }

    func copyFailedToOpen(node: Int, error: any Error) { unopened.add(1, ordering: .relaxed) }

    let refused = Atomic<Int>(0)
    func refusedOlderThanSeen(version: UInt64, seen: UInt64) { refused.add(1, ordering: .relaxed) }
}
