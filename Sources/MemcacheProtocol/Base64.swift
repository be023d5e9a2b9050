/// Standard base64 (RFC 4648, with padding) for meta-protocol keys sent with the `b` flag.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    @inline(__always)
    private static func sextet(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5a: return c - 0x41
        case 0x61...0x7a: return c - 0x61 + 26
        case 0x30...0x39: return c - 0x30 + 52
        case 0x2b: return 62
        case 0x2f: return 63
        default: return nil
        }
    }

    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8]? {
        let n = end - start
        guard n > 0, n % 4 == 0 else { return nil }
        var pad = 0
        if p[end - 1] == 0x3d { pad += 1 }
        if p[end - 2] == 0x3d { pad += 1 }
        var out: [UInt8] = []
        out.reserveCapacity(n / 4 * 3)
        var i = start
        while i < end {
            let last = i + 4 == end
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = p[i + k]
                if last && c == 0x3d && k >= 4 - pad {
                    v <<= 6
                } else {
                    guard let s = sextet(c) else { return nil }
                    v = v << 6 | UInt32(s)
                }
            }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            if !(last && pad == 2) { out.append(UInt8(truncatingIfNeeded: v >> 8)) }
            if !(last && pad >= 1) { out.append(UInt8(truncatingIfNeeded: v)) }
            i += 4
        }
        return out
    }

    static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(0x3d); out.append(0x3d)
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(v >> 18)]); out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)]); out.append(0x3d)
        }
    }
}
