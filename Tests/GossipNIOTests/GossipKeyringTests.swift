import Foundation
import Testing
@testable import GossipNIO

/// Vectors computed independently with Python `cryptography` (AESGCM) using memberlist's
/// construction: `[version][nonce][AES-GCM(key, nonce, plaintext [+PKCS7 for v0], aad)]`.
enum KeyringVectors {
    static let key16 = [UInt8](0..<16)
    static let key24 = [UInt8](0..<24)
    static let key32 = [UInt8](0..<32)
    static let nonce = [UInt8](100..<112)
    /// `00 82 a4"Node" a6"node-a" a5"SeqNo" 01`: a ping.
    static let payload = hex("0082a44e6f6465a66e6f64652d61a55365714e6f01")
    static let v1Key32 = hex("016465666768696a6b6c6d6e6f48997a28168d3338500d3b8df704cfae27b348658a01ae2968889822f6f926f60c1da6b8fc")
    static let v0Key16 = hex("006465666768696a6b6c6d6e6f1ae0eaebb466dd5cf5513375abab8ebf55f9369093a2d651ff64ba9cb7f9fcf865ad6bcacb68c8f223da5031836fb90a")
    static let v1Key24 = hex("016465666768696a6b6c6d6e6fe9ea1f323dcb6b9ebdbe8664d7933eedb82810a5fb7fabe2a84638d6e8af94418181441d3b")
    /// Stream frame: `0a 00000032` + v1 payload with the 5 header bytes as AAD.
    static let streamKey32 = hex("0a00000032016465666768696a6b6c6d6e6f48997a28168d3338500d3b8df704cfae27b348658a11b45b0f8ebd2f18261af67c52de1f7b")
    static let key32Base64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    static let key16Base64 = "AAECAwQFBgcICQoLDA0ODw=="
    static let key24Base64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
}

