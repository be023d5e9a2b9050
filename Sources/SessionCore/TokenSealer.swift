@preconcurrency import Crypto
import Foundation

/// Sealed cookie tokens (the seed's cookie-based sharing): a user's state travels in the cookie,
/// sealed with AES-256-GCM under a key derived from the session keyring, so any sidecar with the
/// keyring opens it without a store round trip.
///
///     "T" | u8 version(=1) | u32 keyID | 16-byte token id | i64 issuedAt ms | i64 expiresAt ms
///     | 12-byte nonce | ciphertext | 16-byte tag          (big-endian, then base64url)
///
/// The 38-byte header is the associated data: the key id, the token id and both times are
/// authenticated with the data. Token keys are derived from each keyring key with HKDF-SHA256 and
/// their own label, so a token can never be opened as a stored record, nor the reverse. A token
/// sealed under an older key of the keyring still opens; new tokens use the primary.
public struct TokenSealer: Sendable {
    public static let maxTokenLength = 4096
    static let headerSize = 2 + 4 + 16 + 8 + 8
    static let overhead = headerSize + 12 + 16
    /// The largest data that fits in a token of `maxTokenLength` base64url characters.
    public static let maxDataBytes = maxTokenLength / 4 * 3 - overhead

    private let keys: [(id: UInt32, key: SymmetricKey)]

    public init(keyring: SessionKeyring) {
        keys = keyring.entries.map { entry in
            var info = Array("sessionmesh/cookie-token/v1".utf8)
            for shift in stride(from: 24, through: 0, by: -8) { info.append(UInt8(truncatingIfNeeded: entry.id >> UInt32(shift))) }
            let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: entry.key, info: info, outputByteCount: 32)
            return (entry.id, derived)
        }
    }

    /// What a token carries.
    public struct Contents: Equatable, Sendable {
        /// 128 random bits: the name its revocation is stored under.
        public var id: [UInt8]
        public var issuedAt: Int64
        public var expiresAt: Int64
        /// The UTF-8 bytes of a JSON object.
        public var data: [UInt8]

        public init(id: [UInt8], issuedAt: Int64, expiresAt: Int64, data: [UInt8]) {
            self.id = id
            self.issuedAt = issuedAt
            self.expiresAt = expiresAt
            self.data = data
        }

        /// The token id as the API shows it.
        public var idText: String { Base64URL.encode(id) }
    }

    public func seal(_ contents: Contents) throws(TokenError) -> String {
        guard contents.data.count <= Self.maxDataBytes else { throw .tooLarge(limit: Self.maxDataBytes) }
        precondition(contents.id.count == 16)
        let primary = keys[0]
        var header: [UInt8] = [0x54, 1]
        append(UInt64(primary.id), bytes: 4, to: &header)
        header += contents.id
        append(UInt64(bitPattern: contents.issuedAt), bytes: 8, to: &header)
        append(UInt64(bitPattern: contents.expiresAt), bytes: 8, to: &header)
        // AES.GCM.seal with a fresh random nonce fails only on invalid parameters, which are fixed here.
        let box = try! AES.GCM.seal(contents.data, using: primary.key, authenticating: header)
        return Base64URL.encode(header + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag))
    }

    /// Opens a token. Expiry is the caller's to check (it has the clock); revocation too (the store).
    public func open(_ token: String) throws(TokenError) -> Contents {
        guard token.utf8.count <= Self.maxTokenLength, let bytes = Base64URL.decode(token) else { throw .malformed }
        guard bytes.count >= Self.overhead, bytes[0] == 0x54, bytes[1] == 1 else { throw .malformed }
        let keyID = UInt32(read(bytes, at: 2, count: 4))
        guard let key = keys.first(where: { $0.id == keyID })?.key else { throw .unknownKey }
        let header = Array(bytes[0..<Self.headerSize])
        let data: Data
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: bytes[Self.headerSize..<(Self.headerSize + 12)]),
                                            ciphertext: bytes[(Self.headerSize + 12)..<(bytes.count - 16)],
                                            tag: bytes[(bytes.count - 16)...])
            data = try AES.GCM.open(box, using: key, authenticating: header)
        } catch {
            throw .tampered
        }
        return Contents(id: Array(bytes[6..<22]), issuedAt: Int64(bitPattern: read(bytes, at: 22, count: 8)),
                        expiresAt: Int64(bitPattern: read(bytes, at: 30, count: 8)), data: Array(data))
    }

    private func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in stride(from: bytes - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private func read(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// Why a token was refused. The API answers 401 with a code each (413/422 for issuing).
public enum TokenError: Error, Equatable, Sendable {
    /// Not base64url, too short, too long, or not a token at all.
    case malformed
    /// It does not authenticate: altered, truncated in the sealed part, or forged.
    case tampered
    /// Sealed under a key that is not in this sidecar's keyring (retired, or never known).
    case unknownKey
    case expired
    case revoked
    /// Issuing: the data would make the token longer than 4 KiB.
    case tooLarge(limit: Int)
}
