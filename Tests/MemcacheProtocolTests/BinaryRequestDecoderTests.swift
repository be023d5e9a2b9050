import Testing
@testable import MemcacheProtocol

@Suite struct BinaryRequestDecoderTests {
    let flagsExp = be32(0xdead_beef) + be32(3600)

    // MARK: Opcodes

    @Test func retrievalOpcodes() {
        let k = b("key")
        for op: UInt8 in [0x00, 0x09, 0x0c, 0x0d] {
            let opcode = BinaryOpcode(rawValue: op)
            #expect(binaryEvents(frame(op, key: k, opaque: 0x0102_0304))
                == [breq(.get(keys: [k], withCAS: true), opcode, opaque: 0x0102_0304)], "\(opcode)")
        }
        for op: UInt8 in [0x1d, 0x1e, 0x23, 0x24] {
            let opcode = BinaryOpcode(rawValue: op)
            #expect(binaryEvents(frame(op, key: k, extras: be32(90), opaque: 7))
                == [breq(.getAndTouch(keys: [k], exptime: 90, withCAS: true), opcode, opaque: 7)], "\(opcode)")
        }
        // memcached reads binary expirations unsigned: 0xffffffff is a Unix time in 2106, not "expired".
        #expect(binaryEvents(frame(0x1c, key: k, extras: be32(0xffff_ffff)))
            == [breq(.touch(key: k, exptime: 4_294_967_295), .touch)])
    }

    @Test func storageOpcodes() {
        let k = b("k"), v = b("value")
        let modes: [(UInt8, StoreMode)] = [(0x01, .set), (0x11, .set), (0x02, .add), (0x12, .add), (0x03, .replace), (0x13, .replace)]
        for (op, mode) in modes {
            #expect(binaryEvents(frame(op, key: k, extras: flagsExp, value: v, opaque: 9))
                == [breq(.store(mode, key: k, flags: 0xdead_beef, exptime: 3600, value: v, cas: 0), BinaryOpcode(rawValue: op), opaque: 9)])
            // A non-zero CAS makes any of them a compare-and-swap, as in memcached.
            #expect(binaryEvents(frame(op, key: k, extras: flagsExp, value: v, cas: 42))
                == [breq(.store(.cas, key: k, flags: 0xdead_beef, exptime: 3600, value: v, cas: 42), BinaryOpcode(rawValue: op))])
        }
        for (op, mode) in [(UInt8(0x0e), StoreMode.append), (0x19, .append), (0x0f, .prepend), (0x1a, .prepend)] {
            #expect(binaryEvents(frame(op, key: k, value: v, cas: 5))
                == [breq(.store(mode, key: k, flags: 0, exptime: 0, value: v, cas: 5), BinaryOpcode(rawValue: op))])
        }
        // An empty value is fine; expirations are unsigned, as memcached reads them.
        #expect(binaryEvents(frame(0x01, key: k, extras: be32(0) + be32(0xffff_fff6)))
            == [breq(.store(.set, key: k, flags: 0, exptime: 4_294_967_286, value: [], cas: 0), .set)])
    }

    @Test func deleteAndArithmeticOpcodes() {
        let k = b("counter")
        #expect(binaryEvents(frame(0x04, key: k)) == [breq(.delete(key: k, cas: 0), .delete)])
        #expect(binaryEvents(frame(0x14, key: k, cas: 99)) == [breq(.delete(key: k, cas: 99), .deleteq)])
        let extras = be64(5) + be64(100) + be32(60)
        for (op, arith) in [(UInt8(0x05), ArithmeticOperation.increment), (0x15, .increment), (0x06, .decrement), (0x16, .decrement)] {
            #expect(binaryEvents(frame(op, key: k, extras: extras))
                == [breq(.arithmetic(arith, key: k, delta: 5, initial: 100, exptime: 60), BinaryOpcode(rawValue: op))])
        }
        // Expiration 0xffffffff: do not create on a miss.
        #expect(binaryEvents(frame(0x05, key: k, extras: be64(.max) + be64(100) + be32(0xffff_ffff)))
            == [breq(.arithmetic(.increment, key: k, delta: .max, initial: nil, exptime: 0), .increment)])
    }

    @Test func adminOpcodes() {
        #expect(binaryEvents(frame(0x0a, opaque: 77)) == [breq(.noop, .noop, opaque: 77)])
        #expect(binaryEvents(frame(0x0b)) == [breq(.version, .version)])
        #expect(binaryEvents(frame(0x10)) == [breq(.stats(group: nil), .stat)])
        #expect(binaryEvents(frame(0x10, key: b("slabs"))) == [breq(.stats(group: b("slabs")), .stat)])
        #expect(binaryEvents(frame(0x07)) == [breq(.quit, .quit)])
        #expect(binaryEvents(frame(0x17)) == [breq(.quit, .quitq)])
        #expect(binaryEvents(frame(0x08)) == [breq(.flushAll(delay: 0), .flush)])
        #expect(binaryEvents(frame(0x18, extras: be32(30))) == [breq(.flushAll(delay: 30), .flushq)])
        #expect(binaryEvents(frame(0x1b, extras: be32(2))) == [breq(.verbosity(level: 2), .verbosity)])
    }

    // MARK: Errors

    @Test func badMagicClosesWithoutAnAnswer() {
        for magic: UInt8 in [0x81, 0x00, 0x47] {
            let input = frame(0x0a, magic: magic) + frame(0x0a)
            #expect(binaryEvents(input) == [.error(BinaryDecodeError(response: nil, closeConnection: true))])
        }
        var d = BinaryRequestDecoder()
        _ = d.decode(frame(0x0a, magic: 0x81))
        #expect(d.isClosed)
        #expect(d.decode(frame(0x0a)).isEmpty)
    }

    @Test func unknownOpcodeIsAnsweredAndItsBodySkipped() {
        let input = frame(0x30, key: b("k"), value: b("noop-looking bytes"), opaque: 5) + frame(0x0a, opaque: 6)
        #expect(binaryEvents(input) == [berror(.unknownCommand, 0x30, opaque: 5), breq(.noop, .noop, opaque: 6)])
        // The error body is memcached's text.
        guard case let .error(e) = binaryEvents(frame(0x42)).first, let r = e.response else { Issue.record("no error"); return }
        #expect(r.status.rawValue == 0x0081)
        #expect(r.value == b("Unknown command"))
        #expect(!e.closeConnection)
    }

    @Test func lengthsThatDoNotFitTheOpcodeAreInvalidArguments() {
        let k = b("k")
        let bad: [[UInt8]] = [
            frame(0x00),                                            // GET without a key
            frame(0x00, key: k, extras: be32(1)),                   // GET with extras
            frame(0x0c, key: k, value: b("v")),                     // GETK with a value
            frame(0x01, key: k, value: b("v")),                     // SET without extras
            frame(0x11, key: k, extras: be32(0), value: b("v")),    // SETQ with 4 bytes of extras
            frame(0x02, extras: flagsExp, value: b("v")),           // ADD without a key
            frame(0x0e, key: k, extras: flagsExp, value: b("v")),   // APPEND with extras
            frame(0x04, key: k, value: b("v")),                     // DELETE with a value
            frame(0x05, key: k, extras: be64(1)),                   // INCREMENT with 8 bytes of extras
            frame(0x06, extras: be64(1) + be64(0) + be32(0)),       // DECREMENT without a key
            frame(0x1c, key: k),                                    // TOUCH without an expiration
            frame(0x1d, key: k, extras: be64(0)),                   // GAT with 8 bytes of extras
            frame(0x0a, key: k),                                    // NOOP with a key
            frame(0x0b, value: b("1")),                             // VERSION with a value
            frame(0x07, extras: be32(0)),                           // QUIT with extras
            frame(0x08, extras: be64(0)),                           // FLUSH with 8 bytes of extras
            frame(0x1b),                                            // VERBOSITY without a level
            frame(0x10, value: b("x")),                             // STAT with a value
            frame(0x00, key: [UInt8](repeating: 0x6b, count: 251)), // key over 250 bytes
            frame(0x01, key: [UInt8](repeating: 0x6b, count: 251), extras: flagsExp, value: b("v")),
            Array(frame(0x00, key: b("abcdef"), bodyLength: 3).prefix(27)), // key longer than the body
        ]
        for f in bad {
            let op = f[1]
            #expect(binaryEvents(f + frame(0x0a, opaque: 1)) == [berror(.invalidArguments, op), breq(.noop, .noop, opaque: 1)],
                    "opcode \(op)")
        }
        #expect(binaryEvents(frame(0x00, key: [UInt8](repeating: 0x6b, count: 250))).count == 1)
    }

    @Test func oversizedValuesAreTooLargeAndSkippedWithoutBuffering() {
        let limits = MemcacheLimits(maxValueLength: 100)
        let k = b("k")
        let big = [UInt8](repeating: 1, count: 101)
        for op: UInt8 in [0x01, 0x11, 0x02, 0x03] {
            #expect(binaryEvents(frame(op, key: k, extras: flagsExp, value: big, opaque: 3) + frame(0x0a), limits: limits)
                == [berror(.valueTooLarge, op, opaque: 3), breq(.noop, .noop)])
        }
        #expect(binaryEvents(frame(0x0e, key: k, value: big) + frame(0x0a), limits: limits)
            == [berror(.valueTooLarge, 0x0e), breq(.noop, .noop)])
        #expect(binaryEvents(frame(0x01, key: k, extras: flagsExp, value: [UInt8](repeating: 1, count: 100)), limits: limits)
            == [breq(.store(.set, key: k, flags: 0xdead_beef, exptime: 3600, value: [UInt8](repeating: 1, count: 100), cas: 0), .set)])

        // A header announcing ~4 GiB: answered at once, then the bytes are counted, never held.
        var d = BinaryRequestDecoder(limits: limits)
        var events: [BinaryDecodeEvent] = []
        let header = Array(frame(0x01, key: k, extras: flagsExp, bodyLength: 0xffff_fff0).prefix(24))
        d.feed(header) { events.append($0) }
        #expect(events == [berror(.valueTooLarge, 0x01)])
        let chunk = [UInt8](repeating: 0x80, count: 4096)
        for _ in 0..<256 {
            d.feed(chunk) { events.append($0) }
            #expect(d.bufferedByteCount == 0)
        }
        #expect(events.count == 1)
        #expect(!d.isClosed)
    }

    @Test func aPendingBodyIsBoundedByTheLimits() {
        let limits = MemcacheLimits(maxValueLength: 1000)
        var d = BinaryRequestDecoder(limits: limits)
        var events: [BinaryDecodeEvent] = []
        let f = frame(0x01, key: [UInt8](repeating: 0x6b, count: 250), extras: flagsExp, value: [UInt8](repeating: 2, count: 1000))
        for i in stride(from: 0, to: f.count, by: 7) {
            d.feed(f[i..<min(f.count, i + 7)]) { events.append($0) }
            #expect(d.bufferedByteCount <= 24 + 20 + 250 + 1000)
        }
        #expect(events.count == 1)
        #expect(d.bufferedByteCount == 0)
        // A header announcing a 1 MiB value followed by 10 bytes reserves 16 KiB, not 1 MiB.
        var slow = BinaryRequestDecoder()
        _ = slow.decode(frame(0x01, key: b("k"), extras: flagsExp, bodyLength: 9 + 1_048_576) + [UInt8](repeating: 0, count: 10))
        #expect(slow.bufferedByteCount == 19)
        #expect(slow.bufferCapacity <= 16 * 1024 + 4096)
    }

    // MARK: Pipelining and fragmentation

    @Test func randomSplitsOfManyRandomFrames() {
        var rng = SplitMix64(seed: 7)
        var input: [UInt8] = []
        var expected: [BinaryDecodeEvent] = []
        for n in 0..<300 {
            let key = b("key\(n)")
            let opaque = UInt32(n)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:
                let value = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                input += frame(0x11, key: key, extras: be32(1) + be32(2), value: value, opaque: opaque)
                expected.append(breq(.store(.set, key: key, flags: 1, exptime: 2, value: value, cas: 0), .setq, opaque: opaque))
            case 1:
                input += frame(0x0d, key: key, opaque: opaque)
                expected.append(breq(.get(keys: [key], withCAS: true), .getkq, opaque: opaque))
            case 2:
                input += frame(0x0a, opaque: opaque)
                expected.append(breq(.noop, .noop, opaque: opaque))
            case 3:
                input += frame(0x55, key: key, value: b("zzz"), opaque: opaque)
                expected.append(berror(.unknownCommand, 0x55, opaque: opaque))
            default:
                input += frame(0x05, key: key, extras: be64(1) + be64(0) + be32(0), opaque: opaque)
                expected.append(breq(.arithmetic(.increment, key: key, delta: 1, initial: 0, exptime: 0), .increment, opaque: opaque))
            }
        }
        #expect(binaryEvents(input) == expected)
    }

    // MARK: What php-memcached (libmemcached, binary protocol) sends

    @Test func phpMemcachedSessionFrames() {
        let sid = b("abc")
        let key = b("memc.sess.key.") + sid                        // 17 bytes
        let lock = b("memc.sess.key.lock.") + sid                  // 22 bytes
        // GETK: magic, opcode 0x0c, key length 0x0011, no extras, raw data type, vbucket 0,
        // body length 0x11, opaque 0, cas 0, then the key.
        let getk: [UInt8] = [0x80, 0x0c, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + key
        // ADD of the lock: extras flags 0, expiration 30 (max_execution_time), value "1"; body 8+22+1.
        let add: [UInt8] = [0x80, 0x02, 0x00, 0x16, 0x08, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e] + lock + b("1")
        // SET of the session with its 1440 s lifetime; body 8+17+6.
        let set: [UInt8] = [0x80, 0x01, 0x00, 0x11, 0x08, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xa0] + key + b("a|i:1;")
        // The replica copy php-memcached sends as SETQ (opcode 0x11).
        var setq = set
        setq[1] = 0x11
        // TOUCH (lazy_write): extras = expiration 1440; body 4+17.
        let touch: [UInt8] = [0x80, 0x1c, 0x00, 0x11, 0x04, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x05, 0xa0] + key
        // DELETE of the lock: key only.
        let delete: [UInt8] = [0x80, 0x04, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + lock
        // A libmemcached multi-get: GETKQ per key, then NOOP.
        let multiget = frame(0x0d, key: key) + frame(0x0d, key: lock) + frame(0x0a)
        let input = add + getk + set + setq + touch + delete + multiget
        #expect(binaryEvents(input) == [
            breq(.store(.add, key: lock, flags: 0, exptime: 30, value: b("1"), cas: 0), .add),
            breq(.get(keys: [key], withCAS: true), .getk),
            breq(.store(.set, key: key, flags: 0, exptime: 1440, value: b("a|i:1;"), cas: 0), .set),
            breq(.store(.set, key: key, flags: 0, exptime: 1440, value: b("a|i:1;"), cas: 0), .setq),
            breq(.touch(key: key, exptime: 1440), .touch),
            breq(.delete(key: lock, cas: 0), .delete),
            breq(.get(keys: [key], withCAS: true), .getkq),
            breq(.get(keys: [lock], withCAS: true), .getkq),
            breq(.noop, .noop),
        ])
    }
}
