import Foundation
import NIOCore
import Testing
@testable import GossipNIO

#if canImport(Glibc)
import Glibc
#endif

/// Interop smoke test against a real `serf agent` (Debian's serf 0.9.4 / memberlist 0.2.2)
/// on 127.0.0.1. With `-encrypt` it proves the keyring (UDP, and streams with their AAD)
/// matches byte for byte; without, that ``MemberlistStreamFramer`` delimits serf's real
/// (compressed) stream replies.
@Suite(.timeLimit(.minutes(1)), .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/serf")))
struct SerfInteropTests {
    @Test(arguments: [true, false])
    func pingAckAndPushPullWithSerf(encrypted: Bool) async throws {
        let keyBytes = try GossipKeyring.generateKey()
        let ring = encrypted ? try GossipKeyring(primaryKey: keyBytes) : nil
        let us = try await RunningTransport(keyring: ring)

        // Free ports for serf: a transport finds a port free for UDP+TCP, then lets it go.
        let probe = try await RunningTransport()
        let serfPort = probe.port
        await probe.stop()
        let rpcProbe = try await RunningTransport()
        let rpcPort = rpcProbe.port
        await rpcProbe.stop()

        let serfName = "serf-interop-\(serfPort)"
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("gossipnio-serf-\(serfPort).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: logURL)
        let serf = Process()
        serf.executableURL = URL(fileURLWithPath: "/usr/bin/serf")
        serf.arguments = [
            "agent", "-node=\(serfName)", "-bind=127.0.0.1:\(serfPort)", "-rpc-addr=127.0.0.1:\(rpcPort)",
            "-log-level=debug",
        ] + (encrypted ? ["-encrypt=\(Data(keyBytes).base64EncodedString())"] : [])
        serf.standardOutput = logHandle
        serf.standardError = logHandle
        try serf.run()
        defer {
            stopProcess(serf)  // blocks ≤ 5 s, only at the end
            try? logHandle.close()
            try? FileManager.default.removeItem(at: logURL)
        }
        let serfLog = { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

        // 1. UDP: encrypted ping (no Source* fields: the ack goes to our UDP source address).
        var acked = false
        for attempt in 0..<40 where !acked {
            try await us.transport.send(MP.ping(node: serfName, seq: 42), host: "127.0.0.1", port: serfPort)
            acked = await eventually(timeout: .milliseconds(250)) {
                us.packets.contains { packet in ackSeqNo(packet.bytes) == 42 }
            }
            if !acked && attempt == 39 { Issue.record("no ack from serf; log:\n\(serfLog())") }
        }
        #expect(acked)
        #expect(us.transport.stats.udpDroppedDecrypt == 0)

        // 2. TCP ping over a stream (serf answers with a compressed ack, encrypted if on).
        let reply = try await us.transport.exchange(
            host: "127.0.0.1", port: serfPort, bytes: MP.ping(node: serfName, seq: 43), timeout: .seconds(5))
        let plainReply = try #require(unwrapCompressed(reply))
        #expect(plainReply.first == 2, "reply \(plainReply)")
        #expect(ackSeqNo(plainReply) == 43)

        // 3. Push/pull join: serf's (compressed) state must come back through the framer.
        let me = "gossipnio-\(us.port)"
        let push = [0x06] + MP.map([("Join", [0xC3]), ("Nodes", MP.uint(1)), ("UserStateLen", MP.uint(0))])
            + MP.map([
                ("Addr", MP.raw([127, 0, 0, 1])), ("Incarnation", MP.uint(1)), ("Meta", MP.raw([0xFF, 0x80])),
                ("Name", MP.str(me)), ("Port", MP.uint(us.port)), ("State", MP.uint(0)),
                ("Vsn", MP.raw([1, 5, 2, 2, 5, 5])),
            ])
        let pull = try await us.transport.exchange(host: "127.0.0.1", port: serfPort, bytes: push, timeout: .seconds(5))
        let state = try #require(unwrapCompressed(pull))
        #expect(state.first == 6)
        #expect(MemberlistStreamFramer().decide(state) == .complete(length: state.count))
        #expect(state.contains(subsequence: Array(serfName.utf8)))

        // 4. Having learnt about us, serf probes or gossips to our port, encrypted with the key.
        let before = us.packets.count
        #expect(await eventually(timeout: .seconds(8)) { us.packets.count > before })
        #expect(us.transport.stats.udpDroppedDecrypt == 0)
        let log = serfLog()
        #expect(!log.contains("No installed keys could decrypt"), "\(log)")
        #expect(!log.contains("failed to receive"), "\(log)")
        await us.stop()
    }
}

/// SIGTERM, then SIGKILL after 3 s; waits (bounded) for the process to go away.
func stopProcess(_ process: Process) {
    guard process.isRunning else { return }
    let pid = process.processIdentifier
    kill(pid, SIGTERM)
    let deadline = Date().addingTimeInterval(3)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        kill(pid, SIGKILL)
        let hard = Date().addingTimeInterval(2)
        while process.isRunning && Date() < hard { usleep(20_000) }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        for start in 0...(count - subsequence.count) where self[start..<(start + subsequence.count)].elementsEqual(subsequence) {
            return true
        }
        return false
    }
}

/// The SeqNo of an ackResp (after CRC / compression unwrapping), if it is one.
func ackSeqNo(_ bytes: [UInt8]) -> Int? {
    guard var message = unwrapCompressed(bytes) else { return nil }
    if message.first == 12, message.count > 5 { message = Array(message.dropFirst(5)) }
    if message.first == 9, let inner = unwrapCompressed(message) { message = inner }
    guard message.first == 2 else { return nil }
    let key = [0xA5] + Array("SeqNo".utf8)
    guard let range = message.firstRange(of: key), range.upperBound < message.count else { return nil }
    let b = message[range.upperBound]
    switch b {
    case 0x00...0x7F: return Int(b)
    case 0xCC where range.upperBound + 1 < message.count: return Int(message[range.upperBound + 1])
    default: return nil
    }
}

/// `[0x09] {Algo: 0, Buf: LZW}` → the decompressed message; other messages unchanged.
func unwrapCompressed(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.first == 9 else { return bytes }
    let key = [0xA3] + Array("Buf".utf8)
    guard let range = bytes.firstRange(of: key) else { return nil }
    var i = range.upperBound
    guard i < bytes.count else { return nil }
    let length: Int
    switch bytes[i] {
    case 0xA0...0xBF: length = Int(bytes[i] & 0x1F); i += 1
    case 0xD9, 0xC4: guard i + 1 < bytes.count else { return nil }; length = Int(bytes[i + 1]); i += 2
    case 0xDA, 0xC5: guard i + 2 < bytes.count else { return nil }; length = Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]); i += 3
    case 0xDB, 0xC6:
        guard i + 4 < bytes.count else { return nil }
        length = Int(bytes[i + 1]) << 24 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 8 | Int(bytes[i + 4]); i += 5
    default: return nil
    }
    guard i + length <= bytes.count else { return nil }
    return lzwDecode(Array(bytes[i..<(i + length)]))
}

