import Testing
@testable import MemcacheProtocol

@Suite struct MetaProtocolTests {
    func meta(_ c: MemcacheCommand, _ ctx: MetaRequestContext) -> TextDecodeEvent {
        .request(MemcacheRequest(c, noreply: ctx.quiet, meta: ctx))
    }

    @Test func metaCommandsDecodeOntoTheSharedCommands() {
        let k = b("sess")
        #expect(textEvents(b("mn\r\n")) == [meta(.noop, MetaRequestContext(kind: .noop))])
        #expect(textEvents(b("mg sess v f\r\n"))
            == [meta(.get(keys: [k], withCAS: false),
                     MetaRequestContext(kind: .get, key: k, returnFlags: [.clientFlags], returnValue: true))])
        #expect(textEvents(b("mg sess c k t s Oab12 q T30 u\r\n"))
            == [meta(.getAndTouch(keys: [k], exptime: 30, withCAS: true),
                     MetaRequestContext(kind: .get, key: k, returnFlags: [.cas, .key, .ttl, .size, .opaque(b("ab12"))], quiet: true))])
        #expect(textEvents(b("ms sess 3 T60 F5 c\r\nabc\r\n"))
            == [meta(.store(.set, key: k, flags: 5, exptime: 60, value: b("abc"), cas: 0),
                     MetaRequestContext(kind: .set, key: k, returnFlags: [.cas]))])
        let modes: [(String, StoreMode)] = [("ME", .add), ("MR", .replace), ("MA", .append), ("MP", .prepend), ("MS", .set), ("Me", .add)]
        for (flag, mode) in modes {
            #expect(textEvents(b("ms sess 1 \(flag) q\r\nx\r\n"))
                == [meta(.store(mode, key: k, flags: 0, exptime: 0, value: b("x"), cas: 0),
                         MetaRequestContext(kind: .set, key: k, quiet: true))], "\(flag)")
        }
        #expect(textEvents(b("ms sess 1 C99\r\nx\r\n"))
            == [meta(.store(.cas, key: k, flags: 0, exptime: 0, value: b("x"), cas: 99), MetaRequestContext(kind: .set, key: k))])
        #expect(textEvents(b("md sess q C7 k\r\n"))
            == [meta(.delete(key: k, cas: 7), MetaRequestContext(kind: .delete, key: k, returnFlags: [.key], quiet: true))])
        // b: the key is base64 ("sess" = "c2Vzcw=="); binary keys become possible.
        #expect(textEvents(b("mg c2Vzcw== b v k\r\n"))
            == [meta(.get(keys: [k], withCAS: false),
                     MetaRequestContext(kind: .get, key: k, returnFlags: [.base64, .key], returnValue: true))])
        #expect(textEvents(b("md AP8K b\r\n"))
            == [meta(.delete(key: [0x00, 0xff, 0x0a], cas: 0), MetaRequestContext(kind: .delete, key: [0x00, 0xff, 0x0a], returnFlags: [.base64]))])
    }

    @Test func metaErrors() {
        let v = req(.version)
        for (line, response) in [
            ("mg k x", TextResponse.clientError("invalid flag")),
            ("mg k Tsoon", .clientError("bad token in command line format")),
            ("md k v", .clientError("invalid or duplicate flag")),
            ("mg k v v", .clientError("duplicate flag")),
            ("md k q q", .clientError("invalid or duplicate flag")),
            ("ma k x", .clientError("invalid or duplicate flag")),
            ("ma k Dx", .clientError("invalid or duplicate flag")),
            ("ma k D", .clientError("invalid or duplicate flag")),
            ("ma k N0 N0", .clientError("invalid or duplicate flag")),
            ("ma k O1 O2", .clientError("invalid or duplicate flag")),
            ("ma !!!! b", .clientError("invalid or duplicate flag")),
            ("ma k Mx", .clientError("invalid mode for ma M token")),
            ("ma k Mi", .clientError("invalid mode for ma M token")),
            ("ma k J18446744073709551616 N0", .clientError("invalid or duplicate flag")),
            ("ma", .error),
            ("mg k O" + String(repeating: "o", count: 33), .clientError("opaque token too long")),
            ("mg !!!! b", .clientError("error decoding key")),
            ("mg abc b", .clientError("error decoding key")),
            ("mg " + String(repeating: "k", count: 251), .clientError("bad command line format")),
            ("mg", .clientError("bad command line format")),
            ("mn extra", .error),
        ] {
            #expect(textEvents(b(line + "\r\nversion\r\n")) == [.error(TextDecodeError(response)), v], "\(line)")
        }
        // ms errors with a known length swallow the block, q or not; without one, close.
        #expect(textEvents(b("ms k 3 MX q\r\nabc\r\nversion\r\n")) == [.error(TextDecodeError(.clientError("invalid mode for ms"))), v])
        #expect(textEvents(b("ms k 1 T1 T1\r\nx\r\nversion\r\n")) == [.error(TextDecodeError(.clientError("duplicate flag"))), v])
        #expect(textEvents(b("ms k 3 Fx\r\nabc\r\nversion\r\n"))
            == [.error(TextDecodeError(.clientError("bad token in command line format"))), v])
        #expect(textEvents(b("ms k 5000 T1\r\n") + [UInt8](repeating: 0x61, count: 5000) + b("\r\nversion\r\n"),
                           limits: MemcacheLimits(maxValueLength: 4096))
            == [.error(TextDecodeError(.serverError("object too large for cache"))), v])
        #expect(textEvents(b("ms k x\r\nabc\r\nversion\r\n")) == [.error(TextDecodeError(.clientError("bad command line format"), closeConnection: true))])
        #expect(textEvents(b("ms k\r\nabc\r\n")) == [.error(TextDecodeError(.clientError("bad command line format"), closeConnection: true))])
        #expect(textEvents(b("ms k 2 q\r\nabc\r\n")) == [.error(TextDecodeError(.clientError("bad data chunk"), noreply: true, closeConnection: true))])
    }

    /// `ma`, as memcached 1.6 reads it: D, M (I + D -), N with J, T, C, and the return flags.
    @Test func metaArithmeticDecodes() {
        let k = b("cnt")
        #expect(textEvents(b("ma cnt\r\n")) == [meta(.metaArithmetic(MetaArithmetic(key: k)), MetaRequestContext(kind: .arithmetic, key: k))])
        #expect(textEvents(b("ma cnt D5 MD N60 J10 T30 C7 c t v q O1 k\r\n"))
            == [meta(.metaArithmetic(MetaArithmetic(.decrement, key: k, delta: 5, initial: 10, vivifyExptime: 60, touchExptime: 30, cas: 7)),
                     MetaRequestContext(kind: .arithmetic, key: k, returnFlags: [.cas, .ttl, .opaque(b("1")), .key],
                                        returnValue: true, quiet: true))])
        for (mode, op) in [("I", ArithmeticOperation.increment), ("+", .increment), ("D", .decrement), ("-", .decrement)] {
            #expect(textEvents(b("ma cnt M\(mode)\r\n")) == [meta(.metaArithmetic(MetaArithmetic(op, key: k)),
                                                                   MetaRequestContext(kind: .arithmetic, key: k))], "\(mode)")
        }
        // h and l are read and left out of the answer (no access history is kept).
        #expect(textEvents(b("mg cnt v h l t\r\n"))
            == [meta(.get(keys: [k], withCAS: false), MetaRequestContext(kind: .get, key: k, returnFlags: [.ttl], returnValue: true))])
    }

    /// The lease flags: mg N and R, md I with T, ms I; and W, Z, X after the requested flags.
    @Test func metaLeaseFlags() {
        let k = b("k")
        #expect(textEvents(b("mg k N30 R10 v c\r\n"))
            == [meta(.get(keys: [k], withCAS: true),
                     MetaRequestContext(kind: .get, key: k, returnFlags: [.cas], returnValue: true,
                                        lease: MetaLeaseRequest(vivifyExptime: 30, recacheBelow: 10)))])
        #expect(textEvents(b("md k I T30\r\n"))
            == [meta(.delete(key: k, cas: 0), MetaRequestContext(kind: .delete, key: k, lease: MetaLeaseRequest(invalidate: true, staleExptime: 30)))])
        #expect(textEvents(b("ms k 1 I C5\r\nx\r\n"))
            == [meta(.store(.cas, key: k, flags: 0, exptime: 0, value: b("x"), cas: 5),
                     MetaRequestContext(kind: .set, key: k, lease: MetaLeaseRequest(invalidate: true)))])
        let v = req(.version)
        #expect(textEvents(b("mg k Rx\r\nversion\r\n")) == [.error(TextDecodeError(.clientError("bad token in command line format"))), v])
        #expect(textEvents(b("mg k E5\r\nversion\r\n")) == [.error(TextDecodeError(.clientError("invalid flag"))), v])
        let ctx = MetaRequestContext(kind: .get, key: k, returnFlags: [.cas], returnValue: true)
        #expect(MetaResponse.hit(value: b("v"), flags: 0, cas: 3, ttlSeconds: nil, lease: [.stale, .won]).bytes(for: ctx) == b("VA 1 c3 X W\r\nv\r\n"))
        #expect(MetaResponse.hit(value: b("v"), flags: 0, cas: 3, ttlSeconds: nil, lease: [.stale, .alreadyWon]).bytes(for: ctx) == b("VA 1 c3 Z X\r\nv\r\n"))
    }

    @Test func metaArithmeticAnswers() {
        let k = b("cnt")
        let full = MetaRequestContext(kind: .arithmetic, key: k, returnFlags: [.key, .opaque(b("12")), .cas, .ttl], returnValue: true)
        #expect(MetaResponse.counter(42, cas: 5, ttlSeconds: nil, created: false).bytes(for: full) == b("VA 2 kcnt O12 c5 t-1\r\n42\r\n"))
        #expect(MetaResponse.counter(0, cas: 1, ttlSeconds: 100, created: true)
            .bytes(for: MetaRequestContext(kind: .arithmetic, key: k, returnFlags: [.ttl])) == b("HD t100\r\n"))
        // q hides the answer for an existing counter, not for one N created (memcached 1.6 does the same).
        let quiet = MetaRequestContext(kind: .arithmetic, key: k, returnValue: true, quiet: true)
        #expect(!MetaResponse.counter(1, cas: 2, ttlSeconds: nil, created: false).shouldRespond(for: quiet))
        #expect(MetaResponse.counter(7, cas: 1, ttlSeconds: nil, created: true).shouldRespond(for: quiet))
        #expect(MetaResponse.notFound.shouldRespond(for: quiet) && MetaResponse.exists.shouldRespond(for: quiet))
    }

    @Test func metaResponses() {
        let k = b("sess")
        let full = MetaRequestContext(kind: .get, key: k, returnFlags: [.opaque(b("7")), .cas, .clientFlags, .key, .size, .ttl],
                                      returnValue: true)
        let hit = MetaResponse.hit(value: b("data"), flags: 3, cas: 42, ttlSeconds: nil)
        #expect(hit.bytes(for: full) == b("VA 4 O7 c42 f3 ksess s4 t-1\r\ndata\r\n"))
        #expect(MetaResponse.hit(value: b("data"), flags: 0, cas: 1, ttlSeconds: 30)
            .bytes(for: MetaRequestContext(kind: .get, key: k, returnFlags: [.ttl])) == b("HD t30\r\n"))
        #expect(MetaResponse.miss.bytes(for: full) == b("EN O7 ksess\r\n"))
        #expect(MetaResponse.miss.bytes(for: MetaRequestContext(kind: .get, key: k)) == b("EN\r\n"))
        #expect(MetaResponse.done(cas: 9).bytes(for: MetaRequestContext(kind: .set, key: k, returnFlags: [.cas])) == b("HD c9\r\n"))
        #expect(MetaResponse.notStored.bytes(for: MetaRequestContext(kind: .set, key: k)) == b("NS\r\n"))
        #expect(MetaResponse.exists.bytes(for: MetaRequestContext(kind: .delete, key: k)) == b("EX\r\n"))
        #expect(MetaResponse.notFound.bytes(for: MetaRequestContext(kind: .delete, key: k, returnFlags: [.key])) == b("NF ksess\r\n"))
        #expect(MetaResponse.noop.bytes(for: MetaRequestContext(kind: .noop)) == b("MN\r\n"))
        // A base64 key goes back base64, with the b flag.
        let bin = MetaRequestContext(kind: .get, key: [0x00, 0xff, 0x0a], returnFlags: [.base64, .key])
        #expect(MetaResponse.miss.bytes(for: bin) == b("EN kAP8K b\r\n"))
        for (key, encoded) in [([UInt8](), ""), (b("f"), "Zg=="), (b("fo"), "Zm8="), (b("foo"), "Zm9v"), (b("foobar"), "Zm9vYmFy")] {
            var out: [UInt8] = []
            Base64.append(key, to: &out)
            #expect(out == b(encoded))
            if !key.isEmpty { #expect(out.withUnsafeBufferPointer { Base64.decode($0, 0, $0.count) } == key) }
        }
    }

    @Test func metaQuietRules() {
        let qg = MetaRequestContext(kind: .get, quiet: true)
        let qs = MetaRequestContext(kind: .set, quiet: true)
        let qd = MetaRequestContext(kind: .delete, quiet: true)
        #expect(!MetaResponse.miss.shouldRespond(for: qg))
        #expect(MetaResponse.hit(value: [], flags: 0, cas: 0, ttlSeconds: nil).shouldRespond(for: qg))
        #expect(!MetaResponse.done(cas: 0).shouldRespond(for: qs) && !MetaResponse.done(cas: 0).shouldRespond(for: qd))
        for r in [MetaResponse.notStored, .exists, .notFound] {
            #expect(r.shouldRespond(for: qs) && r.shouldRespond(for: qd))
        }
        #expect(MetaResponse.miss.shouldRespond(for: MetaRequestContext(kind: .get)))
        #expect(MetaResponse.noop.shouldRespond(for: MetaRequestContext(kind: .noop)))
    }

    @Test func dalli5StyleSessionTraffic() {
        // Dalli 5 speaks meta only: a quiet multi-get ended by mn, a set with TTL and flags, a delete.
        let input = b("mg rack:session:a v f k q\r\nmg rack:session:b v f k q\r\nmn\r\n")
            + b("ms rack:session:a 5 c F0 T1800\r\nhello\r\n")
            + b("ms rack:session:b 2 ME F0 T1800\r\nhi\r\n")
            + b("md rack:session:a q\r\nmn\r\n")
        let events = textEvents(input)
        #expect(events.count == 7)
        let kinds = events.compactMap { e -> MetaRequestContext.Kind? in
            if case let .request(r) = e { return r.meta?.kind } else { return nil }
        }
        #expect(kinds == [.get, .get, .noop, .set, .set, .delete, .noop])
        #expect(events[4] == meta(.store(.add, key: b("rack:session:b"), flags: 0, exptime: 1800, value: b("hi"), cas: 0),
                                  MetaRequestContext(kind: .set, key: b("rack:session:b"))))
    }
}
