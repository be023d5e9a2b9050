import Synchronization

/// The front door's own figures, for `stats` (memcached's names where one fits).
final class FrontDoorStats: Sendable {
    let started = ContinuousClock.now
    let startedWall: Int64
    let currentConnections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)
    let refusedConnections = Atomic<Int>(0)
    let gets = Atomic<Int>(0)
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let sets = Atomic<Int>(0)
    let touches = Atomic<Int>(0)
    let unavailable = Atomic<Int>(0)

    init(wallMillis: Int64) { startedWall = wallMillis }

    func figures() -> [(String, String)] {
        let uptime = (ContinuousClock.now - started).components.seconds
        return [
            ("pid", String(getpid())), ("uptime", String(uptime)), ("time", String(startedWall / 1000 + uptime)),
            ("version", MemcacheResponder.version), ("implementation", "sessionmesh"),
            ("curr_connections", String(currentConnections.load(ordering: .relaxed))),
            ("total_connections", String(totalConnections.load(ordering: .relaxed))),
            ("rejected_connections", String(refusedConnections.load(ordering: .relaxed))),
            ("cmd_get", String(gets.load(ordering: .relaxed))), ("get_hits", String(hits.load(ordering: .relaxed))),
            ("get_misses", String(misses.load(ordering: .relaxed))), ("cmd_set", String(sets.load(ordering: .relaxed))),
            ("cmd_touch", String(touches.load(ordering: .relaxed))),
            ("store_unavailable", String(unavailable.load(ordering: .relaxed))),
        ]
    }
}

#if canImport(Glibc)
import Glibc
#endif
