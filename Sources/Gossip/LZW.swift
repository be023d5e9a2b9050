/// Go `compress/lzw` with LSB bit order and 8-bit literals (GIF-style), as memberlist's
/// `compressMsg` uses. The writer mirrors Go's writer code-for-code (initial Clear, width
/// growth at 512/1024/2048, Clear at code 4095, EOF at the end), so output is byte-identical.
public enum LZW {
    public enum Error: Swift.Error, Sendable, Equatable {
        case invalidCode
        case unexpectedEOF
        case outputTooLarge(limit: Int)
    }

    static let clear: UInt32 = 256
    static let eof: UInt32 = 257
    static let maxCode: UInt32 = 4095

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 2 + 8)
        var bits: UInt32 = 0
        var nBits: UInt32 = 0
        var width: UInt32 = 9
        var hi: UInt32 = eof
        var overflow: UInt32 = 512
        // Dictionary: key = code << 8 | literal -> code. Open addressing like Go.
        let tableSize = 1 << 14
        let tableMask = UInt32(tableSize - 1)
        var table = [UInt32](repeating: UInt32.max, count: tableSize)

        func write(_ c: UInt32) {
            bits |= c << nBits
            nBits += width
            while nBits >= 8 {
                out.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
                nBits -= 8
            }
        }
        // returns true if out of codes (table reset)
        func incHi() -> Bool {
            hi += 1
            if hi == overflow {
                width += 1
                overflow <<= 1
            }
            if hi == maxCode {
                write(clear)
                width = 9
                hi = clear + 1
                overflow = clear << 1
                for i in 0..<tableSize { table[i] = UInt32.max }
                return true
            }
            return false
        }

        guard let first = input.first else {
            write(clear)
            write(eof)
            if nBits > 0 { out.append(UInt8(truncatingIfNeeded: bits)) }
            return out
        }
        write(clear)
        var code = UInt32(first)
        var i = 1
        outer: while i < input.count {
            let literal = UInt32(input[i])
            i += 1
            let key = code << 8 | literal
            var hash = (key >> 12 ^ key) & tableMask
            var h = hash
            var t = table[Int(h)]
            while t != UInt32.max {
                if key == t >> 12 {
                    code = t & maxCode
                    continue outer
                }
                h = (h + 1) & tableMask
                t = table[Int(h)]
            }
            write(code)
            code = literal
            if incHi() { continue }
            while true {
                if table[Int(hash)] == UInt32.max {
                    table[Int(hash)] = (key << 12) | hi
                    break
                }
                hash = (hash + 1) & tableMask
            }
        }
        write(code)
        _ = incHi()
        write(eof)
        if nBits > 0 { out.append(UInt8(truncatingIfNeeded: bits)) }
        return out
    }

    /// Decompresses, failing (not trapping) on bad codes, truncation or more than `maxOutput` bytes.
    public static func decompress<C: Collection>(_ input: C, maxOutput: Int) throws(LZW.Error) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        var prefix = [UInt16](repeating: 0, count: 4096)
        var suffix = [UInt8](repeating: 0, count: 4096)
        var scratch = [UInt8](repeating: 0, count: 4096)
        var width: UInt32 = 9
        var hi: UInt32 = eof
        var overflow: UInt32 = 512
        let invalid: UInt32 = 0xffff
        var last: UInt32 = invalid
        var bits: UInt32 = 0
        var nBits: UInt32 = 0
        var it = input.makeIterator()
        while true {
            while nBits < width {
                guard let b = it.next() else { throw .unexpectedEOF }
                bits |= UInt32(b) << nBits
                nBits += 8
            }
            let code = bits & ((1 << width) - 1)
            bits >>= width
            nBits -= width
            if code < clear {
                guard out.count < maxOutput else { throw .outputTooLarge(limit: maxOutput) }
                out.append(UInt8(code))
                if last != invalid {
                    suffix[Int(hi)] = UInt8(code)
                    prefix[Int(hi)] = UInt16(last)
                }
            } else if code == clear {
                width = 9
                hi = eof
                overflow = 512
                last = invalid
                continue
            } else if code == eof {
                return out
            } else if code <= hi {
                var c = code
                var i = 4095
                if code == hi {
                    guard last != invalid else { throw .invalidCode }
                    c = last
                    while c >= clear { c = UInt32(prefix[Int(c)]) }
                    scratch[i] = UInt8(c)
                    i -= 1
                    c = last
                }
                while c >= clear {
                    guard i > 0 else { throw .invalidCode }
                    scratch[i] = suffix[Int(c)]
                    i -= 1
                    c = UInt32(prefix[Int(c)])
                }
                scratch[i] = UInt8(c)
                let n = 4096 - i
                guard out.count + n <= maxOutput else { throw .outputTooLarge(limit: maxOutput) }
                out.append(contentsOf: scratch[i..<4096])
                if last != invalid {
                    suffix[Int(hi)] = UInt8(c)
                    prefix[Int(hi)] = UInt16(last)
                }
            } else {
                throw .invalidCode
            }
            last = code
            hi += 1
            if hi >= overflow {
                if width == 12 {
                    last = invalid
                    hi -= 1
                } else {
                    width += 1
                    overflow = 1 << width
                }
            }
        }
    }
}