func hex(_ text: String) -> [UInt8] {
    var out = [UInt8]()
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

@Suite struct GossipKeyringTests {
    typealias V = KeyringVectors

    @Test func encryptVersion1MatchesIndependentVector() throws {
        let ring = try GossipKeyring(primaryKey: V.key32)
        let out = try ring.encrypt(V.payload, version: 1, additionalData: [], nonce: V.nonce)
        #expect(out == V.v1Key32)
        #expect(out.count == GossipKeyring.encryptedLength(version: 1, plaintextLength: V.payload.count))
        #expect(try ring.decrypt(out) == V.payload)
    }

    @Test func encryptVersion0PaddedMatchesIndependentVector() throws {
        let ring = try GossipKeyring(primaryKey: V.key16)
        let out = try ring.encrypt(V.payload, version: 0, additionalData: [], nonce: V.nonce)
        #expect(out == V.v0Key16)
        #expect(out.count == GossipKeyring.encryptedLength(version: 0, plaintextLength: V.payload.count))
        #expect(try ring.decrypt(out) == V.payload)
    }

    @Test func aes192Vector() throws {
        let ring = try GossipKeyring(primaryKey: V.key24)
        #expect(try ring.encrypt(V.payload, version: 1, additionalData: [], nonce: V.nonce) == V.v1Key24)
        #expect(try ring.decrypt(V.v1Key24) == V.payload)
    }

    @Test func streamFrameMatchesIndependentVector() throws {
        let ring = try GossipKeyring(primaryKey: V.key32)
        let header: [UInt8] = [0x0a, 0, 0, 0, 0x32]
        let body = try ring.encrypt(V.payload, version: 1, additionalData: header, nonce: V.nonce)
        #expect(header + body == V.streamKey32)
        #expect(try ring.decryptStream(V.streamKey32) == V.payload)
        // Random-nonce round trip through the public stream API.
        let frame = try ring.encryptStream(V.payload)
        #expect(frame.count == 5 + 1 + 12 + V.payload.count + 16)
        #expect(try ring.decryptStream(frame) == V.payload)
        // A stream frame's body is not a valid packet (different AAD).
        #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try ring.decrypt(Array(frame.dropFirst(5))) }
    }

    @Test func randomNoncesDiffer() throws {
        let ring = try GossipKeyring(primaryKey: V.key32)
        let a = try ring.encrypt(V.payload)
        let b = try ring.encrypt(V.payload)
        #expect(a != b)
        #expect(a[0] == 1)
        #expect(try ring.decrypt(a) == V.payload && ring.decrypt(b) == V.payload)
        #expect(try ring.decrypt(ring.encrypt([])) == [])
        #expect(try ring.decrypt(ring.encrypt([], version: 0)) == [])
    }

    @Test func wrongKeyThrows() throws {
        let other = try GossipKeyring(primaryKey: [UInt8](repeating: 7, count: 32))
        #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try other.decrypt(V.v1Key32) }
        #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try other.decryptStream(V.streamKey32) }
    }

    @Test func tamperingAnyByteThrows() throws {
        let ring = try GossipKeyring(primaryKey: V.key32)
        for index in 1..<V.v1Key32.count {
            var bad = V.v1Key32
            bad[index] ^= 0x01
            #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try ring.decrypt(bad) }
        }
        var badVersion = V.v1Key32
        badVersion[0] = 2
        #expect(throws: GossipDecryptError.unsupportedVersion(2)) { try ring.decrypt(badVersion) }
        // The version byte is not authenticated in memberlist's format: flipping 1 → 0 still
        // authenticates and then strips "padding" (here the trailing 0x01). It must not trap.
        var v0 = V.v1Key32
        v0[0] = 0
        #expect((try? ring.decrypt(v0)) == Array(V.payload.dropLast()))
        // Stream header tampering breaks the AAD or the length check.
        var badHeader = V.streamKey32
        badHeader[4] ^= 0x01
        #expect(throws: (any Error).self) { try ring.decryptStream(badHeader) }
        var badType = V.streamKey32
        badType[0] = 6
        #expect(throws: GossipDecryptError.notEncryptedStream(6)) { try ring.decryptStream(badType) }
    }

    @Test func truncationThrowsNeverTraps() throws {
        let ring = try GossipKeyring(primaryKey: V.key32)
        for length in 0..<V.v1Key32.count {
            #expect(throws: (any Error).self) { try ring.decrypt(Array(V.v1Key32.prefix(length))) }
        }
        for length in 0..<V.streamKey32.count {
            #expect(throws: (any Error).self) { try ring.decryptStream(Array(V.streamKey32.prefix(length))) }
        }
        #expect(throws: GossipDecryptError.empty) { try ring.decrypt([]) }
        #expect(throws: GossipDecryptError.tooShort(28)) { try ring.decrypt(Array(V.v1Key32.prefix(28))) }
        // Version 0 needs room for a padding block too.
        #expect(throws: GossipDecryptError.tooShort(29)) { try ring.decrypt([0] + [UInt8](repeating: 0, count: 28)) }
    }

    @Test func randomGarbageNeverTraps() throws {
        let ring = try GossipKeyring(primaryKey: V.key16, secondaryKeys: [V.key24, V.key32])
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0...200, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty { bytes[0] = UInt8.random(in: 0...2, using: &rng) }
            #expect(throws: (any Error).self) { try ring.decrypt(bytes) }
            #expect(throws: (any Error).self) { try ring.decryptStream([10] + bytes) }
        }
    }

    @Test func decryptTriesEveryInstalledKey() throws {
        let ring = try GossipKeyring(primaryKey: V.key16, secondaryKeys: [V.key24, V.key32])
        #expect(try ring.decrypt(V.v1Key32) == V.payload)
        #expect(try ring.decrypt(V.v1Key24) == V.payload)
        #expect(try ring.decrypt(V.v0Key16) == V.payload)
        #expect(try ring.decryptStream(V.streamKey32) == V.payload)
    }

    @Test func rotationInstallUseRemove() throws {
        var ring = try GossipKeyring(primaryKey: V.key16)
        #expect(ring.keys == [V.key16])
        // Install: decrypts with the new key, still encrypts with the old.
        try ring.install(V.key32)
        try ring.install(V.key32)  // no-op
        #expect(ring.keys == [V.key16, V.key32])
        #expect(try ring.decrypt(V.v1Key32) == V.payload)
        let oldPrimary = try ring.encrypt(V.payload)
        #expect(try GossipKeyring(primaryKey: V.key16).decrypt(oldPrimary) == V.payload)
        // Use: the new key encrypts.
        try ring.use(V.key32)
        #expect(ring.primaryKey == V.key32)
        #expect(ring.secondaryKeys == [V.key16])
        let newPrimary = try ring.encrypt(V.payload)
        #expect(try GossipKeyring(primaryKey: V.key32).decrypt(newPrimary) == V.payload)
        #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try GossipKeyring(primaryKey: V.key16).decrypt(newPrimary) }
        // Remove: the primary can't go; the old one can.
        #expect(throws: GossipKeyringError.cannotRemovePrimaryKey) { try ring.remove(V.key32) }
        try ring.remove(V.key16)
        #expect(ring.keys == [V.key32])
        #expect(throws: GossipDecryptError.noKeyCouldDecrypt) { try ring.decrypt(V.v0Key16) }
        #expect(throws: GossipKeyringError.keyNotInstalled) { try ring.use(V.key24) }
        try ring.remove(V.key24)  // not installed: no-op, like memberlist
        #expect(ring.keys == [V.key32])
    }

    @Test func invalidKeysRejected() throws {
        #expect(throws: GossipKeyringError.invalidKeySize(15)) { try GossipKeyring(primaryKey: [UInt8](repeating: 1, count: 15)) }
        #expect(throws: GossipKeyringError.invalidKeySize(0)) { try GossipKeyring(primaryKey: []) }
        var ring = try GossipKeyring(primaryKey: V.key16)
        #expect(throws: GossipKeyringError.invalidKeySize(33)) { try ring.install([UInt8](repeating: 1, count: 33)) }
        #expect(throws: (any Error).self) { try GossipKeyring(base64PrimaryKey: "not base64!!") }
        #expect(throws: GossipKeyringError.invalidKeySize(3)) { try GossipKeyring(base64PrimaryKey: "AAAA") }
        #expect(throws: GossipKeyringError.unsupportedVersion(2)) { try ring.encrypt([1], version: 2) }
        #expect(!"\(ring)".contains("AAEC"))
    }

    @Test func base64AndGeneratedKeys() throws {
        let ring = try GossipKeyring(base64PrimaryKey: V.key32Base64, base64SecondaryKeys: [V.key16Base64])
        #expect(ring.keys == [V.key32, V.key16])
        #expect(ring.base64Keys == [V.key32Base64, V.key16Base64])
        let generated = try GossipKeyring.generateKey()
        #expect(generated.count == 32)
        #expect(try GossipKeyring.generateKey(byteCount: 16).count == 16)
    }

    @Test func loadsSerfKeyringJSONFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gossipnio-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("keyring.json").path
        // serf writes a pretty-printed JSON array, primary first.
        try "[\n  \"\(V.key32Base64)\",\n  \"\(V.key16Base64)\",\n  \"\(V.key24Base64)\"\n]\n".write(toFile: json, atomically: true, encoding: .utf8)
        let ring = try GossipKeyring.load(serfKeyringFile: json)
        #expect(ring.keys == [V.key32, V.key16, V.key24])
        #expect(try GossipKeyring.load(file: json) == ring)
        #expect(try GossipKeyring(serfKeyringJSON: Array(ring.serfKeyringJSON().utf8)) == ring)

        let bad = dir.appendingPathComponent("bad.json").path
        try "{\"keys\": []}".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try GossipKeyring.load(serfKeyringFile: bad) }
        try "[]".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: GossipKeyringError.noKeys) { try GossipKeyring.load(serfKeyringFile: bad) }
        try "[\"AAAA\"]".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: GossipKeyringError.invalidKeySize(3)) { try GossipKeyring.load(serfKeyringFile: bad) }
        #expect(throws: (any Error).self) { try GossipKeyring.load(serfKeyringFile: dir.appendingPathComponent("missing").path) }
    }

    @Test func loadsKeyPerLineFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gossipnio-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keys.txt").path
        try "# rotation in progress\n\(V.key16Base64)\r\n\n  \(V.key32Base64)  \n".write(toFile: path, atomically: true, encoding: .utf8)
        let ring = try GossipKeyring.load(keyLinesFile: path)
        #expect(ring.keys == [V.key16, V.key32])
        #expect(try GossipKeyring.load(file: path) == ring)
        try "\n# nothing\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: GossipKeyringError.noKeys) { try GossipKeyring.load(keyLinesFile: path) }
    }
}
