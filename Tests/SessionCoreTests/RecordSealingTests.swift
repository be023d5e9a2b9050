import Crypto
import Foundation
import Replication
import Testing
@testable import SessionCore

@Suite struct RecordSealingTests {
    static let record = SessionRecord(version: 7, createdAt: 1_700_000_000_000, lastAccessAt: 1_700_000_100_000,
                                      idleTimeout: 900_000, absoluteExpiresAt: 1_700_028_800_000, writeID: 42,
                                      data: Array(#"{"card":"4111-1111","user":"alice"}"#.utf8))

    static func keyring(_ n: Int = 1) throws -> SessionKeyring {
        try SessionKeyring(keys: (0..<n).map { _ in SymmetricKey(size: .bits256) })
    }

    @Test func codecRoundTripsAndRejectsTruncation() throws {
        let bytes = RecordCodec.encode(Self.record.record)
        #expect(SessionRecord(try RecordCodec.decode(bytes)) == Self.record)
        var tomb = Self.record
        tomb.isTombstone = true
        tomb.data = []
        #expect(SessionRecord(try RecordCodec.decode(RecordCodec.encode(tomb.record))) == tomb)
        for cut in [0, 1, 10, bytes.count - 1] {
            #expect(throws: SessionCodecError.truncated) { try RecordCodec.decode(Array(bytes.prefix(cut))) }
        }
    }

    /// Sessions keep the layout they have always had (format 1), byte for byte, so stored sessions
    /// stay readable and a sidecar of the previous release reads what this one writes.
    @Test func sessionsKeepTheirStoredLayout() throws {
        var legacy: [UInt8] = [1, 0]
        func le(_ v: UInt64) { for i in 0..<8 { legacy.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
        let r = Self.record
        le(r.version); le(UInt64(r.createdAt)); le(UInt64(r.lastAccessAt)); le(UInt64(r.idleTimeout))
        le(UInt64(r.absoluteExpiresAt)); le(r.writeID)
        legacy += [UInt8(r.data.count), 0, 0, 0] + r.data
        #expect(RecordCodec.encode(r.record) == legacy)
        #expect(SessionRecord(try RecordCodec.decode(legacy)) == r)
    }

    @Test func everyKindRoundTripsWithItsFlagsExpiryAndIdleRule() throws {
        for namespace in RecordNamespace.allCases {
            for idle in [nil, IdleRule(lastAccessAt: 1_700_000_000_000, timeout: 60_000)] {
                for tombstone in [false, true] {
                    let record = Record(namespace: namespace, version: 9, writeID: 77, isTombstone: tombstone,
                                        expiresAt: namespace == .memcacheItem ? Record.never : 1_800_000_000_000,
                                        idle: idle, flags: namespace == .session ? 0 : 0xDEAD_BEEF,
                                        payload: Array("a value".utf8) + [0, 255])
                    let bytes = RecordCodec.encode(record)
                    #expect(try RecordCodec.decode(bytes) == record)
                    #expect(throws: SessionCodecError.truncated) { try RecordCodec.decode(Array(bytes.dropLast())) }
                }
            }
        }
    }

    /// A memcache item's lease marks (stale, win sent) survive the codec; a record without marks
    /// encodes byte for byte as before they existed.
    @Test func leaseMarksRoundTrip() throws {
        for marks in [ItemMarks(), .stale, .winSent, [.stale, .winSent]] {
            var record = Record(namespace: .memcacheItem, version: 3, writeID: 5, expiresAt: 1_800_000_000_000, flags: 7, payload: [1, 2])
            record.marks = marks
            let bytes = RecordCodec.encode(record)
            #expect(try RecordCodec.decode(bytes).marks == marks)
            #expect(bytes[1] >> 2 == marks.rawValue)
        }
    }

    @Test func aRecordOfOneKindDoesNotOpenUnderAnotherKindsKey() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let appKey = Array("memc.sess.key.abc".utf8)
        let item = Record(namespace: .memcacheItem, version: 1, writeID: 1, expiresAt: Record.never, payload: [1, 2, 3])
        let sealed = sealer.seal(item, storeKey: RecordKey.derive(.memcacheItem, appKey))
        #expect(RecordKey.derive(.memcacheItem, appKey) != RecordKey.derive(.session, appKey))
        #expect(!RecordKey.derive(.memcacheItem, appKey).contains("memc"))
        #expect(throws: SessionCodecError.authenticationFailed) {
            try sealer.open(sealed, storeKey: RecordKey.derive(.session, appKey))
        }
    }

    @Test func sealedBytesHideThePlaintextAndOpen() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record.record, storeKey: "sm1:k")
        let text = String(decoding: sealed, as: UTF8.self)
        #expect(!text.contains("alice") && !text.contains("4111"))
        #expect(SessionRecord(try sealer.open(sealed, storeKey: "sm1:k")) == Self.record)
        // Fresh nonce every time.
        #expect(sealer.seal(Self.record.record, storeKey: "sm1:k") != sealed)
    }

    @Test func aValueMovedToAnotherKeyFailsToOpen() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record.record, storeKey: "sm1:alice")
        #expect(throws: SessionCodecError.authenticationFailed) { try sealer.open(sealed, storeKey: "sm1:mallory") }
    }

    @Test func everyTamperedByteIsRejected() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record.record, storeKey: "k")
        for i in stride(from: 7, to: sealed.count, by: 3) {
            var bad = sealed
            bad[i] ^= 0x01
            #expect(throws: SessionCodecError.self) { try sealer.open(bad, storeKey: "k") }
        }
        #expect(throws: SessionCodecError.self) { try sealer.open(Array(sealed.prefix(20)), storeKey: "k") }
        #expect(throws: SessionCodecError.self) { try sealer.open(Array("garbage that is long enough to pass the size check".utf8), storeKey: "k") }
    }

    @Test func rotationKeepsOldKeysReadableAndWritesWithThePrimary() throws {
        let old = SymmetricKey(size: .bits256), new = SymmetricKey(size: .bits256)
        let before = RecordSealer(keyring: try SessionKeyring(keys: [old]))
        let after = RecordSealer(keyring: try SessionKeyring(keys: [new, old]))
        let sealedOld = before.seal(Self.record.record, storeKey: "k")
        #expect(SessionRecord(try after.open(sealedOld, storeKey: "k")) == Self.record)
        let sealedNew = after.seal(Self.record.record, storeKey: "k")
        #expect(Array(sealedNew[3..<7]) != Array(sealedOld[3..<7]))
        // Once the old key is dropped, its records no longer open.
        let dropped = RecordSealer(keyring: try SessionKeyring(keys: [new]))
        #expect(throws: SessionCodecError.self) { try dropped.open(sealedOld, storeKey: "k") }
    }

    @Test func keyringFileParsing() throws {
        let a = SessionKeyring.generateKey(), b = SessionKeyring.generateKey()
        let ring = try SessionKeyring(text: "# primary first\n\(a)\n\n\(b)\n")
        #expect(ring.entries.count == 2)
        #expect(ring.primary.id == SessionKeyring.keyID(SymmetricKey(data: Data(base64Encoded: a)!)))
        #expect(throws: KeyringError.empty) { try SessionKeyring(text: "# nothing\n") }
        #expect(throws: KeyringError.badLine(1)) { try SessionKeyring(text: "not base64!!\n") }
        #expect(throws: KeyringError.badKeyLength(16)) { try SessionKeyring(text: Data(count: 16).base64EncodedString()) }
        #expect(throws: KeyringError.duplicateKey) { try SessionKeyring(text: "\(a)\n\(a)") }
    }
}
