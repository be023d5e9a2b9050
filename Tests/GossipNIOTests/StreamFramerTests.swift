import Testing
@testable import GossipNIO

/// Tiny msgpack writer for tests (Go's encoding choices: fixstr/str16, smallest ints).
enum MP {
    static func str(_ s: String) -> [UInt8] { raw(Array(s.utf8)) }
    static func raw(_ b: [UInt8]) -> [UInt8] {
        if b.count < 32 { return [0xA0 | UInt8(b.count)] + b }
        if b.count < 65536 { return [0xDA, UInt8(b.count >> 8), UInt8(b.count & 0xFF)] + b }
        let n = UInt32(b.count)
        return [0xDB, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + b
    }
    static func uint(_ v: Int) -> [UInt8] {
        switch v {
        case 0..<128: return [UInt8(v)]
        case 128..<256: return [0xCC, UInt8(v)]
        case 256..<65536: return [0xCD, UInt8(v >> 8), UInt8(v & 0xFF)]
        default:
            let n = UInt32(v)
            return [0xCE, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
        }
    }
    static func map(_ pairs: [(String, [UInt8])]) -> [UInt8] {
        [0x80 | UInt8(pairs.count)] + pairs.flatMap { str($0.0) + $0.1 }
    }

    /// `[0x00] ping{Node, SeqNo}`.
    static func ping(node: String, seq: Int) -> [UInt8] {
        [0x00] + map([("Node", str(node)), ("SeqNo", uint(seq))])
    }
    /// `[0x02] ackResp{Payload: nil, SeqNo}`.
    static func ack(seq: Int) -> [UInt8] {
        [0x02] + map([("Payload", [0xC0]), ("SeqNo", uint(seq))])
    }
    static func nodeState(_ name: String) -> [UInt8] {
        map([
            ("Addr", raw([127, 0, 0, 1])), ("Incarnation", uint(3)), ("Meta", raw([0xFF, 0x80])),
            ("Name", str(name)), ("Port", uint(7946)), ("State", uint(0)), ("Vsn", raw([1, 5, 2, 2, 5, 5])),
        ])
    }
    static func pushPull(nodes: [String], userState: [UInt8], join: Bool = true) -> [UInt8] {
        [0x06] + map([("Join", [join ? 0xC3 : 0xC2]), ("Nodes", uint(nodes.count)), ("UserStateLen", uint(userState.count))])
            + nodes.flatMap(nodeState) + userState
    }
    static func userMsg(_ body: [UInt8]) -> [UInt8] {
        [0x08] + map([("UserMsgLen", uint(body.count))]) + body
    }
    static func compressed(_ buf: [UInt8]) -> [UInt8] {
        [0x09] + map([("Algo", uint(0)), ("Buf", raw(buf))])
    }
}

@Suite struct StreamFramerTests {
    let framer = MemberlistStreamFramer()

    /// Every strict prefix needs more (with a consistent minimum), the whole is complete,
    /// and trailing bytes are not included.
    func checkFraming(_ message: [UInt8]) {
        for length in 0..<message.count {
            switch framer.decide(Array(message.prefix(length))) {
            case .needMore(let minimum):
                #expect(minimum > length && minimum <= message.count, "prefix \(length) of \(message.count)")
            default:
                Issue.record("prefix \(length) of \(message.count) not needMore: \(framer.decide(Array(message.prefix(length))))")
            }
        }
        #expect(framer.decide(message) == .complete(length: message.count))
        #expect(framer.decide(message + [0x99, 0x98]) == .complete(length: message.count))
    }

    @Test func pingAndAck() {
        checkFraming(MP.ping(node: "node-a", seq: 1))
        checkFraming(MP.ack(seq: 300))
        checkFraming([0x0D] + MP.map([("Error", MP.str(String(repeating: "x", count: 40)))]))
    }

    @Test func pushPullWithNodesAndUserState() {
        checkFraming(MP.pushPull(nodes: ["node-a", "node-b", "node-c"], userState: [UInt8](repeating: 0x42, count: 590)))
        checkFraming(MP.pushPull(nodes: ["only"], userState: []))
        checkFraming(MP.pushPull(nodes: [], userState: [1, 2, 3]))
    }

    @Test func userMessageAndCompressed() {
        checkFraming(MP.userMsg([UInt8](repeating: 7, count: 100)))
        checkFraming(MP.compressed([UInt8](repeating: 0xAB, count: 212)))
        let large = MP.compressed([UInt8](repeating: 0xAB, count: 70000))
        #expect(framer.decide(large) == .complete(length: large.count))
        #expect(framer.decide(Array(large.dropLast())) == .needMore(minimumTotal: large.count))
    }

    @Test func largeDeclaredLengthAsksForItAtOnce() {
        let message = MP.compressed([UInt8](repeating: 1, count: 100_000))
        // Once the str32 header is in, the framer announces the whole length.
        let decision = framer.decide(Array(message.prefix(20)))
        #expect(decision == .needMore(minimumTotal: message.count))
    }

    @Test func encryptedFrame() throws {
        let ring = try GossipKeyring(primaryKey: [UInt8](repeating: 9, count: 32))
        let frame = try ring.encryptStream(MP.ping(node: "a", seq: 2))
        checkFraming(frame)
        let encrypted = EncryptedStreamFramer()
        #expect(encrypted.decide(frame) == .complete(length: frame.count))
        #expect(encrypted.decide(Array(frame.prefix(3))) == .needMore(minimumTotal: 5))
        #expect(encrypted.decide(Array(frame.prefix(7))) == .needMore(minimumTotal: frame.count))
        if case .invalid = encrypted.decide(MP.ping(node: "a", seq: 2)) {} else { Issue.record("plaintext accepted") }
        #expect(EncryptedStreamFramer(maxLength: 10).decide(frame) == .tooLarge(length: frame.count))
    }

    @Test func limitsAndInvalidInput() {
        let small = MemberlistStreamFramer(maxMessageSize: 1024)
        let big = MP.userMsg([UInt8](repeating: 0, count: 4096))
        if case .tooLarge = small.decide(Array(big.prefix(16))) {} else { Issue.record("oversize not rejected early") }
        let hugeCount = [0x06] + MP.map([("Join", [0xC2]), ("Nodes", MP.uint(1 << 30)), ("UserStateLen", MP.uint(0))])
        if case .tooLarge = small.decide(hugeCount) {} else { Issue.record("huge node count accepted") }
        let hugeString: [UInt8] = [0x00, 0xDB, 0x7F, 0xFF, 0xFF, 0xFF]
        if case .tooLarge = small.decide(hugeString) {} else { Issue.record("huge str32 accepted") }
        let hugeArray: [UInt8] = [0x00, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF]
        if case .tooLarge = small.decide(hugeArray) {} else { Issue.record("huge array32 accepted") }
        let negative = [0x08] + MP.map([("UserMsgLen", [0xFF])])
        if case .invalid = small.decide(negative) {} else { Issue.record("negative length accepted") }
        for type: UInt8 in [1, 3, 4, 5, 7, 12, 14, 244] {
            if case .invalid = framer.decide([type, 0x80]) {} else { Issue.record("type \(type) accepted on a stream") }
        }
        if case .invalid = framer.decide([0x06, 0x01]) {} else { Issue.record("pushPull header not a map") }
        if case .invalid = framer.decide([0x00, 0xC1]) {} else { Issue.record("0xc1 accepted") }
        #expect(framer.decide([]) == .needMore(minimumTotal: 1))
    }

    @Test func randomGarbageNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        let framer = MemberlistStreamFramer(maxMessageSize: 1 << 16)
        for _ in 0..<20000 {
            let length = Int.random(in: 1...64, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes[0] = [0, 2, 6, 8, 9, 10, 11, 13].randomElement(using: &rng)!
            switch framer.decide(bytes) {
            case .complete(let n): #expect(n >= 1 && n <= bytes.count)
            case .needMore(let m): #expect(m > bytes.count)
            case .invalid, .tooLarge: break
            }
        }
        // Deeply nested arrays are walked iteratively.
        let nested = [0x00] + [UInt8](repeating: 0x91, count: 100_000) + [0x01]
        #expect(MemberlistStreamFramer().decide(nested) == .complete(length: nested.count))
    }
}
