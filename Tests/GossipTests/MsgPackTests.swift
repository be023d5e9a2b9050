import Testing
@testable import Gossip
import SeededRandom

@Suite struct MsgPackTests {
    func enc(_ f: (inout MsgPackWriter) -> Void) -> [UInt8] {
        var w = MsgPackWriter()
        f(&w)
        return w.bytes
    }

    @Test func integersUseTheSmallestEncoding() {
        #expect(enc { $0.writeUInt(0) } == [0x00])
        #expect(enc { $0.writeUInt(127) } == [0x7f])
        #expect(enc { $0.writeUInt(128) } == [0xcc, 0x80])
        #expect(enc { $0.writeUInt(7947) } == [0xcd, 0x1f, 0x0b])
        #expect(enc { $0.writeUInt(70_000) } == [0xce, 0x00, 0x01, 0x11, 0x70])
        #expect(enc { $0.writeUInt(1 << 33) } == [0xcf, 0, 0, 0, 2, 0, 0, 0, 0])
        #expect(enc { $0.writeInt(590) } == [0xcd, 0x02, 0x4e]) // UserStateLen in capture G
        #expect(enc { $0.writeInt(-1) } == [0xff])
        #expect(enc { $0.writeInt(-33) } == [0xd0, 0xdf])
        #expect(enc { $0.writeInt(-200) } == [0xd1, 0xff, 0x38])
    }

    @Test func stringsAndBytesUseTheRawFamilyOnly() {
        #expect(enc { $0.writeRaw([]) } == [0xa0])
        #expect(enc { $0.writeRaw([UInt8](repeating: 1, count: 31)) }.prefix(1) == [0xbf])
        // 32..255 bytes: Go writes str16 (da), never str8 (d9).
        #expect(enc { $0.writeRaw([UInt8](repeating: 1, count: 32)) }.prefix(3) == [0xda, 0x00, 0x20])
        #expect(enc { $0.writeRaw([UInt8](repeating: 1, count: 70_000)) }.prefix(5) == [0xdb, 0x00, 0x01, 0x11, 0x70])
        #expect(enc { $0.writeBytes(nil) } == [0xc0])
        #expect(enc { $0.writeBytes([]) } == [0xa0])
    }

    @Test func containers() {
        #expect(enc { $0.writeMapHeader(15) } == [0x8f])
        #expect(enc { $0.writeMapHeader(16) } == [0xde, 0x00, 0x10])
        #expect(enc { $0.writeArrayHeader(15) } == [0x9f])
        #expect(enc { $0.writeArrayHeader(16) } == [0xdc, 0x00, 0x10])
    }

    @Test func decoderAcceptsWhatGoAccepts() throws {
        // str8 and bin are accepted for []byte; any int width that fits.
        var r = MsgPackReader([0x83, 0xa4] + Array("Addr".utf8) + [0xc4, 0x04, 10, 0, 0, 1,
                              0xa4] + Array("Port".utf8) + [0xd1, 0x1f, 0x0a,
                              0xa4] + Array("Node".utf8) + [0xd9, 0x01, 0x78])
        let a = try AliveMessage.decode(&r)
        #expect(a.addr == [10, 0, 0, 1] && a.port == 7946 && a.node == "x")
        // Unknown keys are skipped, missing ones are zero.
        var r2 = MsgPackReader([0x82, 0xa3] + Array("Foo".utf8) + [0x92, 0x01, 0x80, 0xa5] + Array("SeqNo".utf8) + [0x05])
        #expect(try NackRespMessage.decode(&r2) == NackRespMessage(seqNo: 5))
    }

    @Test func binIsRejectedForStringFields() {
        var r = MsgPackReader([0x81, 0xa4] + Array("Node".utf8) + [0xc4, 0x01, 0x78])
        #expect(throws: MsgPackError.typeMismatch(field: "Node", expected: "string")) { try AliveMessage.decode(&r) }
    }

    @Test func truncatedInputsAreTyped() {
        let full = Vectors.bytes(Vectors.pingA)
        for n in 1..<full.count {
            var r = MsgPackReader(Array(full[1..<n]))
            do {
                _ = try PingMessage.decode(&r)
                Issue.record("prefix \(n) decoded")
            } catch {
                switch error {
                case .truncated, .lengthExceedsInput: break
                default: Issue.record("prefix \(n): unexpected \(error)")
                }
            }
        }
    }

    @Test func lengthBombsAreRejectedBeforeAllocation() throws {
        // str32 claiming 4 GiB, array32 and map32 claiming 4 billion entries.
        var r1 = MsgPackReader([0xdb, 0xff, 0xff, 0xff, 0xff, 0x00])
        #expect(throws: MsgPackError.lengthExceedsInput(declared: 0xffff_ffff, remaining: 1)) { try r1.readValue() }
        var r2 = MsgPackReader([0xdd, 0xff, 0xff, 0xff, 0xff, 0x00])
        #expect(throws: MsgPackError.tooManyElements(limit: 65_536)) { try r2.readValue() }
        var r3 = MsgPackReader([0xdc, 0x10, 0x00, 0x00])
        #expect(throws: MsgPackError.lengthExceedsInput(declared: 4096, remaining: 1)) { try r3.readValue() }
        var r4 = MsgPackReader([0xdf, 0x00, 0x00, 0x10, 0x00, 0x01, 0x02])
        #expect(throws: MsgPackError.lengthExceedsInput(declared: 4096, remaining: 2)) { try r4.readValue() }
        // A push/pull header announcing a million nodes in a short stream.
        var w = MsgPackWriter(prefix: [6])
        PushPullHeader(nodes: 1_000_000, userStateLen: 0, join: true).encode(into: &w)
        #expect(throws: StreamError.tooManyNodes(1_000_000)) { try StreamCodec.decode(w.bytes) }
        var w2 = MsgPackWriter(prefix: [6])
        PushPullHeader(nodes: 60_000, userStateLen: 0, join: true).encode(into: &w2)
        // Incomplete on a live stream...
        #expect(try StreamCodec.decode(w2.bytes) == nil)
        // ...but a bomb inside a complete (decompressed) message is an error.
        #expect(throws: StreamError.self) { try StreamCodec.decode(PacketCodec.compressed(w2.bytes)) }
    }

