import Testing
@testable import MemcacheProtocol

@Suite struct TextResponseTests {
    @Test func everyResponseLine() {
        let cases: [(TextResponse, String)] = [
            (.value(key: b("k"), flags: 0, data: b("abc"), cas: nil), "VALUE k 0 3\r\nabc\r\n"),
            (.value(key: b("k"), flags: 4_294_967_295, data: [], cas: 18_446_744_073_709_551_615),
             "VALUE k 4294967295 0 18446744073709551615\r\n\r\n"),
            (.end, "END\r\n"), (.stored, "STORED\r\n"), (.notStored, "NOT_STORED\r\n"), (.exists, "EXISTS\r\n"),
            (.notFound, "NOT_FOUND\r\n"), (.deleted, "DELETED\r\n"), (.touched, "TOUCHED\r\n"), (.ok, "OK\r\n"),
            (.number(0), "0\r\n"), (.number(9), "9\r\n"), (.number(10), "10\r\n"),
            (.number(18_446_744_073_709_551_615), "18446744073709551615\r\n"),
            (.version("1.6.21-sessionmesh"), "VERSION 1.6.21-sessionmesh\r\n"),
            (.stat(name: "curr_connections", value: "3"), "STAT curr_connections 3\r\n"),
            (.error, "ERROR\r\n"),
            (.clientError("bad data chunk"), "CLIENT_ERROR bad data chunk\r\n"),
            (.serverError("no write quorum"), "SERVER_ERROR no write quorum\r\n"),
            (.flushAllNotAllowed, "CLIENT_ERROR flush_all not allowed\r\n"),
            // A reason can never end the line early and forge a second answer.
            (.serverError("a\r\nSTORED"), "SERVER_ERROR a  STORED\r\n"),
        ]
        for (response, wire) in cases {
            #expect(response.bytes == b(wire), "\(response)")
        }
    }

    @Test func binaryValueBytesAndAGetsAnswerInSequence() {
        var out: [UInt8] = []
        let data: [UInt8] = [0, 0x0d, 0x0a, 0xff]
        TextResponse.value(key: b("a"), flags: 1, data: data, cas: 5).encode(into: &out)
        TextResponseEncoder.appendValueHeader(key: b("b"), flags: 2, length: 1, cas: 6, to: &out)
        out += b("z\r\n")
        TextResponse.end.encode(into: &out)
        #expect(out == b("VALUE a 1 4 5\r\n") + data + b("\r\nVALUE b 2 1 6\r\nz\r\nEND\r\n"))
    }
}

@Suite struct BinaryResponseTests {
    let getk = BinaryRequestContext(opcode: .getk, opaque: 0x0a0b_0c0d)
    let get = BinaryRequestContext(opcode: .get, opaque: 1)

