import Crypto
import Foundation
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
        let bytes = RecordCodec.encode(Self.record)
        #expect(try RecordCodec.decode(bytes) == Self.record)
        var tomb = Self.record
        tomb.isTombstone = true
        tomb.data = []
        #expect(try RecordCodec.decode(RecordCodec.encode(tomb)) == tomb)
        for cut in [0, 1, 10, bytes.count - 1] {
            #expect(throws: SessionCodecError.truncated) { try RecordCodec.decode(Array(bytes.prefix(cut))) }
        }
    }

    @Test func sealedBytesHideThePlaintextAndOpen() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record, storageKey: "sm1:k")
        let text = String(decoding: sealed, as: UTF8.self)
        #expect(!text.contains("alice") && !text.contains("4111"))
        #expect(try sealer.open(sealed, storageKey: "sm1:k") == Self.record)
        // Fresh nonce every time.
        #expect(sealer.seal(Self.record, storageKey: "sm1:k") != sealed)
    }

    @Test func aValueMovedToAnotherKeyFailsToOpen() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record, storageKey: "sm1:alice")
        #expect(throws: SessionCodecError.authenticationFailed) { try sealer.open(sealed, storageKey: "sm1:mallory") }
    }

    @Test func everyTamperedByteIsRejected() throws {
        let sealer = RecordSealer(keyring: try Self.keyring())
        let sealed = sealer.seal(Self.record, storageKey: "k")
        for i in stride(from: 7, to: sealed.count, by: 3) {
            var bad = sealed
            bad[i] ^= 0x01
            #expect(throws: SessionCodecError.self) { try sealer.open(bad, storageKey: "k") }
        }
        #expect(throws: SessionCodecError.self) { try sealer.open(Array(sealed.prefix(20)), storageKey: "k") }
        #expect(throws: SessionCodecError.self) { try sealer.open(Array("garbage that is long enough to pass the size check".utf8), storageKey: "k") }
    }

    @Test func rotationKeepsOldKeysReadableAndWritesWithThePrimary() throws {
        let old = SymmetricKey(size: .bits256), new = SymmetricKey(size: .bits256)
        let before = RecordSealer(keyring: try SessionKeyring(keys: [old]))
        let after = RecordSealer(keyring: try SessionKeyring(keys: [new, old]))
        let sealedOld = before.seal(Self.record, storageKey: "k")
        #expect(try after.open(sealedOld, storageKey: "k") == Self.record)
        let sealedNew = after.seal(Self.record, storageKey: "k")
        #expect(Array(sealedNew[3..<7]) != Array(sealedOld[3..<7]))
        // Once the old key is dropped, its records no longer open.
        let dropped = RecordSealer(keyring: try SessionKeyring(keys: [new]))
        #expect(throws: SessionCodecError.self) { try dropped.open(sealedOld, storageKey: "k") }
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