    @Test func deepNestingIsRejected() {
        let deep = [UInt8](repeating: 0x91, count: 100) + [0x00]
        var r = MsgPackReader(deep)
        #expect(throws: MsgPackError.tooDeep(limit: 32)) { try r.readValue() }
        // Also when skipping an unknown key.
        var r2 = MsgPackReader([0x81, 0xa1, 0x58] + deep)
        #expect(throws: MsgPackError.tooDeep(limit: 32)) { try PingMessage.decode(&r2) }
    }

    @Test func wrongTypesAndOverflow() {
        var r = MsgPackReader([0x81, 0xa5] + Array("SeqNo".utf8) + [0xcf, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(throws: MsgPackError.integerOverflow(field: "SeqNo")) { try PingMessage.decode(&r) }
        var r2 = MsgPackReader([0x81, 0xa4] + Array("Port".utf8) + [0xff])
        #expect(throws: MsgPackError.integerOverflow(field: "Port")) { try AliveMessage.decode(&r2) }
        var r3 = MsgPackReader([0x92])
        #expect(throws: MsgPackError.notAMap) { try PingMessage.decode(&r3) }
        var r4 = MsgPackReader([0xc1])
        #expect(throws: MsgPackError.invalidByte(0xc1)) { try r4.readValue() }
        var r5 = MsgPackReader([0x81, 0xa4] + Array("Nack".utf8) + [0x01])
        #expect(throws: MsgPackError.typeMismatch(field: "Nack", expected: "bool")) { try IndirectPingMessage.decode(&r5) }
    }

    @Test func tooManyTotalElements() {
        // Many small arrays: each container is fine, the total is not.
        var bytes: [UInt8] = [0xdc, 0x04, 0x00] // array of 1024
        for _ in 0..<1024 { bytes += [0x9f] + [UInt8](repeating: 0, count: 15) }
        var r = MsgPackReader(bytes, limits: MsgPackLimits(maxDepth: 8, maxContainerElements: 4096, maxTotalElements: 10_000))
        #expect(throws: MsgPackError.tooManyElements(limit: 10_000)) { try r.readValue() }
    }

    @Test func genericValueRoundTrip() throws {
        let v = MsgPackValue.map([
            MsgPackPair(.raw(Array("a".utf8)), .array([.uint(1), .int(-5), .bool(true), .nilValue, .float(1.5)])),
            MsgPackPair(.raw(Array("b".utf8)), .raw([1, 2, 3])),
        ])
        var w = MsgPackWriter()
        w.writeValue(v)
        var r = MsgPackReader(w.bytes)
        #expect(try r.readValue() == v)
        #expect(r.isAtEnd)
    }

    @Test func serfTagsEncoding() throws {
        #expect(try SerfTags.encode([:]) == [0xff, 0x80])
        #expect(SerfTags.decode(nil) == ["role": ""])
        #expect(SerfTags.decode(Array("web".utf8)) == ["role": "web"])
        #expect(throws: SerfTags.Error.self) { try SerfTags.encode(["k": String(repeating: "x", count: 600)]) }
        var c = LamportClock()
        c.witness(10)
        #expect(c.increment() == 12)
    }

    /// 20k random and mutated packets through the full packet decoder: no traps, and every
    /// failure is a typed error.
    @Test func fuzzPacketDecoder() {
        var rng = SeededGenerator(seed: 0xF022)
        let seeds = [Vectors.pingA, Vectors.ackB, Vectors.compoundPingJoinC, Vectors.gossipTwoAliveD,
                     Vectors.gossipTagUpdateE, Vectors.gossipCompressedF, Vectors.gossipCompressedFInner,
                     Vectors.joinPushPullH].map(Vectors.bytes)
        var decodedSomething = 0
        var failures = 0
        for i in 0..<20_000 {
            var p: [UInt8]
            if i % 4 == 0 {
                p = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if !p.isEmpty && i % 8 == 0 { p[0] = UInt8(rng.below(14)) }
            } else {
                p = seeds[rng.below(seeds.count)]
                let flips = 1 + rng.below(6)
                for _ in 0..<flips where !p.isEmpty {
                    switch rng.below(4) {
                    case 0: p[rng.below(p.count)] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: p = Array(p.prefix(rng.below(p.count + 1)))
                    case 2: p.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(p.count + 1))
                    default: p[rng.below(p.count)] = [0xdb, 0xdd, 0xdf, 0xc1, 0xff, 0x00][rng.below(6)]
                    }
                }
                // Keep CRC valid half the time so the inner layers get exercised.
                if i % 2 == 0, p.first == 0x0c, p.count > 5 { p = PacketCodec.withCRC(Array(p[5...])) }
            }
            let d = PacketCodec.decode(p)
            decodedSomething += d.messages.count
            failures += d.errors.count
            _ = try? StreamCodec.decode(p)
        }
        #expect(decodedSomething > 1000)
        #expect(failures > 1000)
    }
}