    @Test func hitWritesFlagsKeyValueCasAndOpaqueAsTheSpecLaysThemOut() {
        let r = BinaryResponse.hit(for: getk, key: b("k"), flags: 0x0102_0304, value: b("val"), cas: 0x1122_3344_5566_7788)
        #expect(r.bytes == [0x81, 0x0c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,   // magic, GETK, key len 1, extras 4, status 0
                            0x00, 0x00, 0x00, 0x08, 0x0a, 0x0b, 0x0c, 0x0d,   // body 4+1+3, opaque
                            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,   // cas
                            0x01, 0x02, 0x03, 0x04, 0x6b, 0x76, 0x61, 0x6c])  // flags, "k", "val"
        // GET (no K) leaves the key out.
        let plain = BinaryResponse.hit(for: get, key: b("k"), flags: 0, value: b("v"), cas: 1)
        #expect(plain.key.isEmpty)
        #expect(plain.bytes.count == 24 + 4 + 1)
        #expect(plain.bytes[1] == 0x00)
        #expect(BinaryResponse.hit(for: .init(opcode: .gatkq, opaque: 0), key: b("k"), flags: 0, value: [], cas: 0).key == b("k"))
    }

    @Test func missesAndErrors() {
        // GET miss: status 0x0001 with memcached's text; GETK miss: the key, no text.
        #expect(BinaryResponse.miss(for: get, key: b("k")).bytes
            == [0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01,
                0, 0, 0, 0, 0, 0, 0, 0] + b("Not found"))
        #expect(BinaryResponse.miss(for: getk, key: b("k")).bytes
            == [0x81, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
                0, 0, 0, 0, 0, 0, 0, 0] + b("k"))
        let statuses: [(BinaryStatus, UInt16)] = [
            (.success, 0x0000), (.keyNotFound, 0x0001), (.keyExists, 0x0002), (.valueTooLarge, 0x0003),
            (.invalidArguments, 0x0004), (.itemNotStored, 0x0005), (.nonNumericValue, 0x0006),
            (.authError, 0x0020), (.unknownCommand, 0x0081), (.outOfMemory, 0x0082), (.temporaryFailure, 0x0086),
        ]
        for (status, raw) in statuses where raw != 0 {
            let r = BinaryResponse.failure(status, for: BinaryRequestContext(opcode: .setq, opaque: 9))
            let bytes = r.bytes
            #expect(bytes[6] == UInt8(raw >> 8) && bytes[7] == UInt8(raw & 0xff), "\(status)")
            #expect(bytes[1] == 0x11 && Array(bytes[12..<16]) == [0, 0, 0, 9])
            #expect(Array(bytes[24...]) == b(status.defaultMessage))
            #expect(!status.defaultMessage.isEmpty)
        }
        #expect(BinaryResponse.failure(.temporaryFailure, for: get, message: "no write quorum").value == b("no write quorum"))
    }

    @Test func counterVersionStatsAndSuccess() {
        let incr = BinaryRequestContext(opcode: .increment, opaque: 2)
        #expect(BinaryResponse.counter(0x0102, cas: 7, for: incr).bytes
            == [0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0x01, 0x02])
        let ver = BinaryResponse.version("1.6.21", for: BinaryRequestContext(opcode: .version, opaque: 0))
        #expect(ver.bytes == [0x81, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + b("1.6.21"))
        let statCtx = BinaryRequestContext(opcode: .stat, opaque: 4)
        let s = BinaryResponse.stat(name: "pid", value: "12", for: statCtx).bytes
        #expect(Array(s[2..<4]) == [0, 3] && Array(s[8..<12]) == [0, 0, 0, 5] && Array(s[24...]) == b("pid12"))
        #expect(BinaryResponse.statsEnd(for: statCtx).bytes == [0x81, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        // TOUCH: flags as extras, the CAS, no value (as memcached).
        #expect(BinaryResponse.touched(for: BinaryRequestContext(opcode: .touch, opaque: 0), flags: 2, cas: 1).bytes
            == [0x81, 0x1c, 0, 0, 4, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        #expect(BinaryResponse.success(for: BinaryRequestContext(opcode: .set, opaque: 3), cas: 0xff).bytes
            == [0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0xff])
    }

    @Test func aResponseDecodesBackThroughTheHeaderReader() {
        let r = BinaryResponse.hit(for: getk, key: b("key"), flags: 9, value: b("value"), cas: 77)
        let bytes = r.bytes
        let h = bytes.withUnsafeBufferPointer { BinaryHeader.read($0, at: 0) }
        #expect(h == r.header)
        #expect(h.magic == 0x81 && h.keyLength == 3 && h.extrasLength == 4 && h.totalBodyLength == 12 && h.cas == 77)
    }
}

@Suite struct QuietRulesTests {
    @Test func binaryQuietRules() {
        // Quiet gets: silent on a miss only.
        for op in [BinaryOpcode.getq, .getkq, .gatq, .gatkq] {
            #expect(!MemcacheQuietRules.shouldRespond(opcode: op, status: .keyNotFound), "\(op)")
            #expect(MemcacheQuietRules.shouldRespond(opcode: op, status: .success), "\(op)")
            #expect(MemcacheQuietRules.shouldRespond(opcode: op, status: .temporaryFailure), "\(op)")
        }
        // Quiet mutations: silent on success only.
        for op in [BinaryOpcode.setq, .addq, .replaceq, .appendq, .prependq, .deleteq, .incrementq, .decrementq, .flushq] {
            #expect(!MemcacheQuietRules.shouldRespond(opcode: op, status: .success), "\(op)")
            for s in [BinaryStatus.keyNotFound, .keyExists, .itemNotStored, .nonNumericValue, .temporaryFailure] {
                #expect(MemcacheQuietRules.shouldRespond(opcode: op, status: s), "\(op) \(s)")
            }
        }
        #expect(!MemcacheQuietRules.shouldRespond(opcode: .quitq, status: .success))
        // Loud opcodes always answer, misses included.
        for op in [BinaryOpcode.get, .getk, .gat, .set, .add, .delete, .increment, .touch, .noop, .version, .stat, .quit, .flush] {
            #expect(MemcacheQuietRules.shouldRespond(opcode: op, status: .success), "\(op)")
            #expect(MemcacheQuietRules.shouldRespond(opcode: op, status: .keyNotFound), "\(op)")
        }
    }

