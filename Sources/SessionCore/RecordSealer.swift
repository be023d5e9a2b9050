@preconcurrency import Crypto
import Foundation
import Replication

/// Seals records with AES-256-GCM before they reach a store node.
///
///     "SM" | u8 version(=1) | u32 keyID (BE) | 12-byte nonce | ciphertext | 16-byte tag
///
/// The associated data is the 7-byte header followed by the store key (which carries the record's
/// namespace), so a value copied under another key fails to open, and so does one whose key id was altered.
public struct RecordSealer: RecordSealing {
    static let magic: [UInt8] = [0x53, 0x4D]
    static let version: UInt8 = 1
    static let headerSize = 7
    public let keyring: SessionKeyring

    public init(keyring: SessionKeyring) { self.keyring = keyring }

    public func seal(_ record: Record, storeKey storageKey: String) -> [UInt8] {
        let entry = keyring.primary
        var header = Self.magic
        header.append(Self.version)
        for shift in stride(from: 24, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: entry.id >> UInt32(shift))) }
        let plaintext = RecordCodec.encode(record)
        // AES.GCM.seal with a fresh random nonce only fails on invalid parameters, which are fixed here.
        let box = try! AES.GCM.seal(plaintext, using: entry.key, authenticating: header + Array(storageKey.utf8))
        var out = header
        out.reserveCapacity(Self.headerSize + 12 + plaintext.count + 16)
        out.append(contentsOf: box.nonce)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        return out
    }

    public func open(_ sealed: [UInt8], storeKey storageKey: String) throws(SessionCodecError) -> Record {
        guard sealed.count >= Self.headerSize + 12 + 16 else { throw .truncated }
        guard sealed[0] == Self.magic[0], sealed[1] == Self.magic[1], sealed[2] == Self.version else { throw .badMagic }
        let keyID = UInt32(sealed[3]) << 24 | UInt32(sealed[4]) << 16 | UInt32(sealed[5]) << 8 | UInt32(sealed[6])
        guard let entry = keyring.entry(id: keyID) else { throw .unknownKey(keyID) }
        let plaintext: Data
        do {
            // nonce | ciphertext | tag is the sealed box's combined form, as it is stored.
            let box = try AES.GCM.SealedBox(combined: sealed[Self.headerSize...])
            var associated = [UInt8]()
            associated.reserveCapacity(Self.headerSize + storageKey.utf8.count)
            associated.append(contentsOf: sealed[0..<Self.headerSize])
            associated.append(contentsOf: storageKey.utf8)
            plaintext = try AES.GCM.open(box, using: entry.key, authenticating: associated)
        } catch {
            throw .authenticationFailed
        }
        return try RecordCodec.decode([UInt8](plaintext))
    }
}
