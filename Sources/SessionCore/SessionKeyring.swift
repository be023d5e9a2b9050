@preconcurrency import Crypto
import Foundation

/// AES-256 keys for sealing session records. The first key is the primary: new writes use it.
/// Every key still opens records sealed under it, so rotation is: prepend a new key, roll it out
/// to every sidecar, and drop the old key once the longest absolute timeout has passed.
public struct SessionKeyring: Sendable {
    public struct Entry: Sendable {
        public let id: UInt32
        public let key: SymmetricKey
    }

    public let entries: [Entry]
    public var primary: Entry { entries[0] }

    public init(keys: [SymmetricKey]) throws(KeyringError) {
        guard !keys.isEmpty else { throw .empty }
        var entries = [Entry]()
        for key in keys {
            guard key.bitCount == 256 else { throw .badKeyLength(key.bitCount / 8) }
            let id = Self.keyID(key)
            guard !entries.contains(where: { $0.id == id }) else { throw .duplicateKey }
            entries.append(Entry(id: id, key: key))
        }
        self.entries = entries
    }

    /// Parses a keyring file: one standard-base64 32-byte key per line, the first is the primary.
    /// Blank lines and lines starting with `#` are ignored.
    public init(text: String) throws(KeyringError) {
        var keys = [SymmetricKey]()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let bytes = Data(base64Encoded: line) else { throw .badLine(number + 1) }
            keys.append(SymmetricKey(data: bytes))
        }
        try self.init(keys: keys)
    }

    public func entry(id: UInt32) -> Entry? { entries.first { $0.id == id } }

    /// A new random key as base64, for `sessionmesh keygen`.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A key's public id: the first 4 bytes of SHA-256 over a domain tag and the key.
    static func keyID(_ key: SymmetricKey) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array("sessionmesh/key-id/v1".utf8))
        key.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = Array(hasher.finalize())
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }
}

public enum KeyringError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case badKeyLength(Int)
    case badLine(Int)
    case duplicateKey

    public var description: String {
        switch self {
        case .empty: "the keyring has no keys"
        case .badKeyLength(let n): "a key is \(n) bytes; keys must be 32 bytes (AES-256), base64"
        case .badLine(let n): "line \(n) of the keyring is not valid base64"
        case .duplicateKey: "the keyring lists the same key twice"
        }
    }
}