    @Test func requestLevelRules() {
        var d = BinaryRequestDecoder()
        let events = d.decode(frame(0x0d, key: b("k")) + frame(0x11, key: b("k"), extras: be64(0)) + frame(0x17) + frame(0x07))
        let requests = events.compactMap { e -> MemcacheRequest? in if case let .request(r) = e { return r } else { return nil } }
        #expect(requests.count == 4)
        #expect(!requests[0].shouldRespond(status: .keyNotFound) && requests[0].shouldRespond(status: .success))
        #expect(!requests[1].shouldRespond(status: .success) && requests[1].shouldRespond(status: .itemNotStored))
        #expect(!requests[2].shouldRespond(status: .success) && requests[2].closesConnection)
        #expect(requests[3].shouldRespond(status: .success) && requests[3].closesConnection)

        var t = TextRequestDecoder()
        let text = t.decode(b("set k 0 0 1 noreply\r\nx\r\nget k\r\nquit\r\n"))
        let textRequests = text.compactMap { e -> MemcacheRequest? in if case let .request(r) = e { return r } else { return nil } }
        #expect(!textRequests[0].shouldRespondText && !textRequests[0].shouldRespond(status: .itemNotStored))
        #expect(textRequests[1].shouldRespondText && !textRequests[1].closesConnection)
        #expect(textRequests[2].closesConnection)
        // A noreply error is not answered, unless the connection closes after it.
        #expect(!TextDecodeError(.clientError("x"), noreply: true).shouldRespond)
        #expect(TextDecodeError(.clientError("x"), noreply: true, closeConnection: true).shouldRespond)
        #expect(TextDecodeError(.error).shouldRespond)
    }

    @Test func protocolDetection() {
        #expect(MemcacheWireProtocol.detect(firstByte: 0x80) == .binary)
        for byte: UInt8 in [0x81, 0x00, 0x67, 0x73, 0x20, 0xff] {
            #expect(MemcacheWireProtocol.detect(firstByte: byte) == .text, "\(byte)")
        }
    }
}

@Suite struct ConnectionDecoderTests {
    @Test func theFirstByteChoosesTheProtocolForTheWholeConnection() {
        var text = MemcacheRequestDecoder()
        #expect(text.wireProtocol == nil)
        #expect(text.decode([]).isEmpty && text.wireProtocol == nil)
        #expect(text.decode(b("get a\r\nbogus\r\n"))
            == [.request(MemcacheRequest(.get(keys: [b("a")], withCAS: false))), .textError(TextDecodeError(.error))])
        #expect(text.wireProtocol == .text)
        // A 0x80 later on a text connection is just a bad command.
        #expect(text.decode([0x80, 0x01, 0x00, 0x01] + b("\r\n")) == [.textError(TextDecodeError(.error))])

        var binary = MemcacheRequestDecoder()
        let events = binary.decode(frame(0x0a, opaque: 1) + frame(0x30))
        #expect(binary.wireProtocol == .binary)
        #expect(events == [.request(MemcacheRequest(.noop, binary: BinaryRequestContext(opcode: .noop, opaque: 1))),
                           .binaryError(BinaryDecodeError(response: .failure(.unknownCommand, opcode: BinaryOpcode(rawValue: 0x30), opaque: 0)))])
        // Text on a binary connection is a bad magic: close.
        #expect(binary.decode(b("get a\r\n") + [UInt8](repeating: 0, count: 20)) == [.binaryError(BinaryDecodeError(response: nil, closeConnection: true))])
        #expect(binary.isClosed)
    }

    @Test func fedByteByByteItMatchesTheProtocolDecoders() {
        let input = frame(0x01, key: b("k"), extras: be64(0), value: b("v")) + frame(0x0c, key: b("k"))
        var d = MemcacheRequestDecoder()
        var events: [MemcacheRequestDecoder.Event] = []
        for byte in input { d.feed([byte]) { events.append($0) } }
        let direct = binaryEvents(input).map { e -> MemcacheRequestDecoder.Event in
            switch e {
            case let .request(r): return .request(r)
            case let .error(x): return .binaryError(x)
            }
        }
        #expect(events == direct && events.count == 2)
    }
}
