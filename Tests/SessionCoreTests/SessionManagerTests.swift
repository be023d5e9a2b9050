import Replication
import Synchronization
import Testing
import TestDoubles
@testable import SessionCore

extension InMemoryStorage {
    /// The session stored under `key`.
    func session(_ key: String) -> SessionRecord? { stored.withLock { $0[key].flatMap(SessionRecord.init) } }
}

@Suite struct SessionManagerTests {
    let storage = InMemoryStorage()
    let clock = ManualClock()
    var manager: SessionManager {
        SessionManager(storage: storage, policy: SessionPolicy(idleTimeout: 900_000, absoluteTimeout: 8 * 3_600_000, touchGranularity: 10_000),
                       now: { [clock] in clock.now })
    }
    let cart: JSONValue = .object(["user": .string("alice"), "cart": .array([.int(1)])])

    @Test func createReadRoundTrip() async throws {
        let created = try await manager.create(data: cart)
        #expect(created.record.version == 1)
        let read = try await manager.read(created.id)
        #expect(read.record.data == cart.serialized())
        #expect(read.record.absoluteExpiresAt == created.record.createdAt + 8 * 3_600_000)
    }

    @Test func slidingIdleTimeoutExpiresUnusedSessionsAndExtendsUsedOnes() async throws {
        let s = try await manager.create(data: cart)
        clock.advance(seconds: 800)
        _ = try await manager.read(s.id)  // activity: slides the window
        clock.advance(seconds: 800)
        _ = try await manager.read(s.id)  // 1600 s after creation, but only 800 s idle
        clock.advance(seconds: 901)
        await #expect(throws: SessionError.notFound) { try await manager.read(s.id) }
    }

    @Test func readsWithinTheTouchGranularityDoNotWrite() async throws {
        let s = try await manager.create(data: cart)
        clock.advance(seconds: 5)
        _ = try await manager.read(s.id)
        #expect(storage.session(s.id.storageKey)!.lastAccessAt == s.record.lastAccessAt)
        clock.advance(seconds: 6)
        _ = try await manager.read(s.id)
        #expect(storage.session(s.id.storageKey)!.lastAccessAt == clock.now)
        #expect(storage.session(s.id.storageKey)!.version == 1)
    }

    @Test func absoluteTimeoutHoldsEvenWithActivity() async throws {
        let s = try await manager.create(data: cart, idleSeconds: 600, absoluteSeconds: 1200)
        for _ in 0..<3 {
            clock.advance(seconds: 500)
            if clock.now < s.record.absoluteExpiresAt { _ = try await manager.read(s.id) }
        }
        await #expect(throws: SessionError.notFound) { try await manager.read(s.id) }
    }

    @Test func requestedTimeoutsMayOnlyShortenThePolicy() async throws {
        await #expect(throws: SessionError.self) { try await manager.create(data: cart, idleSeconds: 901) }
        await #expect(throws: SessionError.self) { try await manager.create(data: cart, absoluteSeconds: 0) }
        await #expect(throws: SessionError.unprocessable("session data must be a JSON object")) { try await manager.create(data: .array([])) }
    }

    @Test func conditionalUpdatesDetectConflicts() async throws {
        let s = try await manager.create(data: cart)
        let v2 = try await manager.patch(s.id, patch: .object(["paid": .bool(true)]), ifMatch: 1)
        #expect(v2.record.version == 2)
        await #expect(throws: SessionError.preconditionFailed(currentVersion: 2)) {
            try await manager.replace(s.id, data: .object([:]), ifMatch: 1)
        }
        let v3 = try await manager.replace(s.id, data: .object(["x": .int(1)]), ifMatch: 2)
        #expect(v3.record.data == Array(#"{"x":1}"#.utf8))
    }

    @Test func concurrentUnconditionalPatchesAllApply() async throws {
        let s = try await manager.create(data: .object([:]))
        let m = manager
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { _ = try? await m.patch(s.id, patch: .object(["k\(i)": .int(Int64(i))]), ifMatch: nil) }
            }
        }
        let final = try JSONValue.parse(try await manager.read(s.id).record.data)
        guard case .object(let members) = final else { Issue.record("not an object"); return }
        #expect(members.count == 50)
    }

    @Test func deleteLeavesATombstoneThatNeverComesBack() async throws {
        let s = try await manager.create(data: cart)
        try await manager.delete(s.id)
        let stored = storage.session(s.id.storageKey)!
        #expect(stored.isTombstone && stored.data.isEmpty && stored.version == 2)
        #expect(stored.expiresAt == s.record.absoluteExpiresAt)
        await #expect(throws: SessionError.loggedOut) { try await manager.read(s.id) }
        await #expect(throws: SessionError.loggedOut) { try await manager.delete(s.id) }
        await #expect(throws: SessionError.loggedOut) { try await manager.patch(s.id, patch: .object([:]), ifMatch: nil) }
    }

    @Test func rotateMovesDataToANewIdAndKillsTheOld() async throws {
        let s = try await manager.create(data: cart)
        let r = try await manager.rotate(s.id)
        #expect(r.id != s.id)
        #expect(r.record.data == s.record.data)
        #expect(r.record.absoluteExpiresAt == s.record.absoluteExpiresAt)  // rotation cannot extend a session
        await #expect(throws: SessionError.loggedOut) { try await manager.read(s.id) }
        #expect(try await manager.read(r.id).record.data == cart.serialized())
    }

    @Test func recordOrderingPrefersVersionThenTombstoneThenAccess() {
        let base = SessionRecord(version: 3, createdAt: 0, lastAccessAt: 10, idleTimeout: 100, absoluteExpiresAt: 1000, writeID: 1, data: [])
        var newer = base; newer.version = 4
        var tomb = base; tomb.isTombstone = true
        var touched = base; touched.lastAccessAt = 20
        #expect(newer.isNewer(than: base) && !base.isNewer(than: newer))
        #expect(tomb.isNewer(than: touched))
        #expect(touched.isNewer(than: base))
        #expect(!base.isNewer(than: base))
    }
}
