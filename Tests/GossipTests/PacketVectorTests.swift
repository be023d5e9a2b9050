import Testing
@testable import Gossip
import SeededRandom

/// Every captured packet decodes to the documented fields and, where Go's encoding is
/// deterministic, re-encodes byte for byte.
@Suite struct PacketVectorTests {
    let lo: [UInt8] = [127, 0, 0, 1]
    let vsn: [UInt8] = [1, 5, 2, 2, 5, 5]

    func single(_ hex: String) throws -> GossipMessage {
        let d = PacketCodec.decode(Vectors.bytes(hex))
        #expect(d.errors.isEmpty)
        #expect(d.messages.count == 1)
        return try #require(d.messages.first)
    }

    @Test func pingA() throws {
        let m = try single(Vectors.pingA)
        let expected = PingMessage(seqNo: 1, node: "node-a", sourceAddr: lo, sourcePort: 7947, sourceNode: "node-b")
        #expect(m == .ping(expected))
        #expect(Vectors.hex(GossipMessage.ping(expected).encoded()) == Vectors.pingA)
        #expect(Vectors.bytes(Vectors.pingA).count == 69)
    }

    @Test func ackWithSerfCoordinateB() throws {
        let m = try single(Vectors.ackB)
        guard case .ack(let a) = m else { Issue.record("not an ack"); return }
        #expect(a.seqNo == 1)
        let payload = try #require(a.payload)
        #expect(payload.count == 130)
        #expect(payload.first == 0x01)
        // The coordinate is msgpack {Adjustment, Error, Height, Vec[8]} of float64.
        var r = MsgPackReader(payload, offset: 1)
        let v = try r.readValue()
        guard case .float(let err)? = v["Error"], case .array(let vec)? = v["Vec"] else {
            Issue.record("bad coordinate"); return
        }
        #expect(abs(err - 1.4335319538817808) < 1e-15)
        #expect(vec.count == 8)
        // Payload is 130 bytes: Go writes str16 (da 0082), never str8.
        #expect(Vectors.hex(GossipMessage.ack(a).encoded()) == Vectors.ackB)
    }

    @Test func compoundPingAndJoinIntentC() throws {
        let d = PacketCodec.decode(Vectors.bytes(Vectors.compoundPingJoinC))
        #expect(d.errors.isEmpty)
        #expect(d.messages.count == 2)
        let ping = PingMessage(seqNo: 1, node: "node-b", sourceAddr: lo, sourcePort: 7946, sourceNode: "node-a")
        #expect(d.messages.first == .ping(ping))
        guard case .user(let payload)? = d.messages.last else { Issue.record("no user msg"); return }
        let join = try SerfJoinIntent.decode(payload)
        #expect(join == SerfJoinIntent(lTime: 1, node: "node-b"))
        let rebuilt = PacketCodec.compound([GossipMessage.ping(ping).encoded(), [8] + join.encoded()])
        #expect(Vectors.hex(rebuilt) == Vectors.compoundPingJoinC)
    }

    func aliveA(inc: UInt32, load: String) throws -> AliveMessage {
        // Go emitted these tags in the order role, load; our encoder sorts keys, so the
        // capture's Meta bytes are used verbatim.
        var w = MsgPackWriter(prefix: [0xFF])
        w.writeMapHeader(2)
        w.writeString("role"); w.writeString("web"); w.writeString("load"); w.writeString(load)
        return AliveMessage(incarnation: inc, node: "node-a", addr: lo, port: 7946, meta: w.bytes, vsn: vsn)
    }

    @Test func gossipTwoAliveWithCRCD() throws {
        let d = PacketCodec.decode(Vectors.bytes(Vectors.gossipTwoAliveD))
        #expect(d.hadCRC)
        #expect(d.errors.isEmpty)
        let a = try aliveA(inc: 1, load: "0.25")
        let b = AliveMessage(incarnation: 1, node: "node-b", addr: lo, port: 7947, meta: try SerfTags.encode(["role": "db"]), vsn: vsn)
        #expect(d.messages == [.alive(a), .alive(b)])
        #expect(SerfTags.decode(a.meta) == ["role": "web", "load": "0.25"])
        let rebuilt = PacketCodec.frame(PacketCodec.pack([GossipMessage.alive(a).encoded(), GossipMessage.alive(b).encoded()]),
                                        compress: false, crc: true)
        #expect(Vectors.hex(rebuilt) == Vectors.gossipTwoAliveD)
    }

    @Test func tagUpdateE() throws {
        let m = try single(Vectors.gossipTagUpdateE)
        let a = try aliveA(inc: 2, load: "0.75")
        #expect(m == .alive(a))
        #expect(Vectors.hex(PacketCodec.withCRC(GossipMessage.alive(a).encoded())) == Vectors.gossipTagUpdateE)
        #expect(VersionVector(a.vsn ?? []) == .serf094)
    }

    @Test func compressedCompoundF() throws {
        let packet = Vectors.bytes(Vectors.gossipCompressedF)
        let d = PacketCodec.decode(packet)
        #expect(d.hadCRC && d.wasCompressed)
        #expect(d.errors.isEmpty)
        #expect(d.messages.count == 3)
        guard case .user(let p)? = d.messages.last else { Issue.record("no join intent"); return }
        #expect(try SerfJoinIntent.decode(p) == SerfJoinIntent(lTime: 1, node: "node-b"))
        // The LZW stream decompresses to the documented 185 bytes...
        let inner = try PacketCodec.decompressBody(Array(packet[5...]))
        #expect(Vectors.hex(inner) == Vectors.gossipCompressedFInner)
        // ...and our LZW writer reproduces Go's 166 compressed bytes exactly.
        #expect(Vectors.hex(PacketCodec.withCRC(PacketCodec.compressed(inner))) == Vectors.gossipCompressedF)
        #expect(PacketCodec.frame(inner, compress: true, crc: true) == packet)
    }

