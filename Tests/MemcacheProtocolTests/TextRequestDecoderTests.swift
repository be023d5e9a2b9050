import Testing
@testable import MemcacheProtocol

@Suite struct TextRequestDecoderTests {
    // MARK: Commands

    @Test func retrievalCommands() {
        #expect(textEvents(b("get a\r\n")) == [req(.get(keys: [b("a")], withCAS: false))])
        #expect(textEvents(b("get a bb  ccc\r\n")) == [req(.get(keys: [b("a"), b("bb"), b("ccc")], withCAS: false))])
        #expect(textEvents(b("gets k1 k2\r\n")) == [req(.get(keys: [b("k1"), b("k2")], withCAS: true))])
        #expect(textEvents(b("gat 300 k1 k2\r\n")) == [req(.getAndTouch(keys: [b("k1"), b("k2")], exptime: 300, withCAS: false))])
        #expect(textEvents(b("gats -1 k\r\n")) == [req(.getAndTouch(keys: [b("k")], exptime: -1, withCAS: true))])
        // A bare "\n" ends a line too, as in memcached.
        #expect(textEvents(b("get a\n")) == [req(.get(keys: [b("a")], withCAS: false))])
    }

    @Test func storageCommands() {
        #expect(textEvents(b("set k 5 100 3\r\nabc\r\n"))
            == [req(.store(.set, key: b("k"), flags: 5, exptime: 100, value: b("abc"), cas: 0))])
        #expect(textEvents(b("add k 0 0 0\r\n\r\n"))
            == [req(.store(.add, key: b("k"), flags: 0, exptime: 0, value: [], cas: 0))])
        #expect(textEvents(b("replace k 4294967295 -1 2 noreply\r\nxy\r\n"))
            == [req(.store(.replace, key: b("k"), flags: 4_294_967_295, exptime: -1, value: b("xy"), cas: 0), noreply: true)])
        #expect(textEvents(b("append k 0 0 1\r\nz\r\n"))
            == [req(.store(.append, key: b("k"), flags: 0, exptime: 0, value: b("z"), cas: 0))])
        #expect(textEvents(b("prepend k 0 0 1 noreply\r\nz\r\n"))
            == [req(.store(.prepend, key: b("k"), flags: 0, exptime: 0, value: b("z"), cas: 0), noreply: true)])
        #expect(textEvents(b("cas k 1 2 3 18446744073709551615\r\nabc\r\n"))
            == [req(.store(.cas, key: b("k"), flags: 1, exptime: 2, value: b("abc"), cas: .max))])
        #expect(textEvents(b("cas k 1 2 3 77 noreply\r\nabc\r\n"))
            == [req(.store(.cas, key: b("k"), flags: 1, exptime: 2, value: b("abc"), cas: 77), noreply: true)])
        // The data block may hold any bytes, "\r\n" and command text included.
        let data: [UInt8] = b("x\r\ndelete victim\r\n") + [0, 0xff, 0x80]
        #expect(textEvents(b("set k 0 0 \(data.count)\r\n") + data + b("\r\n"))
            == [req(.store(.set, key: b("k"), flags: 0, exptime: 0, value: data, cas: 0))])
        // A token after <bytes> that is not "noreply" is ignored, as memcached does.
        #expect(textEvents(b("set k 0 0 1 junk\r\na\r\n"))
            == [req(.store(.set, key: b("k"), flags: 0, exptime: 0, value: b("a"), cas: 0))])
    }

    @Test func deleteTouchArithmetic() {
        #expect(textEvents(b("delete k\r\n")) == [req(.delete(key: b("k"), cas: 0))])
        #expect(textEvents(b("delete k noreply\r\n")) == [req(.delete(key: b("k"), cas: 0), noreply: true)])
        #expect(textEvents(b("delete k 0\r\n")) == [req(.delete(key: b("k"), cas: 0))])
        #expect(textEvents(b("delete k 0 noreply\r\n")) == [req(.delete(key: b("k"), cas: 0), noreply: true)])
        #expect(textEvents(b("touch k 10\r\n")) == [req(.touch(key: b("k"), exptime: 10))])
        #expect(textEvents(b("touch k 10 noreply\r\n")) == [req(.touch(key: b("k"), exptime: 10), noreply: true)])
        #expect(textEvents(b("incr k 1\r\n")) == [req(.arithmetic(.increment, key: b("k"), delta: 1, initial: nil, exptime: 0))])
        #expect(textEvents(b("decr k 18446744073709551615 noreply\r\n"))
            == [req(.arithmetic(.decrement, key: b("k"), delta: .max, initial: nil, exptime: 0), noreply: true)])
    }

    @Test func otherCommands() {
        #expect(textEvents(b("version\r\n")) == [req(.version)])
        #expect(textEvents(b("stats\r\n")) == [req(.stats(group: nil))])
        #expect(textEvents(b("stats items\r\n")) == [req(.stats(group: b("items")))])
        #expect(textEvents(b("stats detail dump\r\n")) == [req(.stats(group: b("detail dump")))])
        #expect(textEvents(b("quit\r\n")) == [req(.quit)])
        #expect(textEvents(b("verbosity 1\r\n")) == [req(.verbosity(level: 1))])
        #expect(textEvents(b("verbosity 0 noreply\r\n")) == [req(.verbosity(level: 0), noreply: true)])
        #expect(textEvents(b("flush_all\r\n")) == [req(.flushAll(delay: 0))])
        #expect(textEvents(b("flush_all 10\r\n")) == [req(.flushAll(delay: 10))])
        #expect(textEvents(b("flush_all noreply\r\n")) == [req(.flushAll(delay: 0), noreply: true)])
        #expect(textEvents(b("flush_all 0 noreply\r\n")) == [req(.flushAll(delay: 0), noreply: true)])
    }

    // MARK: Errors

    @Test func unknownAndMalformedCommandsAreERRORAndTheConnectionContinues() {
        let ok = req(.version)
        for line in ["bogus", "", "   ", "GET a", "get", "gets", "gat 10", "version x", "quit now", "touch k",
                     "incr k", "incr k 1 2 3", "delete", "delete a b c d", "verbosity", "flush_all 1 2 noreply",
                     "mn x", "ma", "me k"] {
            #expect(textEvents(b(line + "\r\nversion\r\n")) == [textError(.error), ok], "\(line)")
        }
    }

    @Test func clientErrorsKeepTheConnection() {
        let key251 = String(repeating: "k", count: 251)
        let key250 = String(repeating: "k", count: 250)
        let v = req(.version)
        let cases: [(String, TextDecodeEvent)] = [
            ("get \(key251)", textError(.clientError("bad command line format"))),
            ("get a \(key251)", textError(.clientError("bad command line format"))),
            ("gat x k", textError(.clientError("invalid exptime argument"))),
            ("gat 99999999999999999999 k", textError(.clientError("invalid exptime argument"))),
            ("touch k soon", textError(.clientError("invalid exptime argument"))),
            ("touch k soon noreply", textError(.clientError("invalid exptime argument"), noreply: true)),
            ("touch \(key251) 1", textError(.clientError("bad command line format"))),
            ("incr k -1", textError(.clientError("invalid numeric delta argument"))),
            ("incr k 18446744073709551616", textError(.clientError("invalid numeric delta argument"))),
            ("decr k x noreply", textError(.clientError("invalid numeric delta argument"), noreply: true)),
            ("incr \(key251) 1", textError(.clientError("bad command line format"))),
            ("delete k 1", textError(.clientError("bad command line format.  Usage: delete <key> [noreply]"))),
            ("delete k 0 later", textError(.clientError("bad command line format.  Usage: delete <key> [noreply]"))),
            ("delete \(key251)", textError(.clientError("bad command line format"))),
            ("verbosity loud", textError(.clientError("bad command line format"))),
            ("flush_all later", textError(.clientError("invalid exptime argument"))),
        ]
        for (line, expected) in cases {
            #expect(textEvents(b(line + "\r\nversion\r\n")) == [expected, v], "\(line)")
        }
        #expect(textEvents(b("get \(key250)\r\n")) == [req(.get(keys: [b(key250)], withCAS: false))])
    }

    @Test func storageErrorsWithAKnownLengthSwallowTheDataBlock() {
        let key251 = String(repeating: "k", count: 251)
        let v = req(.version)
        // The data block holds a command; it must be skipped, never run.
        let block = "delete x\r\n"
        let len = block.utf8.count
        for (line, expected) in [
            ("set \(key251) 0 0 \(len)", textError(.clientError("bad command line format"))),
            ("set k x 0 \(len)", textError(.clientError("bad command line format"))),
            ("set k -1 0 \(len)", textError(.clientError("bad command line format"))),
            ("set k 4294967296 0 \(len)", textError(.clientError("bad command line format"))),
            ("set k 0 soon \(len) noreply", textError(.clientError("bad command line format"), noreply: true)),
            ("cas k 0 0 \(len) abc", textError(.clientError("bad command line format"))),
            ("cas k 0 0 \(len) -5 noreply", textError(.clientError("bad command line format"), noreply: true)),
        ] {
            #expect(textEvents(b(line + "\r\n" + block + "\r\nversion\r\n")) == [expected, v], "\(line)")
        }
    }

    @Test func valueTooLargeIsSwallowedWithoutBufferingAndTheConnectionContinues() {
        let limits = MemcacheLimits(maxValueLength: 100)
        let big = [UInt8](repeating: 0x61, count: 1000)
        let input = b("set k 0 0 1000 noreply\r\n") + big + b("\r\nset k 0 0 100\r\n")
            + [UInt8](repeating: 0x62, count: 100) + b("\r\n")
        #expect(textEvents(input, limits: limits) == [
            textError(.serverError("object too large for cache"), noreply: true),
            req(.store(.set, key: b("k"), flags: 0, exptime: 0, value: [UInt8](repeating: 0x62, count: 100), cas: 0)),
        ])
        var d = TextRequestDecoder(limits: limits)
        var events: [TextDecodeEvent] = []
        d.feed(b("set k 0 0 1000\r\n")) { events.append($0) }
        for _ in 0..<100 {
            d.feed([UInt8](repeating: 0x61, count: 10)) { events.append($0) }
            #expect(d.bufferedByteCount == 0)
        }
        d.feed(b("\r\nget k\r\n")) { events.append($0) }
        #expect(events == [textError(.serverError("object too large for cache")), req(.get(keys: [b("k")], withCAS: false))])
    }

    @Test func storageLinesWithoutAUsableLengthClose() {
        for line in ["set k 0 0", "set k 0 0 -1", "set k 0 0 x", "set k 0 0 5 noreply extra", "cas k 0 0 5",
                     "set k 0 0 2147483647", "add", "prepend k 0 0 99999999999999999999"] {
            let events = textEvents(b(line + "\r\nabcde\r\nversion\r\n"))
            #expect(events.count == 1, "\(line)")
            guard case let .error(e) = events.first else { Issue.record("\(line): \(events)"); continue }
            #expect(e.response == .clientError("bad command line format"), "\(line)")
            #expect(e.closeConnection, "\(line)")
            #expect(e.shouldRespond, "\(line)")
        }
    }

    @Test func badDataChunkClosesAndIgnoresTheRest() {
        #expect(textEvents(b("set k 0 0 3\r\nabcd\r\nversion\r\n"))
            == [textError(.clientError("bad data chunk"), close: true)])
        #expect(textEvents(b("set k 0 0 3 noreply\r\nabc\n\nversion\r\n"))
            == [textError(.clientError("bad data chunk"), noreply: true, close: true)])
        var d = TextRequestDecoder()
        #expect(d.decode(b("set k 0 0 1\r\nab")).isEmpty)
        #expect(d.decode(b("c")) == [textError(.clientError("bad data chunk"), close: true)])
        #expect(d.isClosed)
        #expect(d.decode(b("version\r\n")).isEmpty)
        #expect(d.bufferedByteCount == 0)
    }

    // MARK: Pipelining and fragmentation

    @Test func pipelinedRequestsComeOutInOrderHoweverTheBytesAreSplit() {
        let input = b("set a 1 0 3\r\none\r\nget a b\r\ngets a\r\ndelete a noreply\r\nbogus\r\nincr n 5\r\n"
                      + "append a 0 0 4\r\nfour\r\ntouch a 60\r\nversion\r\nquit\r\n")
        #expect(textEvents(input) == [
            req(.store(.set, key: b("a"), flags: 1, exptime: 0, value: b("one"), cas: 0)),
            req(.get(keys: [b("a"), b("b")], withCAS: false)),
            req(.get(keys: [b("a")], withCAS: true)),
            req(.delete(key: b("a"), cas: 0), noreply: true),
            textError(.error),
            req(.arithmetic(.increment, key: b("n"), delta: 5, initial: nil, exptime: 0)),
            req(.store(.append, key: b("a"), flags: 0, exptime: 0, value: b("four"), cas: 0)),
            req(.touch(key: b("a"), exptime: 60)),
            req(.version),
            req(.quit),
        ])
    }

    @Test func randomSplitsOfManyRandomRequests() {
        var rng = SplitMix64(seed: 42)
        var input: [UInt8] = []
        var expected: [TextDecodeEvent] = []
        for n in 0..<300 {
            let key = b("key\(n)")
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let value = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                input += b("set ") + key + b(" 7 0 \(value.count)\r\n") + value + b("\r\n")
                expected.append(req(.store(.set, key: key, flags: 7, exptime: 0, value: value, cas: 0)))
            case 1:
                input += b("get ") + key + b(" x\r\n")
                expected.append(req(.get(keys: [key, b("x")], withCAS: false)))
            case 2:
                input += b("decr ") + key + b(" 3 noreply\r\n")
                expected.append(req(.arithmetic(.decrement, key: key, delta: 3, initial: nil, exptime: 0), noreply: true))
            default:
                input += b("nonsense ") + key + b("\r\n")
                expected.append(textError(.error))
            }
        }
        #expect(textEvents(input) == expected)
    }

    // MARK: Bounds

    @Test func anEndlessLineNeverBuffersMoreThanTheLimit() {
        var d = TextRequestDecoder()
        var events: [TextDecodeEvent] = []
        let chunk = [UInt8](repeating: 0x78, count: 100)
        for _ in 0..<1000 where !d.isClosed {
            d.feed(chunk) { events.append($0) }
            #expect(d.bufferedByteCount <= MemcacheLimits().maxLineLength + 1)
        }
        #expect(events == [textError(.clientError("line too long"), close: true)])
        #expect(d.isClosed)
        #expect(d.bufferedByteCount == 0)
        // Fed in one piece, the verdict is the same.
        #expect(textEvents([UInt8](repeating: 0x78, count: 5000)) == [textError(.clientError("line too long"), close: true)])
        #expect(textEvents([UInt8](repeating: 0x78, count: 2049) + b("\r\n")) == [textError(.clientError("line too long"), close: true)])
    }

    @Test func lineLimitBoundaryIsExact() {
        let limits = MemcacheLimits(maxLineLength: 20, maxRetrievalLineLength: 40)
        // "stats " + 14 bytes = 20 bytes: accepted; one more: too long.
        #expect(textEvents(b("stats abcdefghijklmn\r\n"), limits: limits) == [req(.stats(group: b("abcdefghijklmn")))])
        #expect(textEvents(b("stats abcdefghijklmno\r\n"), limits: limits) == [textError(.clientError("line too long"), close: true)])
        // Retrieval lines get the larger limit.
        let keys = "k1 k2 k3 k4 k5 k6 k7 k8 k9 k10"   // "get " + 30 = 34 bytes
        #expect(textEvents(b("get \(keys)\r\n"), limits: limits)
            == [req(.get(keys: keys.split(separator: " ").map { Array($0.utf8) }, withCAS: false))])
        #expect(textEvents(b("gets \(keys) k11 k12\r\n"), limits: limits) == [textError(.clientError("line too long"), close: true)])
        #expect(textEvents(b("getx \(keys)\r\n"), limits: limits) == [textError(.clientError("line too long"), close: true)])
    }

    @Test func reservedMemoryFollowsTheBytesThatArrive() {
        // Announcing 1 MiB and sending 10 bytes reserves 16 KiB, not 1 MiB.
        var d = TextRequestDecoder()
        _ = d.decode(b("set k 0 0 1048576\r\n0123456789"))
        #expect(d.bufferedByteCount == 10)
        #expect(d.bufferCapacity <= 16 * 1024 + 4096)
        // Once the block outgrows 16 KiB, one reservation covers it: never above the block plus slack.
        for _ in 0..<1023 { _ = d.decode([UInt8](repeating: 0x61, count: 1024)) }
        _ = d.decode([UInt8](repeating: 0x61, count: 1014))
        #expect(d.bufferedByteCount == 1_048_576)
        #expect(d.bufferCapacity <= 1_048_578 + 4096 + 64)
        #expect(d.decode(b("\r\n")).count == 1)
        // A line that arrives in pieces stays under the line limit.
        var l = TextRequestDecoder()
        _ = l.decode(b("get "))
        _ = l.decode([UInt8](repeating: 0x6b, count: 100_000) + b("\r\n"))
        #expect(l.isClosed && l.bufferCapacity == 0)
    }

    @Test func aPendingDataBlockIsBoundedByTheValueLimit() {
        let limits = MemcacheLimits(maxValueLength: 1000)
        var d = TextRequestDecoder(limits: limits)
        var events: [TextDecodeEvent] = []
        d.feed(b("set k 0 0 1000\r\n")) { events.append($0) }
        for _ in 0..<100 {
            d.feed([UInt8](repeating: 0x61, count: 10)) { events.append($0) }
            #expect(d.bufferedByteCount <= 1002)
        }
        d.feed(b("\r\n")) { events.append($0) }
        #expect(events == [req(.store(.set, key: b("k"), flags: 0, exptime: 0, value: [UInt8](repeating: 0x61, count: 1000), cas: 0))])
        #expect(d.bufferedByteCount == 0)
    }

    // MARK: What real clients send (session-handlers.md)

    @Test func sessionHandlersTextCommands() {
        let sid = "5f3c0e4b9d2a4c7e8b1f6a0d3e9c2b7a"
        let session = b("user_id|i:42;cart|a:0:{}")
        let input =
            // php-memcached (sess_binary_protocol=0): lock add, get, set, touch (lazy_write), delete lock, destroy.
            b("add memc.sess.key.lock.\(sid) 0 30 1\r\n1\r\n")
            + b("get memc.sess.key.\(sid)\r\n")
            + b("set memc.sess.key.\(sid) 0 1440 \(session.count)\r\n") + session + b("\r\n")
            + b("touch memc.sess.key.\(sid) 1440\r\n")
            + b("delete memc.sess.key.lock.\(sid)\r\n")
            + b("delete memc.sess.key.\(sid)\r\n")
            // libmemcached's memcached_exist (strict mode validate_sid): add with an empty value.
            + b("add memc.sess.key.\(sid) 0 2678400 0\r\n\r\n")
            // memcached-session-manager (spymemcached text): lock, validity, ping add, release.
            + b("add lock:\(sid)-n1 0 5 6\r\nlocked\r\n")
            + b("get validity:\(sid)-n1\r\n")
            + b("add \(sid)-n1 0 1 1\r\nx\r\n")
            // pymemcache (noreply by default outside Django), Django's cache session backend.
            + b("set django.contrib.sessions.cache\(sid) 0 1209600 3 noreply\r\nabc\r\n")
            + b("add django.contrib.sessions.cache\(sid) 0 1209600 3\r\nabc\r\n")
            + b("delete django.contrib.sessions.cache\(sid) noreply\r\n")
            + b("flush_all 0 noreply\r\n")
            // gomemcache reads with gets; Dalli 4 replaces an existing session.
            + b("gets s1 s2\r\n")
            + b("replace rack:session:\(sid) 0 0 3\r\nabc\r\n")
        #expect(textEvents(input) == [
            req(.store(.add, key: b("memc.sess.key.lock.\(sid)"), flags: 0, exptime: 30, value: b("1"), cas: 0)),
            req(.get(keys: [b("memc.sess.key.\(sid)")], withCAS: false)),
            req(.store(.set, key: b("memc.sess.key.\(sid)"), flags: 0, exptime: 1440, value: session, cas: 0)),
            req(.touch(key: b("memc.sess.key.\(sid)"), exptime: 1440)),
            req(.delete(key: b("memc.sess.key.lock.\(sid)"), cas: 0)),
            req(.delete(key: b("memc.sess.key.\(sid)"), cas: 0)),
            req(.store(.add, key: b("memc.sess.key.\(sid)"), flags: 0, exptime: 2_678_400, value: [], cas: 0)),
            req(.store(.add, key: b("lock:\(sid)-n1"), flags: 0, exptime: 5, value: b("locked"), cas: 0)),
            req(.get(keys: [b("validity:\(sid)-n1")], withCAS: false)),
            req(.store(.add, key: b("\(sid)-n1"), flags: 0, exptime: 1, value: b("x"), cas: 0)),
            req(.store(.set, key: b("django.contrib.sessions.cache\(sid)"), flags: 0, exptime: 1_209_600, value: b("abc"), cas: 0),
                noreply: true),
            req(.store(.add, key: b("django.contrib.sessions.cache\(sid)"), flags: 0, exptime: 1_209_600, value: b("abc"), cas: 0)),
            req(.delete(key: b("django.contrib.sessions.cache\(sid)"), cas: 0), noreply: true),
            req(.flushAll(delay: 0), noreply: true),
            req(.get(keys: [b("s1"), b("s2")], withCAS: true)),
            req(.store(.replace, key: b("rack:session:\(sid)"), flags: 0, exptime: 0, value: b("abc"), cas: 0)),
        ])
    }
}
