import Foundation
import NIOCore
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import GossipNIO

private let keyA: [UInt8] = [UInt8](repeating: 0xA1, count: 32)
private let keyB: [UInt8] = [UInt8](repeating: 0xB2, count: 16)

@Suite(.timeLimit(.minutes(2)))
struct GossipTransportUDPTests {
    @Test func plaintextRoundTripOnSharedPort() async throws {
        let a = try await RunningTransport()
        let b = try await RunningTransport()
        #expect(a.port != 0 && a.port != b.port)
        let ping = MP.ping(node: "b", seq: 7)
        try await a.transport.send(ping, host: "127.0.0.1", port: b.port)
        #expect(await eventually { b.packets.count == 1 })
        #expect(b.packets.first?.bytes == ping)
        #expect(b.packets.first?.from.port == a.port)  // sent from the bound port
        let ack = MP.ack(seq: 7)
        try await b.transport.send(ack, to: b.packets[0].from)
        #expect(await eventually { a.packets.count == 1 })
        #expect(a.packets.first?.bytes == ack)
        #expect(a.transport.stats.udpSent == 1 && b.transport.stats.udpEnqueued == 1)
        await a.stop()
        await b.stop()
    }

    @Test func batchSendDeliversEveryPacketInOrder() async throws {
        let a = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyA))
        let b = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyA))
        let c = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyA))
        let toB = try SocketAddress(ipAddress: "127.0.0.1", port: b.port)
        let toC = try SocketAddress(ipAddress: "127.0.0.1", port: c.port)
        let pings = (1...3).map { MP.ping(node: "b", seq: $0) }
        let failed = try await a.transport.send(batch: [(pings[0], toB), (pings[1], toC), (pings[2], toB)])
        #expect(failed.isEmpty)
        #expect(await eventually { b.packets.count == 2 && c.packets.count == 1 })
        #expect(b.packets.map(\.bytes) == [pings[0], pings[2]])
        #expect(c.packets.first?.bytes == pings[1])
        #expect(a.transport.stats.udpSent == 3)
        #expect(try await a.transport.send(batch: []).isEmpty)
        await a.stop()
        await b.stop()
        await c.stop()
    }

    @Test func encryptedRoundTripAndRotation() async throws {
        let ringA = try GossipKeyring(primaryKey: keyA)
        // B is mid-rotation: primary keyB, still accepts keyA.
        let ringB = try GossipKeyring(primaryKey: keyB, secondaryKeys: [keyA])
        let a = try await RunningTransport(keyring: ringA)
        let b = try await RunningTransport(keyring: ringB)
        let ping = MP.ping(node: "b", seq: 9)
        try await a.transport.send(ping, host: "127.0.0.1", port: b.port)
        #expect(await eventually { b.packets.count == 1 })
        #expect(b.packets.first?.bytes == ping)

        // B answers with keyB, which A does not have yet: dropped and counted.
        try await b.transport.send(MP.ack(seq: 9), host: "127.0.0.1", port: a.port)
        #expect(await eventually { a.transport.stats.udpDroppedDecrypt == 1 })
        #expect(a.packets.isEmpty)

        // A installs keyB at run time: now it decrypts.
        var rotated = ringA
        try rotated.install(keyB)
        a.transport.setKeyring(rotated)
        try await b.transport.send(MP.ack(seq: 10), host: "127.0.0.1", port: a.port)
        #expect(await eventually { a.packets.count == 1 })
        #expect(a.packets.first?.bytes == MP.ack(seq: 10))
        await a.stop()
        await b.stop()
    }

    @Test func wrongKeyAndPlaintextDroppedByEncryptedTransport() async throws {
        let a = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyA))
        let wrong = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyB))
        let plain = try await RunningTransport()
        try await wrong.transport.send(MP.ping(node: "", seq: 1), host: "127.0.0.1", port: a.port)
        try await plain.transport.send(MP.ping(node: "", seq: 2), host: "127.0.0.1", port: a.port)
        #expect(await eventually { a.transport.stats.udpDroppedDecrypt == 2 })
        try? await Task.sleep(for: .milliseconds(50))
        #expect(a.packets.isEmpty)
        #expect(a.transport.stats.udpReceived == 2)
        for t in [a, wrong, plain] { await t.stop() }
    }

    @Test func garbageDatagramsDroppedWithoutCrash() async throws {
        let ring = try GossipKeyring(primaryKey: keyA)
        let a = try await RunningTransport(keyring: ring)
        var rng = SystemRandomNumberGenerator()
        var garbage: [[UInt8]] = [[], [0], [1], [2], [0x0A, 0, 0, 0, 5], [UInt8](repeating: 0, count: 29), [1] + [UInt8](repeating: 0xFF, count: 28)]
        for _ in 0..<200 {
            let n = Int.random(in: 1...1500, using: &rng)
            garbage.append((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        garbage.append([UInt8](repeating: 1, count: 65000))
        let sent = await rawUDPSend(port: a.port, payloads: garbage)
        #expect(sent == garbage.count)
        // The kernel may drop some under load; everything that was read must have been dropped.
        let received = await settled { a.transport.stats.udpReceived }
        #expect(received > 0)
        #expect(a.transport.stats.udpDroppedDecrypt == received)
        #expect(a.packets.isEmpty)

        // Still alive: a valid packet goes through.
        let good = try ring.encrypt(MP.ping(node: "", seq: 5))
        _ = await rawUDPSend(port: a.port, payloads: [good])
        #expect(await eventually { a.packets.count == 1 })
        #expect(a.packets.first?.bytes == MP.ping(node: "", seq: 5))

        // A plaintext transport hands garbage on as-is (decoding is the Gossip layer's job),
        // except empty datagrams.
        let p = try await RunningTransport()
        _ = await rawUDPSend(port: p.port, payloads: [[], [0xC1, 0xC1], [7, 200]])
        #expect(await eventually { p.packets.count == 2 })
        #expect(await eventually { p.transport.stats.udpDroppedEmpty == 1 })
        await a.stop()
        await p.stop()
    }

    @Test func floodIsBoundedByQueueCapacity() async throws {
        let capacity = 256
        // No consumer while flooding: the queue must not grow past its capacity.
        let a = try await RunningTransport(collect: false) { $0.inboundQueueCapacity = capacity }
        let payload = MP.ping(node: "", seq: 1)
        let sent = await rawUDPSend(port: a.port, payloads: [payload], repeatCount: 100_000)
        #expect(sent == 100_000)
        _ = await settled { a.transport.stats.udpReceived }
        let stats = a.transport.stats
        #expect(stats.udpReceived > capacity)
        #expect(stats.udpDroppedQueueFull == stats.udpReceived - capacity)
        await a.stop()  // finishes the stream; what is buffered can still be read
        var queued = 0
        for await _ in a.transport.packets { queued += 1 }
        #expect(queued == capacity)
    }

    @Test func dropNewestPolicyKeepsFirstPackets() async throws {
        let a = try await RunningTransport(collect: false) {
            $0.inboundQueueCapacity = 4
            $0.inboundQueuePolicy = .dropNewest
        }
        let payloads = (1...20).map { MP.ping(node: "", seq: $0) }
        _ = await rawUDPSend(port: a.port, payloads: payloads)
        #expect(await eventually { a.transport.stats.udpReceived == 20 })
        #expect(a.transport.stats.udpDroppedQueueFull == 16)
        await a.stop()
        var got: [[UInt8]] = []
        for await packet in a.transport.packets { got.append(packet.bytes) }
        #expect(got == Array(payloads.prefix(4)))
    }

    @Test func runsAsServiceUntilGracefulShutdown() async throws {
        var logger = Logger(label: "test.servicegroup")
        logger.logLevel = .error
        let transport = GossipTransport(
            config: GossipTransportConfig(host: "127.0.0.1", port: 0),
            logger: logger
        )
        let address = try await transport.bind()
        let group = ServiceGroup(configuration: .init(services: [transport], logger: logger))
        let running = Task { try await group.run() }
        let peer = try await RunningTransport()
        try await peer.transport.send([0x00, 0x80], to: address)
        var iterator = transport.packets.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.bytes == [0x00, 0x80])
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await iterator.next() == nil)  // packets finished
        await #expect(throws: GossipTransportError.shutDown) { try await transport.send([0], to: address) }
        await #expect(throws: GossipTransportError.shutDown) {
            _ = try await transport.exchange(to: address, bytes: [0], timeout: .seconds(1))
        }
        await peer.stop()
    }

    @Test func sendBeforeBindAndAfterStopThrows() async throws {
        let t = GossipTransport(config: GossipTransportConfig(host: "127.0.0.1", port: 0))
        await #expect(throws: GossipTransportError.notBound) { try await t.send([0], host: "127.0.0.1", port: 9) }
        let a = try await RunningTransport()
        await a.stop()
        await #expect(throws: GossipTransportError.shutDown) { try await a.transport.send([0], host: "127.0.0.1", port: 9) }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct GossipTransportTCPTests {
    /// A handler that answers a ping with an ack and records what it saw.
    static func pingResponder(_ seen: LockedBox<[[UInt8]]>) -> GossipStreamHandler {
        { message, _ in
            seen.withLock { $0.append(message) }
            if message.first == 0 { return MP.ack(seq: 77) }
            if message.first == 6 { return MP.pushPull(nodes: ["server"], userState: [9, 9], join: false) }
            return nil
        }
    }

    @Test func plaintextExchangeRoundTrip() async throws {
        let seen = LockedBox<[[UInt8]]>([])
        let server = try await RunningTransport(handler: Self.pingResponder(seen))
        let client = try await RunningTransport()
        let ping = MP.ping(node: "server", seq: 77)
        let reply = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: ping, timeout: .seconds(5))
        #expect(reply == MP.ack(seq: 77))
        #expect(seen.value == [ping])

        let push = MP.pushPull(nodes: ["client", "other"], userState: [UInt8](repeating: 3, count: 500))
        let pull = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: push, timeout: .seconds(5))
        #expect(pull == MP.pushPull(nodes: ["server"], userState: [9, 9], join: false))
        #expect(seen.value.last == push)

        // Fire-and-forget (reliable user message): no reply read.
        let user = MP.userMsg([1, 2, 3])
        let none = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: user, timeout: .seconds(5), expectReply: false)
        #expect(none.isEmpty)
        #expect(await eventually { seen.value.count == 3 })
        #expect(seen.value.last == user)
        #expect(server.transport.stats.tcpAccepted == 3)
        await client.stop()
        await server.stop()
    }

    @Test func messageArrivingInPiecesIsReassembled() async throws {
        let seen = LockedBox<[[UInt8]]>([])
        let server = try await RunningTransport(handler: Self.pingResponder(seen))
        let push = MP.pushPull(nodes: ["a", "b"], userState: [UInt8](repeating: 5, count: 100))
        let chunks = [Array(push[0..<1]), Array(push[1..<10]), Array(push[10..<60]), Array(push[60...])]
        let reply = await rawTCPExchange(port: server.port, chunks: chunks)
        #expect(seen.value == [push])
        #expect(reply == MP.pushPull(nodes: ["server"], userState: [9, 9], join: false))
        await server.stop()
    }

    @Test func encryptedExchangeRoundTrip() async throws {
        let seen = LockedBox<[[UInt8]]>([])
        let ring = try GossipKeyring(primaryKey: keyA)
        let server = try await RunningTransport(keyring: ring, handler: Self.pingResponder(seen))
        let client = try await RunningTransport(keyring: ring)
        let ping = MP.ping(node: "server", seq: 77)
        let reply = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: ping, timeout: .seconds(5))
        #expect(reply == MP.ack(seq: 77))
        #expect(seen.value == [ping])

        // On the wire it is an encryptMsg frame: check with a raw socket.
        let frame = try ring.encryptStream(ping)
        let raw = await rawTCPExchange(port: server.port, chunks: [frame])
        #expect(raw.first == 10)
        #expect(try ring.decryptStream(raw) == MP.ack(seq: 77))
        await client.stop()
        await server.stop()
    }

    @Test func encryptionMismatchAndWrongKeyRejected() async throws {
        let seen = LockedBox<[[UInt8]]>([])
        let server = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyA), handler: Self.pingResponder(seen))
        let plain = try await RunningTransport()
        let wrong = try await RunningTransport(keyring: try GossipKeyring(primaryKey: keyB))
        let ping = MP.ping(node: "server", seq: 1)

        // Plaintext to an encrypted server: it answers with an encrypted errResp, which the
        // plaintext client refuses.
        await #expect(throws: GossipTransportError.self) {
            _ = try await plain.transport.exchange(host: "127.0.0.1", port: server.port, bytes: ping, timeout: .seconds(5))
        }
        // Wrong key: the server can't decrypt; its errResp can't be decrypted either.
        await #expect(throws: GossipTransportError.self) {
            _ = try await wrong.transport.exchange(host: "127.0.0.1", port: server.port, bytes: ping, timeout: .seconds(5))
        }
        #expect(await eventually { server.transport.stats.tcpRejectedInvalid == 2 })
        #expect(seen.value.isEmpty)
        for t in [server, plain, wrong] { await t.stop() }
    }

    @Test func oversizedMessageRejected() async throws {
        let seen = LockedBox<[[UInt8]]>([])
        let server = try await RunningTransport(configure: { $0.maxStreamMessageSize = 1024 }, handler: Self.pingResponder(seen))
        let client = try await RunningTransport()
        // Declared length too large: rejected from the header, answered with errResp (13).
        let big = MP.userMsg([UInt8](repeating: 1, count: 4096))
        let reply = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: big, timeout: .seconds(5))
        #expect(reply.first == 13)
        #expect(await eventually { server.transport.stats.tcpRejectedOversize == 1 })

        // Encrypted frame declaring 1 MiB against a 1 KiB limit.
        let ring = try GossipKeyring(primaryKey: keyA)
        let encServer = try await RunningTransport(keyring: ring, configure: { $0.maxStreamMessageSize = 1024 }, handler: Self.pingResponder(seen))
        let encClient = try await RunningTransport(keyring: ring)
        let huge = MP.compressed([UInt8](repeating: 2, count: 1 << 20))
        let encReply = try await encClient.transport.exchange(host: "127.0.0.1", port: encServer.port, bytes: huge, timeout: .seconds(5))
        #expect(encReply.first == 13)
        #expect(await eventually { encServer.transport.stats.tcpRejectedOversize == 1 })

        // The client enforces its own limit on replies too.
        let smallClient = try await RunningTransport(configure: { $0.maxStreamMessageSize = 16 })
        await #expect(throws: GossipTransportError.self) {
            _ = try await smallClient.transport.exchange(
                host: "127.0.0.1", port: server.port, bytes: MP.ping(node: "s", seq: 1), timeout: .seconds(5))
        }
        #expect(seen.value == [MP.ping(node: "s", seq: 1)])
        for t in [server, client, encServer, encClient, smallClient] { await t.stop() }
    }

    @Test func streamDeadlineAndExchangeTimeout() async throws {
        // The server's deadline closes a stream whose handler is too slow.
        let slow: GossipStreamHandler = { _, _ in
            try? await Task.sleep(for: .seconds(3))
            return MP.ack(seq: 1)
        }
        let server = try await RunningTransport(configure: { $0.streamTimeout = .milliseconds(300) }, handler: slow)
        let client = try await RunningTransport()
        let start = ContinuousClock.now
        await #expect(throws: GossipTransportError.self) {
            _ = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: MP.ping(node: "", seq: 1), timeout: .seconds(5))
        }
        #expect(ContinuousClock.now - start < .seconds(4))
        #expect(await eventually { server.transport.stats.tcpTimeouts == 1 })

        // A silent peer that never sends is also cut at the deadline.
        let silent = await rawTCPExchange(port: server.port, chunks: [], readTimeoutSeconds: 3)
        #expect(silent.isEmpty)
        #expect(await eventually { server.transport.stats.tcpTimeouts == 2 })

        // The client's own timeout.
        let lazy = try await RunningTransport(configure: { $0.streamTimeout = .seconds(5) }, handler: slow)
        let t0 = ContinuousClock.now
        await #expect(throws: GossipTransportError.timedOut) {
            _ = try await client.transport.exchange(host: "127.0.0.1", port: lazy.port, bytes: MP.ping(node: "", seq: 1), timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - t0 < .seconds(2.9))
        #expect(client.transport.stats.tcpTimeouts == 1)
        for t in [server, client, lazy] { await t.stop() }
    }

    @Test func concurrentStreamLimit() async throws {
        let release = LockedBox(false)
        let entered = LockedBox(0)
        let blocking: GossipStreamHandler = { _, _ in
            entered.withLock { $0 += 1 }
            while !release.value { try? await Task.sleep(for: .milliseconds(10)) }
            return MP.ack(seq: 1)
        }
        let server = try await RunningTransport(configure: { $0.maxConcurrentStreams = 1 }, handler: blocking)
        let client = try await RunningTransport()
        let first = Task {
            try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: MP.ping(node: "", seq: 1), timeout: .seconds(5))
        }
        #expect(await eventually { entered.value == 1 })
        await #expect(throws: GossipTransportError.self) {
            _ = try await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: MP.ping(node: "", seq: 2), timeout: .seconds(5))
        }
        #expect(server.transport.stats.tcpRejectedLimit == 1)
        release.withLock { $0 = true }
        #expect(try await first.value == MP.ack(seq: 1))
        // The slot is free again once the first stream has closed on the server, which may be just
        // after its answer reached the client: a new stream is accepted within a bounded wait.
        var answer: [UInt8]?
        for _ in 0..<50 where answer == nil {
            answer = try? await client.transport.exchange(host: "127.0.0.1", port: server.port, bytes: MP.ping(node: "", seq: 3), timeout: .seconds(5))
            if answer == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answer == MP.ack(seq: 1))
        await client.stop()
        await server.stop()
    }

    @Test func connectionRefusedFailsFast() async throws {
        let client = try await RunningTransport()
        // A port we just freed: nothing listens there.
        let gone = try await RunningTransport()
        let port = gone.port
        await gone.stop()
        await #expect(throws: (any Error).self) {
            _ = try await client.transport.exchange(host: "127.0.0.1", port: port, bytes: [0], timeout: .seconds(2))
        }
        await client.stop()
    }
}