    @Test func encryptedClusterInnerJ() throws {
        let d = PacketCodec.decode(Vectors.bytes(Vectors.encryptedJInner))
        #expect(d.errors.isEmpty)
        guard case .alive(let d0)? = d.messages.first else { Issue.record("no alive"); return }
        #expect(d0.node == "node-c" && d0.port == 7956)
        #expect(SerfTags.decode(d0.meta) == ["load": "0.5"])
        guard case .alive(let d1)? = d.messages.dropFirst().first else { Issue.record("no alive"); return }
        #expect(d1.meta == [0xFF, 0x80])
        #expect(SerfTags.decode(d1.meta) == [:])
    }

    @Test func joinPushPullWeSentH() throws {
        let bytes = Vectors.bytes(Vectors.joinPushPullH)
        let decoded = try #require(try StreamCodec.decode(bytes))
        #expect(decoded.1 == bytes.count)
        guard case .pushPull(let h, let nodes, let user) = decoded.0 else { Issue.record("not push/pull"); return }
        #expect(h.join && h.nodes == 1 && h.userStateLen == 0 && user.isEmpty)
        let n = try #require(nodes.first)
        #expect(n.name == "sidecar-2" && n.port == 7949 && n.state == 0 && n.incarnation == 1)
        #expect(n.vsn == vsn)
        #expect(SerfTags.decode(n.meta) == ["load": "0.10", "role": "sidecar"])
        // Our encoder sorts tag keys (load < role), which is what this capture holds.
        #expect(n.meta == (try SerfTags.encode(["load": "0.10", "role": "sidecar"])))
        let re = StreamCodec.encodePushPull(header: h, nodes: nodes, userState: [], compress: false)
        #expect(re == bytes)
        // Truncated input means "need more bytes", not an error.
        #expect(try StreamCodec.decode(Array(bytes.prefix(40))) == nil)
    }

    @Test func serfPingToUsAndOurAckH() throws {
        let m = try single(Vectors.serfPingToSidecarH)
        #expect(m == .ping(PingMessage(seqNo: 138, node: "sidecar-2", sourceAddr: lo, sourcePort: 7946, sourceNode: "node-a")))
        let ack = GossipMessage.ack(AckRespMessage(seqNo: 138, payload: nil))
        #expect(Vectors.hex(ack.encoded()) == Vectors.ackWeSentH)
    }

    @Test func tagUpdateLeaveAndDeadWeSentH() throws {
        let meta = try SerfTags.encode(["load": "0.90", "role": "sidecar"])
        let alive = AliveMessage(incarnation: 2, node: "sidecar-2", addr: lo, port: 7949, meta: meta, vsn: vsn)
        #expect(Vectors.hex(PacketCodec.withCRC(GossipMessage.alive(alive).encoded())) == Vectors.tagUpdateWeSentH)
        let leave = SerfLeaveIntent(lTime: 3, node: "sidecar-2", prune: false)
        #expect(Vectors.hex(PacketCodec.withCRC([8] + leave.encoded())) == Vectors.leaveIntentWeSentH)
        let dead = DeadMessage(incarnation: 2, node: "sidecar-2", from: "sidecar-2")
        #expect(Vectors.hex(PacketCodec.withCRC(GossipMessage.dead(dead).encoded())) == Vectors.deadWeSentH)
        // And they decode back.
        guard case .user(let p)? = PacketCodec.decode(Vectors.bytes(Vectors.leaveIntentWeSentH)).messages.first else {
            Issue.record("no user"); return
        }
        #expect(try SerfLeaveIntent.decode(p) == leave)
    }

    @Test func crcMismatchIsDropped() {
        var b = Vectors.bytes(Vectors.gossipTagUpdateE)
        b[b.count - 1] ^= 1
        let d = PacketCodec.decode(b)
        #expect(d.messages.isEmpty)
        guard case .crcMismatch? = d.errors.first else { Issue.record("expected crc error"); return }
    }

    @Test func labelHeaderAndUnknownTypesAreRejected() {
        // 0.2.2 has no label support: [f4 04 'mesh' <ping>] is an unsupported type.
        let label: [UInt8] = [0xF4, 4] + Array("mesh".utf8) + Vectors.bytes(Vectors.pingA)
        #expect(PacketCodec.decode(label).errors == [.unsupportedType(0xF4)])
        #expect(PacketCodec.decode([0x63, 0x80]).errors == [.unsupportedType(0x63)])
    }

    @Test func crc32KnownValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func lzwRoundTripsAndMatchesGoOnLongInput() throws {
        var rng = SeededGenerator(seed: 7)
        for size in [0, 1, 2, 100, 5000, 70_000] {
            // Compressible but varied input, long enough to hit width growth and Clear at 4095.
            let input = (0..<size).map { i in UInt8(truncatingIfNeeded: (i % 97 == 0) ? Int(rng.next() & 0xff) : i / 13) }
            let c = LZW.compress(input)
            #expect(try LZW.decompress(c, maxOutput: 1 << 20) == input)
        }
        #expect(throws: LZW.Error.self) { try LZW.decompress([0x00, 0x0f, 0x0c], maxOutput: 100) }
        let big = [UInt8](repeating: 0x41, count: 100_000)
        #expect(throws: LZW.Error.outputTooLarge(limit: 1000)) { try LZW.decompress(LZW.compress(big), maxOutput: 1000) }
    }
}
