import Testing
@testable import MemcacheProtocol

@Suite struct RetrievalResponseDecoderTests {
    typealias Event = RetrievalResponseDecoder.Event

    func decode(_ chunks: [ArraySlice<UInt8>], maxValue: Int = 1 << 20, maxLine: Int = 2048) -> [Event] {
        var decoder = RetrievalResponseDecoder(maxLineLength: maxLine, maxValueLength: maxValue)
        var events = [Event]()
        for chunk in chunks { chunk.withUnsafeBytes { decoder.feed($0) { events.append($0) } } }
        return events
    }

    func decode(_ bytes: [UInt8], maxValue: Int = 1 << 20, maxLine: Int = 2048) -> [Event] {
        decode([bytes[...]], maxValue: maxValue, maxLine: maxLine)
    }

    @Test func getsRequestLine() {
        var out = [UInt8]()
        RetrievalResponseDecoder.getsRequest(["a", "sm:bb"], into: &out)
        #expect(out == b("gets a sm:bb\r\n"))
    }

    @Test func itemsAndEndInOrderWhicheverWayTheBytesAreCut() {
        let value = (0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 7) }  // binary, with \r and \n inside
        let wire = b("VALUE k1 0 3 17\r\nabc\r\nVALUE k2 4294967295 \(value.count) 18446744073709551615\r\n") + value
            + b("\r\nEND\r\nEND\r\nVALUE k3 0 0 5\r\n\r\nEND\r\n")
        let expected: [Event] = [
            .value(key: "k1", flags: 0, cas: 17, data: b("abc")),
            .value(key: "k2", flags: .max, cas: .max, data: value),
            .end, .end,
            .value(key: "k3", flags: 0, cas: 5, data: []),
            .end,
        ]
        #expect(decode(wire) == expected)
        for seed in 0..<50 as Range<UInt64> {
            #expect(decode(randomChunks(wire, seed: seed)) == expected, "seed \(seed)")
        }
        // One byte at a time.
        #expect(decode(wire.map { [$0][...] }) == expected)
    }

    @Test func aValueWithoutCASIsCASZero() {
        #expect(decode(b("VALUE k 1 2\r\nxy\r\nEND\r\n")) == [.value(key: "k", flags: 1, cas: 0, data: b("xy")), .end])
    }

    @Test(arguments: [
        "ERROR\r\n",
        "SERVER_ERROR out of memory\r\n",
        "CLIENT_ERROR bad command line format\r\n",
        "VALUE k\r\n",
        "VALUE k x 3 1\r\nabc\r\n",
        "VALUE k 0 -1 1\r\n",
        "VALUE k 0 3 1 2\r\nabc\r\n",
        "VALUE k 4294967296 3 1\r\nabc\r\n",
        "VALUE k 0 3 1\r\nabcd\r\n",
        "HELLO\r\n",
    ])
    func anythingElseLosesTheFramingAndEndsTheDecoding(_ text: String) {
        let events = decode(b(text) + b("VALUE k 0 1 1\r\na\r\nEND\r\n"))
        #expect(events.count == 1)
        guard case .failure = events.first else {
            Issue.record("expected a failure, got \(events)")
            return
        }
    }

    @Test func memoryStaysBounded() {
        // A value above the bound is refused at its header, before any of it is buffered.
        var decoder = RetrievalResponseDecoder(maxLineLength: 64, maxValueLength: 1000)
        var events = [Event]()
        b("VALUE k 0 1001 1\r\n").withUnsafeBytes { decoder.feed($0) { events.append($0) } }
        #expect(events.count == 1 && decoder.hasFailed)
        // An endless line fails once it passes the line bound, however it arrives.
        events.removeAll()
        var lines = RetrievalResponseDecoder(maxLineLength: 64, maxValueLength: 1000)
        for _ in 0..<100 { b("VALUE").withUnsafeBytes { lines.feed($0) { events.append($0) } } }
        #expect(events.count == 1 && lines.hasFailed)
        // A value at the bound is fine.
        #expect(decode(b("VALUE k 0 1000 1\r\n") + [UInt8](repeating: 1, count: 1000) + b("\r\nEND\r\n"), maxValue: 1000).count == 2)
    }
}