/// Go `compress/lzw` reader, LSB order, 8-bit literals (test-only helper).
func lzwDecode(_ data: [UInt8]) -> [UInt8]? {
    let base: [[UInt8]] = (0..<256).map { [UInt8($0)] } + [[], []]
    var dict = base
    var width = 9
    var bits: UInt64 = 0
    var nBits = 0
    var pos = 0
    var prev: [UInt8]? = nil
    var out: [UInt8] = []
    while true {
        while nBits < width {
            guard pos < data.count else { return nil }  // Go requires EOF
            bits |= UInt64(data[pos]) << UInt64(nBits)
            pos += 1
            nBits += 8
        }
        let code = Int(bits & ((1 << UInt64(width)) - 1))
        bits >>= UInt64(width)
        nBits -= width
        if code == 256 {
            dict = base
            width = 9
            prev = nil
            continue
        }
        if code == 257 { return out }
        let entry: [UInt8]
        if code < dict.count, code != 256, code != 257 {
            entry = dict[code]
        } else if code == dict.count, let p = prev {
            entry = p + [p[0]]
        } else {
            return nil
        }
        out += entry
        if let p = prev, dict.count < 4096 { dict.append(p + [entry[0]]) }
        prev = entry
        if dict.count >= (1 << width) && width < 12 { width += 1 }
    }
}
