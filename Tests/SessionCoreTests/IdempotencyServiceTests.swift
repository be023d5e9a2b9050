import Replication
import Testing
import TestDoubles
@testable import SessionCore

@Suite struct IdempotencyServiceTests {
    let storage = InMemoryStorage()
    let clock = ManualClock()
    var keys: IdempotencyService { IdempotencyService(storage: storage, retention: 86_400_000, now: { [clock] in clock.now }) }
    let paid = IdempotencyService.StoredResponse(status: 201, headers: [("Content-Type", "application/json")], body: #"{"charge":"ch_1"}"#)

    @Test func theFirstCallerStartsOthersAreToldInProgressThenGetTheStoredResponse() async throws {
        guard case .started(let fence, _) = try await keys.reserve(key: "pay-1", fingerprint: "f", leaseSeconds: 30) else {
            Issue.record("first reservation did not start"); return
        }
        #expect(fence == 1)
        await #expect(throws: IdempotencyError.inProgress(retryAfterSeconds: 30)) {
            try await keys.reserve(key: "pay-1", fingerprint: "f", leaseSeconds: 30)
        }
        try await keys.complete(key: "pay-1", fence: fence, response: paid)
        #expect(try await keys.reserve(key: "pay-1", fingerprint: "f", leaseSeconds: 30) == .completed(paid))
        // A retried completion with the same response is fine; another response is refused.
        try await keys.complete(key: "pay-1", fence: fence, response: paid)
        await #expect(throws: IdempotencyError.alreadyCompleted) {
            try await keys.complete(key: "pay-1", fence: fence, response: .init(status: 500, headers: [], body: ""))
        }
    }

    @Test func anotherFingerprintIsAMismatchWhetherStartedOrCompleted() async throws {
        _ = try await keys.reserve(key: "k", fingerprint: "amount=10", leaseSeconds: 30)
        await #expect(throws: IdempotencyError.fingerprintMismatch) { try await keys.reserve(key: "k", fingerprint: "amount=99", leaseSeconds: 30) }
        try await keys.complete(key: "k", fence: 1, response: paid)
        await #expect(throws: IdempotencyError.fingerprintMismatch) { try await keys.reserve(key: "k", fingerprint: "amount=99", leaseSeconds: 30) }
    }

    @Test func afterTheLeaseTheNextCallerTakesOverWithAHigherFenceAndTheStaleHolderIsRefused() async throws {
        _ = try await keys.reserve(key: "k", fingerprint: "f", leaseSeconds: 10)
        clock.advance(seconds: 11)
        guard case .started(let fence, _) = try await keys.reserve(key: "k", fingerprint: "f", leaseSeconds: 10) else {
            Issue.record("no takeover"); return
        }
        #expect(fence == 2)
        await #expect(throws: IdempotencyError.staleFence(current: 2)) { try await keys.complete(key: "k", fence: 1, response: paid) }
        try await keys.complete(key: "k", fence: 2, response: paid)
        #expect(try await keys.reserve(key: "k", fingerprint: "f", leaseSeconds: 10) == .completed(paid))
    }

    @Test func keysAreKeptForTheRetentionThenStartAfresh() async throws {
        _ = try await keys.reserve(key: "k", fingerprint: "f", leaseSeconds: 10)
        try await keys.complete(key: "k", fence: 1, response: paid)
        clock.advance(seconds: 86_401)
        #expect(try await keys.reserve(key: "k", fingerprint: "other", leaseSeconds: 10) == .started(fence: 1, leaseExpiresAt: clock.now + 10_000))
    }

    @Test func badKeysLeasesAndUnreservedCompletionsAreRefused() async throws {
        for bad in ["", String(repeating: "a", count: 256), "has space", "slash/inside", "percent%20", "é"] {
            await #expect(throws: IdempotencyError.self) { try await keys.reserve(key: bad, fingerprint: "f", leaseSeconds: 10) }
        }
        #expect(try await keys.reserve(key: String(repeating: "a", count: 255), fingerprint: "f", leaseSeconds: 10) != .completed(paid))
        await #expect(throws: SessionError.self) { try await keys.reserve(key: "k2", fingerprint: "f", leaseSeconds: 0) }
        await #expect(throws: IdempotencyError.notReserved) { try await keys.complete(key: "never", fence: 1, response: paid) }
    }
}
