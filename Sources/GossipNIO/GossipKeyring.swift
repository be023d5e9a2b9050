import Crypto
import Foundation

/// Errors raised while building or editing a ``GossipKeyring``.
public enum GossipKeyringError: Error, Equatable, Sendable {
    /// A key is not 16, 24 or 32 bytes long.
    case invalidKeySize(Int)
    /// A key is not valid base64.
    case invalidBase64(String)
    /// The key asked for is not installed.
    case keyNotInstalled
    /// The primary key cannot be removed (use another key first).
    case cannotRemovePrimaryKey
    /// A keyring file holds no key.
    case noKeys
    /// A keyring file could not be read or parsed.
    case fileFormat(String)
    /// An unsupported encryption version was asked for on encrypt.
    case unsupportedVersion(UInt8)
    /// The underlying AES-GCM implementation failed.
    case cryptoFailure(String)
}

/// Errors raised while decrypting a packet or stream frame. Decryption never traps.
public enum GossipDecryptError: Error, Equatable, Sendable {
    /// Empty input.
    case empty
    /// The version byte is above 1.
    case unsupportedVersion(UInt8)
    /// Shorter than version + nonce + tag (+ padding for version 0).
    case tooShort(Int)
    /// No installed key authenticated the message (wrong key or tampered bytes).
    case noKeyCouldDecrypt
    /// Version 0 PKCS7 padding is malformed.
    case badPadding
    /// A stream frame does not start with encryptMsg (10).
    case notEncryptedStream(UInt8)
    /// A stream frame's 4-byte length does not match the bytes given.
    case lengthMismatch(declared: Int, actual: Int)
}

/// The AES-GCM keyring of memberlist 0.2.2 (`security.go`, `keyring.go`), as used by
/// serf's `-encrypt` / `-keyring-file`.
///
/// `keys[0]` is the primary key: it encrypts, and is tried first on decrypt; every other
/// installed key is tried in order after it.
///
/// Wire format of an encrypted payload: `[version][12-byte nonce][ciphertext ‖ 16-byte tag]`.
/// Version 1 (memberlist protocol ≥ 2, i.e. serf) has no padding; version 0 PKCS7-pads the
/// plaintext to 16 bytes. UDP packets use no additional data (0.2.2 has no labels);
/// stream frames are `[0x0A][len u32 BE][payload]` with the 5 header bytes as additional data.
public struct GossipKeyring: Sendable, Equatable {
    public static let versionSize = 1
    public static let nonceSize = 12
    public static let tagSize = 16
    public static let blockSize = 16
    /// The stream message type that announces an encrypted stream frame.
    public static let encryptMsgType: UInt8 = 10
    /// The encryption version serf uses (memberlist protocol ≥ 2).
    public static let defaultVersion: UInt8 = 1

    /// Installed keys; index 0 is the primary key.
    public private(set) var keys: [[UInt8]]

    /// The key used to encrypt.
    public var primaryKey: [UInt8] { keys[0] }

    /// The installed keys other than the primary, in the order they are tried.
    public var secondaryKeys: [[UInt8]] { Array(keys.dropFirst()) }

    /// Builds a keyring like memberlist's `NewKeyring(keys, primaryKey)`: the primary is
    /// put first, duplicates are dropped.
    public init(primaryKey: [UInt8], secondaryKeys: [[UInt8]] = []) throws {
        try Self.validateKey(primaryKey)
        keys = [primaryKey]
        for key in secondaryKeys {
            try install(key)
        }
    }

    /// Builds a keyring from base64 keys (as serf's `-encrypt` and keyring files use).
    public init(base64PrimaryKey: String, base64SecondaryKeys: [String] = []) throws {
        try self.init(
            primaryKey: Self.decodeBase64Key(base64PrimaryKey),
            secondaryKeys: base64SecondaryKeys.map(Self.decodeBase64Key)
        )
    }

    // MARK: - Keys

    /// Throws unless the key is 16, 24 or 32 bytes (AES-128/192/256).
    public static func validateKey(_ key: [UInt8]) throws {
        guard key.count == 16 || key.count == 24 || key.count == 32 else {
            throw GossipKeyringError.invalidKeySize(key.count)
        }
    }

