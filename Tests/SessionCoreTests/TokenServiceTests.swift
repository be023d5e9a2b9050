import Crypto
import Replication
import Synchronization
import Testing
import TestDoubles
@testable import SessionCore

@Suite struct TokenServiceTests {
    let storage = InMemoryStorage()
    let clock = ManualClock()
    let keyring: SessionKeyring

    init() throws { keyring = try SessionKeyring(keys: [SymmetricKey(size: .bits256)]) }

    func service(_ ring: SessionKeyring? = nil) -> TokenService {
        TokenService(sealer: TokenSealer(keyring: ring ?? keyring), storage: storage, maxTTL: 8 * 3_600_000, now: { [clock] in clock.now })
    }

    let cart: JSONValue = .object(["user": .string("alice"), "cart": .array([.int(1)])])

    @Test func aTokenOpensWithItsDataIdAndTimesAndIsCookieSafe() async throws {
        let (token, issued) = try service().issue(data: cart, ttlSeconds: 600)
        #expect(token.utf8.allSatisfy { Base64URL.isAlphabet($0) })
        #expect(issued.id.count == 16)
        let opened = try await service().open(token)
        #expect(opened == issued)
        #expect(opened.expiresAt == clock.now + 600_000)
        #expect(try JSONValue.parse(opened.data) == cart)
    }

    @Test func tamperedTruncatedAndGarbageTokensAreRefusedWithTheirReason() async throws {
        let (token, _) = try service().issue(data: cart, ttlSeconds: 600)
        var bytes = Array(token.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        await #expect(throws: TokenError.tampered) { try await service().open(String(decoding: bytes, as: UTF8.self)) }
        await #expect(throws: TokenError.tampered) { try await service().open(String(token.dropLast(4))) }
        await #expect(throws: TokenError.malformed) { try await service().open(String(token.prefix(20))) }
        await #expect(throws: TokenError.malformed) { try await service().open("not a token!") }
        await #expect(throws: TokenError.malformed) { try await service().open(String(repeating: "A", count: 5000)) }
        // The header (key id, id, times) is authenticated: moving the expiry is tampering.
        var raw = Base64URL.decode(token)!
        raw[37] &+= 1
        await #expect(throws: TokenError.tampered) { try await service().open(Base64URL.encode(raw)) }
    }

    @Test func expiredRevokedAndUnknownKeyTokensAreRefused() async throws {
        let (token, _) = try service().issue(data: cart, ttlSeconds: 60)
        clock.advance(seconds: 61)
        await #expect(throws: TokenError.expired) { try await service().open(token) }
        let (other, _) = try service().issue(data: cart, ttlSeconds: 60)
        try await service().revoke(other)
        await #expect(throws: TokenError.revoked) { try await service().open(other) }
        try await service().revoke(other)  // revoking twice is fine
        let stranger = try SessionKeyring(keys: [SymmetricKey(size: .bits256)])
        await #expect(throws: TokenError.unknownKey) { try await service(stranger).open(other) }
    }

    @Test func aRevocationIsKeptUntilTheTokensExpiryAndNoLonger() async throws {
        let (token, contents) = try service().issue(data: cart, ttlSeconds: 120)
        try await service().revoke(token)
        let stored = try #require(storage.stored.withLock { $0[RecordKey.derive(.tokenRevocation, contents.id)] })
        #expect(stored.expiresAt == contents.expiresAt)
        #expect(stored.namespace == .tokenRevocation)
    }

    @Test func refreshGivesANewIdAndLifetimeUnderThePrimaryKeyAndRevokesTheOld() async throws {
        let old = SymmetricKey(size: .bits256), new = SymmetricKey(size: .bits256)
        let before = try SessionKeyring(keys: [old]), after = try SessionKeyring(keys: [new, old])
        let (token, issued) = try service(before).issue(data: cart, ttlSeconds: 300)
        clock.advance(seconds: 100)
        // A token sealed under a retired primary still opens.
        #expect(try await service(after).open(token) == issued)
        let (fresh, contents) = try await service(after).refresh(token)
        #expect(contents.id != issued.id)
        #expect(contents.expiresAt == clock.now + 300_000)
        #expect(contents.data == issued.data)
        #expect(Array(Base64URL.decode(fresh)![2..<6]) != Array(Base64URL.decode(token)![2..<6]), "re-sealed under the new primary")
        await #expect(throws: TokenError.revoked) { try await service(after).open(token) }
        #expect(try await service(after).open(fresh) == contents)
    }

    @Test func issuingChecksTheDataTheTtlAndTheSize() throws {
        #expect(throws: SessionError.self) { try service().issue(data: .array([]), ttlSeconds: 60) }
        #expect(throws: SessionError.self) { try service().issue(data: cart, ttlSeconds: 0) }
        #expect(throws: SessionError.self) { try service().issue(data: cart, ttlSeconds: 8 * 3600 + 1) }
        let big: JSONValue = .object(["x": .string(String(repeating: "a", count: TokenSealer.maxDataBytes))])
        #expect(throws: TokenError.tooLarge(limit: TokenSealer.maxDataBytes)) { try service().issue(data: big, ttlSeconds: 60) }
        let fits: JSONValue = .object(["x": .string(String(repeating: "a", count: TokenSealer.maxDataBytes - 8))])
        #expect(try service().issue(data: fits, ttlSeconds: 60).token.utf8.count <= 4096)
    }
}
