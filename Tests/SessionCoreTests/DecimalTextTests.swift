import Testing
@testable import SessionCore

@Suite struct DecimalTextTests {
    /// Every magnitude from 0 to Int64's limits, both signs, each padded to several widths:
    /// the same text as `String(value)` left-padded with zeros after the sign.
    @Test func matchesStringFormattingWithPadding() {
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 999, 1000, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        for value in values {
            for width in [1, 2, 3, 4, 20, 22] {
                var out: [UInt8] = [0x7B]  // appends after what is there
                DecimalText.append(value, minDigits: width, to: &out)
                let digits = String(value.magnitude)
                let expected = "{" + (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
                #expect(String(decoding: out, as: UTF8.self) == expected, "\(value) width \(width)")
            }
        }
    }

    @Test func zeroWithNoMinimumWritesNothing() {
        var out = [UInt8]()
        DecimalText.append(0, minDigits: 0, to: &out)
        #expect(out.isEmpty)
        DecimalText.append(0, to: &out)
        #expect(out == Array("0".utf8))
    }
}
