import SimulationSupport
import Testing

@Suite struct FormatTests {
    @Test func fixedRoundsHalfAwayFromZeroAndPads() {
        #expect(Format.fixed(1.005, 1) == "1.0")
        #expect(Format.fixed(2.5, 0) == "3")
        #expect(Format.fixed(-2.5, 0) == "-3")
        #expect(Format.fixed(0.05, 3) == "0.050")
        #expect(Format.fixed(-0.0004, 3) == "0.000")
        #expect(Format.fixed(.nan, 2) == "nan")
        #expect(Format.fixed(-.infinity, 2) == "-inf")
    }

    @Test func sig3KeepsThreeSignificantDigits() {
        #expect(Format.sig3(0.61249) == "0.612")
        #expect(Format.sig3(8.614) == "8.61")
        #expect(Format.sig3(19) == "19.0")
        #expect(Format.sig3(123.4) == "123")
    }

    @Test func roundedPrintsTheShortestForm() {
        #expect(Format.rounded(0.2, 3) == "0.2")
        #expect(Format.rounded(9.6449, 3) == "9.645")
        #expect(Format.rounded(20, 3) == "20.0")
        #expect(Format.rounded(26.48249, 3) == "26.482")
    }

    @Test func trimmedAndPad() {
        #expect(Format.trimmed(1.5) == "1.5")
        #expect(Format.trimmed(2) == "2")
        #expect(Format.trimmed(0.125) == "0.125")
        #expect(Format.pad("ab", 4) == "ab  ")
        #expect(Format.pad("ab", 4, right: true) == "  ab")
        #expect(Format.pad("abcde", 4) == "abcde")
    }
}
