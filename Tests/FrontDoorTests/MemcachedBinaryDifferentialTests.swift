import Foundation
import Testing
import TestSupport

/// The binary protocol as php-memcached (its default), spymemcached and libmemcached's binary mode
/// send it, frame for frame against a real memcached and against the sidecar's front door: every
/// answer must be the same, header fields, extras, key, value and error text.
///
/// Normalized: the CAS field (memcached counts globally, the store uses each record's version), as
/// "#" when non-zero; a step may use the last non-zero CAS that server answered. Each step is sent
/// on a fresh connection followed by a NOOP whose answer ends the read. For a malformed frame only
/// the first answer is compared: memcached then closes the connection (or, for an unknown opcode,
/// stops answering), where the sidecar, which knows the frame's length, answers the NOOP too.
@Suite(.serialized) struct MemcachedBinaryDifferentialTests {
    struct Frame {
        var opcode: UInt8
        var key = ""
        var extras: [UInt8] = []
        var value: [UInt8] = []
        /// Use the last CAS this server answered.
        var withLastCAS = false
        /// Send this CAS instead.
        var fixedCAS: UInt64 = 0
        var opaque: UInt32 = 7
        /// Compare the first answer only.
        var malformed = false
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xffff_ffff)) }
    /// SET/ADD/REPLACE extras: flags, expiry.
    static func storeExtras(flags: UInt32 = 0, exptime: UInt32 = 0) -> [UInt8] { be32(flags) + be32(exptime) }
    /// INCR/DECR extras: delta, initial, expiry (0xffffffff: a miss is not created).
    static func counterExtras(delta: UInt64, initial: UInt64, exptime: UInt32) -> [UInt8] { be64(delta) + be64(initial) + be32(exptime) }

    static let noopOpaque: UInt32 = 0xfeed_f00d
    static let noopAnswer: [UInt8] = [0x81, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + be32(noopOpaque) + [UInt8](repeating: 0, count: 8)

    static func encode(_ f: Frame, cas: UInt64) -> [UInt8] {
        let key = Array(f.key.utf8)
        let body = UInt32(f.extras.count + key.count + f.value.count)
        var out: [UInt8] = [0x80, f.opcode, UInt8(key.count >> 8), UInt8(key.count & 0xff), UInt8(f.extras.count), 0, 0, 0]
        out += be32(body) + be32(f.opaque) + be64(f.withLastCAS ? cas : f.fixedCAS)
        return out + f.extras + key + f.value
    }

    static let script: [Frame] = [
        // Storage, reads of every kind, php-memcached's multi-get (GETKQ... NOOP).
        Frame(opcode: 0x01, key: "b1", extras: storeExtras(flags: 0xdead_beef, exptime: 100), value: Array("abc".utf8)),
        Frame(opcode: 0x00, key: "b1"), Frame(opcode: 0x0c, key: "b1"), Frame(opcode: 0x00, key: "nothing"),
        Frame(opcode: 0x0c, key: "nothing"), Frame(opcode: 0x0d, key: "nothing"), Frame(opcode: 0x0d, key: "b1"),
        Frame(opcode: 0x09, key: "nothing"),
        Frame(opcode: 0x02, key: "b1", extras: storeExtras(), value: Array("x".utf8)),
        Frame(opcode: 0x03, key: "nothing", extras: storeExtras(), value: Array("x".utf8)),
        // CAS: the last one answered stores (each store answers the next); a stale one is refused.
        Frame(opcode: 0x00, key: "b1"),
        Frame(opcode: 0x01, key: "b1", extras: storeExtras(flags: 1, exptime: 100), value: Array("new".utf8), withLastCAS: true),
        Frame(opcode: 0x01, key: "b1", extras: storeExtras(flags: 2, exptime: 100), value: Array("old".utf8), withLastCAS: true),
        Frame(opcode: 0x01, key: "b1", extras: storeExtras(flags: 3, exptime: 100), value: Array("stale".utf8), fixedCAS: 1),
        Frame(opcode: 0x04, key: "b1", fixedCAS: 1),
        Frame(opcode: 0x0e, key: "b1", value: Array("de".utf8)), Frame(opcode: 0x0f, key: "b1", value: Array("xy".utf8)),
        Frame(opcode: 0x0e, key: "nothing", value: Array("z".utf8)), Frame(opcode: 0x00, key: "b1"),
        // Counters: create from the initial value, add, floor at 0, a miss not created, a non-number.
        Frame(opcode: 0x05, key: "n", extras: counterExtras(delta: 5, initial: 10, exptime: 0)),
        Frame(opcode: 0x05, key: "n", extras: counterExtras(delta: 5, initial: 10, exptime: 0)),
        Frame(opcode: 0x06, key: "n", extras: counterExtras(delta: 100, initial: 0, exptime: 0)),
        Frame(opcode: 0x05, key: "nothing", extras: counterExtras(delta: 1, initial: 0, exptime: 0xffff_ffff)),
        Frame(opcode: 0x05, key: "b1", extras: counterExtras(delta: 1, initial: 0, exptime: 0)),
        Frame(opcode: 0x15, key: "n", extras: counterExtras(delta: 1, initial: 0, exptime: 0)),
        Frame(opcode: 0x05, key: "n", extras: counterExtras(delta: 1, initial: 0, exptime: 0), fixedCAS: 1),
        Frame(opcode: 0x00, key: "n"),
        Frame(opcode: 0x05, key: "n", extras: counterExtras(delta: 1, initial: 0, exptime: 0), withLastCAS: true),
        Frame(opcode: 0x00, key: "n"),
        // touch and get-and-touch.
        Frame(opcode: 0x1c, key: "b1", extras: be32(200)), Frame(opcode: 0x1c, key: "nothing", extras: be32(200)),
        Frame(opcode: 0x1d, key: "b1", extras: be32(300)), Frame(opcode: 0x23, key: "b1", extras: be32(300)),
        Frame(opcode: 0x1e, key: "nothing", extras: be32(300)),
        // Quiet stores answer nothing on success; delete with a stale CAS, delete, delete again.
        Frame(opcode: 0x11, key: "q", extras: storeExtras(), value: Array("x".utf8)), Frame(opcode: 0x00, key: "q"),
        Frame(opcode: 0x12, key: "q", extras: storeExtras(), value: Array("x".utf8)),
        Frame(opcode: 0x04, key: "b1", withLastCAS: true), Frame(opcode: 0x00, key: "b1"), Frame(opcode: 0x04, key: "b1"),
        Frame(opcode: 0x04, key: "b1"), Frame(opcode: 0x14, key: "q"), Frame(opcode: 0x14, key: "q"),
        // Malformed: an unknown opcode, GET with extras, SET without extras, a key over 250 bytes.
        Frame(opcode: 0x50, key: "b1", malformed: true), Frame(opcode: 0x00, key: "b1", extras: [1, 2, 3, 4], malformed: true),
        Frame(opcode: 0x01, key: "b1", value: Array("x".utf8), malformed: true),
        Frame(opcode: 0x00, key: String(repeating: "k", count: 251), malformed: true),
    ]

    /// The total body length of the answer frame at `at`.
    static func bodyLength(_ reply: [UInt8], at: Int) -> Int {
        reply[(at + 8)..<(at + 12)].reduce(0) { $0 << 8 | Int($1) }
    }

    /// One server's answers to the script: each step's frames, described with the CAS normalized.
    static func run(_ exchange: ([UInt8], @escaping ([UInt8]) -> Bool) -> [UInt8]?) -> [String] {
        var cas: UInt64 = 0
        var answers: [String] = []
        let noop = encode(Frame(opcode: 0x0a, opaque: noopOpaque), cas: 0)
        for frame in script {
            let whole: ([UInt8]) -> Bool = frame.malformed
                ? { $0.count >= 24 && $0.count >= 24 + bodyLength($0, at: 0) }
                : { $0.count >= noopAnswer.count && $0.suffix(noopAnswer.count).elementsEqual(noopAnswer) }
            guard let reply = exchange(encode(frame, cas: cas) + noop, whole) else { answers.append("<no answer>"); continue }
            var described: [String] = []
            var at = 0
            while at + 24 <= reply.count {
                let h = Array(reply[at..<(at + 24)])
                let keyLength = Int(h[2]) << 8 | Int(h[3]), extrasLength = Int(h[4])
                let body = bodyLength(reply, at: at)
                guard at + 24 + body <= reply.count else { described.append("<truncated>"); break }
                let frameCAS = h[16..<24].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                if frameCAS != 0 { cas = frameCAS }
                let b = Array(reply[(at + 24)..<(at + 24 + body)])
                let extras = b.prefix(extrasLength).map { String(format: "%02x", $0) }.joined()
                let key = String(decoding: b[extrasLength..<(extrasLength + keyLength)], as: UTF8.self)
                let value = String(decoding: b[(extrasLength + keyLength)...], as: UTF8.self)
                let status = String(format: "%02x%02x", h[6], h[7])
                described.append("\(String(format: "%02x %02x", h[0], h[1])) status=\(status) extras=\(extras) key=\(key) value=\(value.debugDescription) cas=\(frameCAS == 0 ? "0" : "#") opaque=\(String(format: "%02x%02x%02x%02x", h[12], h[13], h[14], h[15]))")
                at += 24 + body
                if frame.malformed { break }
            }
            answers.append(described.joined(separator: " | "))
        }
        return answers
    }

    @Test func theFrontDoorAnswersTheBinaryScriptAsMemcachedDoes() throws {
        let cluster = try FrontDoorCluster()
        let reference = try MemcachedServer(dir: cluster.dir)
        defer { reference.kill() }
        let expected = Self.run { loopbackExchange(reference.port, $0, until: $1) }
        let socket = cluster.sockets[0]
        let actual = Self.run { unixExchange(socket, $0, until: $1) }
        let steps = Self.script.map { "opcode \(String(format: "%02x", $0.opcode)) key \($0.key.prefix(20))" }
        expectSameAnswers(memcached: expected, sidecar: actual, steps: steps, "binary")
        // The comparison compares something: memcached's own answers to a stale CAS and an unknown opcode.
        #expect(expected[13].hasPrefix("81 01 status=0002") && expected[14].hasPrefix("81 04 status=0002"), "\(expected[13]) \(expected[14])")
        #expect(expected[Self.script.count - 4].hasPrefix("81 50 status=0081"), "\(expected)")
    }
}
