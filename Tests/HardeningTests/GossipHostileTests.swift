import Foundation
import Gossip
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

extension Hardening {
    /// Issue 17, gossip: forged members, member floods, LZW amplification and oversized push/pull
    /// streams, sent as exact datagrams and streams to a real sidecar's gossip port.
    @Suite(.serialized) struct GossipHostileTests {
        static let vsn: [UInt8] = [1, 5, 2, 2, 5, 5]

        static func alive(_ name: String, port: UInt16 = 17_999, addr: [UInt8]? = [127, 0, 0, 1], vsn: [UInt8]? = vsn,
                          tags: [String: String]? = nil) -> [UInt8] {
            let meta = tags.flatMap { try? SerfTags.encode($0) }
            return GossipMessage.alive(AliveMessage(incarnation: 1, node: name, addr: addr, port: addr == nil ? 0 : port,
                                                    meta: meta, vsn: vsn)).encoded()
        }

        static func get(_ rig: Rig, _ path: String) -> String {
            RawPeer.unix(rig.socket, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").text
        }

        @Test func forgedAliveIsRejectedAndOnlySidecarsAreRouted() async throws {
            let rig = try Rig(gossip: true)
            #expect(await eventually(seconds: 5) { Self.get(rig, "/v1/mesh").contains("\"target\"") })
            // The issue's datagram: alive{Incarnation:1, Node:"ghost2"}, no address, port, version or tags.
            // Then a plain serf agent (valid, but role=web) and a sidecar peer (role=sessionmesh).
            // Neither answers probes, so they are looked at while alive or suspect.
            #expect(await eventually(seconds: 5) {
                RawPeer.udp(Self.alive("ghost2", addr: nil, vsn: nil), port: rig.gossipPort)
                RawPeer.udp(Self.alive("plain-serf", port: 17_998, tags: ["role": "web"]), port: rig.gossipPort)
                RawPeer.udp(Self.alive("other-sidecar", port: 17_997, tags: ["role": "sessionmesh", "app": "127.0.0.1:18081"]),
                            port: rig.gossipPort)
                let mesh = Self.get(rig, "/v1/mesh")
                return mesh.contains("other-sidecar") && mesh.contains("plain-serf")
            })
            let mesh = Self.get(rig, "/v1/mesh")
            #expect(!mesh.contains("ghost2"))
            #expect(mesh.contains("plain-serf"))
            var picked = Set<String>()
            for _ in 0..<60 {
                let r = Self.get(rig, "/v1/route?policy=random")
                for name in ["target", "other-sidecar", "plain-serf", "ghost2"] where r.contains("\"\(name)\"") { picked.insert(name) }
            }
            #expect(!picked.contains("plain-serf") && !picked.contains("ghost2"), "routed to \(picked)")
            #expect(picked.contains("target"))
            #expect(rig.storesSessions)
        }

        @Test func ghostFloodIsBounded() async throws {
            let rig = try Rig(extra: ["--max-gossip-members", "64"], gossip: true)
            #expect(await eventually(seconds: 5) { Self.get(rig, "/v1/mesh").contains("\"target\"") })
            let rssBefore = RawPeer.rss(rig.pid)
            // 2000 ghosts with 4 KB names (the issue sent 5000), then 2000 well-formed ones: far past the cap of 64.
            for i in 0..<2000 {
                RawPeer.udp(Self.alive(String(repeating: "g", count: 4000) + "\(i)", port: UInt16(20_000 + i % 1000)), port: rig.gossipPort)
                if i % 500 == 0 { try await Task.sleep(for: .microseconds(20_000)) }
            }
            for i in 0..<2000 {
                RawPeer.udp(Self.alive("ghost-\(i)", port: UInt16(20_000 + i % 1000), tags: ["role": "sessionmesh"]), port: rig.gossipPort)
                if i % 500 == 0 { try await Task.sleep(for: .microseconds(20_000)) }
            }
            try await Task.sleep(for: .seconds(2))
            let mesh = Self.get(rig, "/v1/mesh")
            let members = mesh.components(separatedBy: "\"incarnation\"").count - 1
            #expect(members > 1 && members <= 64, "\(members) members")
            #expect(!mesh.contains("gggggggg"))
            // Routing picks among at most 64 names, and the per-peer metric labels stay bounded.
            for _ in 0..<300 { _ = Self.get(rig, "/v1/route?policy=random") }
            let metrics = Self.get(rig, "/metrics")
            #expect(metrics.utf8.count < 512 * 1024)
            #expect(RawPeer.rss(rig.pid) - rssBefore < 16 << 20, "RSS grew \((RawPeer.rss(rig.pid) - rssBefore) >> 20) MiB")
            #expect(rig.log.contains("gossip input dropped"))
            #expect(rig.storesSessions)
        }