    /// Decodes and validates one base64 key (surrounding whitespace is ignored).
    public static func decodeBase64Key(_ text: String) throws -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed) else {
            throw GossipKeyringError.invalidBase64(trimmed)
        }
        let key = [UInt8](data)
        try validateKey(key)
        return key
    }

    /// Generates a random 32-byte key (what `serf keygen` makes).
    public static func generateKey(byteCount: Int = 32) throws -> [UInt8] {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8))
        let bytes = key.withUnsafeBytes { [UInt8]($0) }
        try validateKey(bytes)
        return bytes
    }

    /// The installed keys in base64, primary first.
    public var base64Keys: [String] { keys.map { Data($0).base64EncodedString() } }

    /// Installs a key for decryption (serf `keys -install`). A no-op if already installed.
    public mutating func install(_ key: [UInt8]) throws {
        try Self.validateKey(key)
        if keys.contains(key) { return }
        keys.append(key)
    }

    /// Makes an installed key the primary (serf `keys -use`).
    public mutating func use(_ key: [UInt8]) throws {
        guard let index = keys.firstIndex(of: key) else {
            throw GossipKeyringError.keyNotInstalled
        }
        keys.remove(at: index)
        keys.insert(key, at: 0)
    }

    /// Removes a non-primary key (serf `keys -remove`). Removing a key that is not
    /// installed is a no-op, as in memberlist.
    public mutating func remove(_ key: [UInt8]) throws {
        if key == keys[0] { throw GossipKeyringError.cannotRemovePrimaryKey }
        keys.removeAll { $0 == key }
    }

    // MARK: - Packets

    /// The size of an encrypted payload for a plaintext of `length` bytes (`encryptedLength`).
    public static func encryptedLength(version: UInt8, plaintextLength length: Int) -> Int {
        if version >= 1 {
            return versionSize + nonceSize + length + tagSize
        }
        let padding = blockSize - (length % blockSize)
        return versionSize + nonceSize + length + padding + tagSize
    }

    /// Maximum encryption overhead (`encryptOverhead`): 29 for version 1, 45 for version 0.
    public static func overhead(version: UInt8) -> Int {
        version >= 1 ? 29 : 45
    }

    /// Encrypts with the primary key and a random nonce, exactly as `encryptPayload`.
    /// - Parameters:
    ///   - version: 1 (no padding, serf) or 0 (PKCS7 padding).
    ///   - additionalData: empty for UDP packets in memberlist 0.2.2.
    public func encrypt(
        _ payload: [UInt8],
        version: UInt8 = GossipKeyring.defaultVersion,
        additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceSize)
        var rng = SystemRandomNumberGenerator()
        for i in nonce.indices { nonce[i] = UInt8.random(in: .min ... .max, using: &rng) }
        return try encrypt(payload, version: version, additionalData: additionalData, nonce: nonce)
    }

    /// Encrypts with a caller-chosen 12-byte nonce (for test vectors; never reuse a nonce).
    public func encrypt(
        _ payload: [UInt8],
        version: UInt8,
        additionalData: [UInt8],
        nonce: [UInt8]
    ) throws -> [UInt8] {
        guard version <= 1 else { throw GossipKeyringError.unsupportedVersion(version) }
        guard nonce.count == Self.nonceSize else {
            throw GossipKeyringError.cryptoFailure("nonce must be 12 bytes")
        }
        var plaintext = payload
        if version == 0 {
            let more = Self.blockSize - (payload.count % Self.blockSize)
            plaintext.append(contentsOf: repeatElement(UInt8(more), count: more))
        }
        do {
            let box = try AES.GCM.seal(
                plaintext,
                using: SymmetricKey(data: primaryKey),
                nonce: AES.GCM.Nonce(data: nonce),
                authenticating: additionalData
            )
            var out = [UInt8]()
            out.reserveCapacity(Self.encryptedLength(version: version, plaintextLength: payload.count))
            out.append(version)
            out.append(contentsOf: nonce)
            out.append(contentsOf: box.ciphertext)
            out.append(contentsOf: box.tag)
            return out
        } catch {
            throw GossipKeyringError.cryptoFailure(String(describing: error))
        }
    }

    /// Decrypts like `decryptPayload`: checks the version and length, then tries every
    /// installed key, primary first. Throws on a wrong key, tampering or truncation.
    public func decrypt(_ message: [UInt8], additionalData: [UInt8] = []) throws -> [UInt8] {
        try message.withUnsafeBytes { try decrypt(raw: $0, additionalData: additionalData) }
    }

    /// Zero-copy variant of ``decrypt(_:additionalData:)``.
    public func decrypt(raw message: UnsafeRawBufferPointer, additionalData: [UInt8] = []) throws -> [UInt8] {
        guard let version = message.first else { throw GossipDecryptError.empty }
        guard version <= 1 else { throw GossipDecryptError.unsupportedVersion(version) }
        guard message.count >= Self.encryptedLength(version: version, plaintextLength: 0) else {
            throw GossipDecryptError.tooShort(message.count)
        }
        let nonceStart = Self.versionSize
        let cipherStart = nonceStart + Self.nonceSize
        let tagStart = message.count - Self.tagSize
        let nonceBytes = UnsafeRawBufferPointer(rebasing: message[nonceStart..<cipherStart])
        let ciphertext = UnsafeRawBufferPointer(rebasing: message[cipherStart..<tagStart])
        let tag = UnsafeRawBufferPointer(rebasing: message[tagStart...])
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonceBytes), ciphertext: ciphertext, tag: tag)
        } catch {
            throw GossipDecryptError.tooShort(message.count)
        }
        for key in keys {
            guard let plain = try? AES.GCM.open(box, using: SymmetricKey(data: key), authenticating: additionalData)
            else { continue }
            var bytes = [UInt8](plain)
            if version == 0 {
                guard let pad = bytes.last, pad >= 1, Int(pad) <= Self.blockSize, Int(pad) <= bytes.count,
                      bytes.suffix(Int(pad)).allSatisfy({ $0 == pad })
                else { throw GossipDecryptError.badPadding }
                bytes.removeLast(Int(pad))
            }
            return bytes
        }
        throw GossipDecryptError.noKeyCouldDecrypt
    }

    // MARK: - Streams

    /// Encrypts a whole stream message as `encryptLocalState` does:
    /// `[0x0A][len u32 BE][encrypted payload]`, the 5 header bytes being the additional data.
    public func encryptStream(_ payload: [UInt8], version: UInt8 = GossipKeyring.defaultVersion) throws -> [UInt8] {
        let length = Self.encryptedLength(version: version, plaintextLength: payload.count)
        guard length <= Int(UInt32.max) else { throw GossipKeyringError.cryptoFailure("stream message too large") }
        let header = Self.streamHeader(length: length)
        return try header + encrypt(payload, version: version, additionalData: header)
    }

    /// Decrypts a complete stream frame produced by ``encryptStream(_:version:)``
    /// (or serf): checks the type byte and length, then decrypts with the header as AAD.
    public func decryptStream(_ frame: [UInt8]) throws -> [UInt8] {
        try frame.withUnsafeBytes { try decryptStream(raw: $0) }
    }

    /// Zero-copy variant of ``decryptStream(_:)``.
    public func decryptStream(raw frame: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let first = frame.first else { throw GossipDecryptError.empty }
        guard first == Self.encryptMsgType else { throw GossipDecryptError.notEncryptedStream(first) }
        guard frame.count >= 5 else { throw GossipDecryptError.tooShort(frame.count) }
        let declared = Int(frame[1]) << 24 | Int(frame[2]) << 16 | Int(frame[3]) << 8 | Int(frame[4])
        guard declared == frame.count - 5 else {
            throw GossipDecryptError.lengthMismatch(declared: declared, actual: frame.count - 5)
        }
        return try decrypt(raw: UnsafeRawBufferPointer(rebasing: frame[5...]), additionalData: Array(frame[0..<5]))
    }

    static func streamHeader(length: Int) -> [UInt8] {
        [
            encryptMsgType,
            UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
    }

    // MARK: - Files

    /// Parses serf's keyring file format: a JSON array of base64 keys, the first being the
    /// primary (serf's `loadKeyringFile`).
    public init(serfKeyringJSON data: [UInt8]) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(data))
        } catch {
            throw GossipKeyringError.fileFormat("keyring file is not JSON: \(error)")
        }
        guard let strings = parsed as? [String] else {
            throw GossipKeyringError.fileFormat("keyring file must be a JSON array of base64 strings")
        }
        guard let first = strings.first else { throw GossipKeyringError.noKeys }
        try self.init(base64PrimaryKey: first, base64SecondaryKeys: Array(strings.dropFirst()))
    }

    /// Parses one base64 key per line (first = primary); blank lines and `#` comments are skipped.
    public init(keyLines text: String) throws {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard let first = lines.first else { throw GossipKeyringError.noKeys }
        try self.init(base64PrimaryKey: first, base64SecondaryKeys: Array(lines.dropFirst()))
    }

    /// Loads a serf keyring file (JSON array of base64 keys).
    public static func load(serfKeyringFile path: String) throws -> GossipKeyring {
        try GossipKeyring(serfKeyringJSON: readFile(path))
    }

    /// Loads a file holding one base64 key per line (first = primary).
    public static func load(keyLinesFile path: String) throws -> GossipKeyring {
        let bytes = try readFile(path)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw GossipKeyringError.fileFormat("\(path) is not UTF-8")
        }
        return try GossipKeyring(keyLines: text)
    }

    /// Loads either format: a file whose first non-blank character is `[` is read as serf
    /// JSON, anything else as one key per line.
    public static func load(file path: String) throws -> GossipKeyring {
        let bytes = try readFile(path)
        if bytes.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) == UInt8(ascii: "[") {
            return try GossipKeyring(serfKeyringJSON: bytes)
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw GossipKeyringError.fileFormat("\(path) is not UTF-8")
        }
        return try GossipKeyring(keyLines: text)
    }

    /// serf's keyring file contents for this keyring (JSON array, primary first).
    public func serfKeyringJSON() -> String {
        "[" + base64Keys.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GossipKeyringError.fileFormat("cannot read \(path)")
        }
        return [UInt8](data)
    }
}

extension GossipKeyring: CustomStringConvertible {
    /// Never prints key material.
    public var description: String { "GossipKeyring(\(keys.count) key(s))" }
}
