import Crypto
import Foundation

/// A session id: 256 bits from the system CSPRNG (getrandom on Linux), base64url without padding (43 chars).
/// It is meaningless by construction and never used as a memcached key (see `storageKey`).
public struct SessionID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let textLength = 43

    public let rawValue: String

    /// Parses an id received from a client. Rejects anything that is not exactly 43 base64url characters.
    public init?(_ input: some StringProtocol) {
        let text = String(input)
        guard text.utf8.count == Self.textLength, text.utf8.allSatisfy(Base64URL.isAlphabet) else { return nil }
        // The last character of 32 bytes in base64url carries only 4 bits: the low 2 bits must be zero.
        guard let last = text.utf8.last, let value = Base64URL.value(of: last), value & 0b11 == 0 else { return nil }
        self.rawValue = text
    }

    /// A fresh random id.
    public static func random() -> SessionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A fresh id from the given generator. Production passes `SystemRandomNumberGenerator`, a CSPRNG.
    public static func random(using generator: inout some RandomNumberGenerator) -> SessionID {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for i in stride(from: 0, to: byteCount, by: 8) {
            withUnsafeBytes(of: generator.next().littleEndian) { word in
                for j in 0..<8 { bytes[i + j] = word[j] }
            }
        }
        return SessionID(unchecked: Base64URL.encode(bytes))
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    /// The memcached key for this session: a hash of the id, never the id itself.
    /// SHA-256 suffices: the id has 256 bits of entropy, so the hash cannot be inverted by search.
    public var storageKey: String { RecordKey.derive(.session, rawValue.utf8) }

    public var description: String { rawValue }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded base64url; nil on any other character or an impossible length.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in chars {
            guard let v = value(of: c) else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (one canonical encoding per byte string).
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    static func isAlphabet(_ c: UInt8) -> Bool { value(of: c) != nil }

    static func value(of c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