        /// One 62 KB datagram of 32 compressed messages each expanding past 1 MiB, 12 a second.
        @Test func lzwAmplificationIsBudgeted() async throws {
            let rig = try Rig(gossip: true)
            #expect(await eventually(seconds: 5) { Self.get(rig, "/v1/mesh").contains("\"target\"") })
            let bomb = PacketCodec.compressed([UInt8](repeating: 0x41, count: (1 << 20) + 4096))
            let packet = PacketCodec.compound(Array(repeating: bomb, count: 32))
            #expect(packet.count < 65_000)
            let cpuBefore = RawPeer.cpuSeconds(rig.pid)
            let start = Date()
            var latencies: [Double] = []
            for second in 0..<4 {
                for _ in 0..<12 { RawPeer.udp(packet, port: rig.gossipPort) }
                let t = Date()
                #expect(rig.serves)
                latencies.append(Date().timeIntervalSince(t))
                let next = start.addingTimeInterval(Double(second + 1))
                if next > Date() { try await Task.sleep(for: .milliseconds(Int(next.timeIntervalSinceNow * 1000))) }
            }
            let cpu = (RawPeer.cpuSeconds(rig.pid) - cpuBefore) / Date().timeIntervalSince(start)
            #expect(cpu < 0.5, "the sidecar used \(cpu) of a core under 12 LZW bombs a second")
            #expect(latencies.max()! < 0.5, "healthz latencies \(latencies)")
            #expect(rig.storesSessions)
        }

        /// Push/pull headers that claim a large user state, then bytes: 20 MiB claims are refused
        /// from the header; claims under the per-message limit are held only up to the shared budget.
        @Test func pushPullStreamsAreBoundedAcrossStreams() async throws {
            let rig = try Rig(gossip: true)
            try await Task.sleep(for: .seconds(1))
            let rssBefore = RawPeer.rss(rig.pid)
            func header(userStateLen: Int) -> [UInt8] {
                var w = MsgPackWriter()
                w.bytes.append(6)
                PushPullHeader(nodes: 0, userStateLen: userStateLen, join: false).encode(into: &w)
                return w.bytes
            }
            // Claims of 20 MiB: closed after the header.
            for _ in 0..<8 {
                guard let fd = connectLoopback(rig.gossipPort) else { Issue.record("connect failed"); continue }
                let (_, closed) = RawPeer.exchange(fd, header(userStateLen: 20 << 20) + [UInt8](repeating: 0x55, count: 1 << 20))
                #expect(closed)
                close(fd)
            }
            // Claims of 1.2 MiB (a legitimate size for a 1024-member mesh): 16 streams send all but the last byte and wait.
            var held: [Int32] = []
            let chunk = [UInt8](repeating: 0x55, count: 64 * 1024)
            for _ in 0..<16 {
                guard let fd = connectLoopback(rig.gossipPort, timeoutSeconds: 1) else { continue }
                held.append(fd)
                var bytes = header(userStateLen: 1_200_000)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var sent = 0
                while sent < 1_200_000 - 1 {
                    let n = min(chunk.count, 1_200_000 - 1 - sent)
                    let rc = chunk.withUnsafeBytes { send(fd, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
                    if rc <= 0 { break }
                    sent += rc
                }
                bytes.removeAll()
            }
            defer { for fd in held { close(fd) } }
            try await Task.sleep(for: .microseconds(500_000))
            let growth = RawPeer.rss(rig.pid) - rssBefore
            #expect(growth < 24 << 20, "RSS grew \(growth >> 20) MiB while 16 streams held 1.2 MiB claims")
            #expect(rig.serves)
            for fd in held { close(fd) }
            held.removeAll()
            #expect(rig.storesSessions)
        }

        /// With a keyring, an encrypted frame claiming 19 MiB is refused from its length prefix,
        /// before any byte is buffered or decrypted.
        @Test func encryptedFrameClaimsAreBounded() async throws {
            let rig = try Rig(gossip: true, encrypted: true)
            let rssBefore = RawPeer.rss(rig.pid)
            for _ in 0..<8 {
                guard let fd = connectLoopback(rig.gossipPort) else { Issue.record("connect failed"); continue }
                let claim = 19 << 20
                let frame: [UInt8] = [10, UInt8(claim >> 24), UInt8(claim >> 16 & 0xff), UInt8(claim >> 8 & 0xff), UInt8(claim & 0xff)]
                let (_, closed) = RawPeer.exchange(fd, frame + [UInt8](repeating: 0x55, count: 1 << 20))
                #expect(closed)
                close(fd)
            }
            #expect(RawPeer.rss(rig.pid) - rssBefore < 8 << 20)
            #expect(rig.storesSessions)
        }
    }
}
