import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
@testable import GossipNIO

#if canImport(Glibc)
import Glibc
#endif

/// A transport bound to 127.0.0.1 on a free port, running in a task.
final class RunningTransport: Sendable {
    let transport: GossipTransport
    let port: Int
    let address: SocketAddress
    private let runTask: Task<Void, any Error>
    /// Every packet received, collected by a single consumer task.
    let received: LockedBox<[GossipTransportPacket]>
    private let consumer: Task<Void, Never>?

    init(
        keyring: GossipKeyring? = nil,
        collect: Bool = true,
        configure: (inout GossipTransportConfig) -> Void = { _ in },
        handler: GossipStreamHandler? = nil
    ) async throws {
        var config = GossipTransportConfig(host: "127.0.0.1", port: 0, keyring: keyring)
        configure(&config)
        var logger = Logger(label: "test.gossip")
        logger.logLevel = .error
        let transport = GossipTransport(config: config, logger: logger, streamHandler: handler)
        self.transport = transport
        self.address = try await transport.bind()
        self.port = address.port!
        self.runTask = Task { try await transport.run() }
        let box = LockedBox<[GossipTransportPacket]>([])
        self.received = box
        if collect {
            consumer = Task {
                for await packet in transport.packets {
                    box.withLock { $0.append(packet) }
                }
            }
        } else {
            consumer = nil
        }
    }

    var packets: [GossipTransportPacket] { received.withLock { $0 } }

    /// Stops the transport (cancellation) and waits, bounded, for run() to return.
    func stop() async {
        runTask.cancel()
        _ = await runTask.result
        await consumer?.value
    }
}

final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
@discardableResult
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Waits (at most `timeout`) until `value` stops changing for 200 ms; returns it.
func settled(timeout: Duration = .seconds(10), _ value: () -> Int) async -> Int {
    let deadline = ContinuousClock.now + timeout
    var last = value()
    while ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(200))
        let now = value()
        if now == last { return now }
        last = now
    }
    return last
}

/// Runs blocking work on its own thread, so it never starves Swift's cooperative pool
/// (2 threads on this machine), where the transports' tasks run.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// Sends raw datagrams from a plain blocking socket to 127.0.0.1:port (on its own thread).
func rawUDPSend(port: Int, payloads: [[UInt8]], repeatCount: Int = 1) async -> Int {
    await onThread { blockingUDPSend(port: port, payloads: payloads, repeatCount: repeatCount) }
}

private func blockingUDPSend(port: Int, payloads: [[UInt8]], repeatCount: Int) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var sent = 0
    for _ in 0..<repeatCount {
        for payload in payloads {
            let result = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if result >= 0 { sent += 1 }
        }
    }
    return sent
}

/// Writes `chunks` to 127.0.0.1:port over a blocking TCP socket with pauses, then reads
/// until EOF (bounded by a receive timeout). Returns what was read. Runs on its own thread.
func rawTCPExchange(port: Int, chunks: [[UInt8]], pauseMicroseconds: UInt32 = 30_000, readTimeoutSeconds: Int = 5) async -> [UInt8] {
    await onThread {
        blockingTCPExchange(port: port, chunks: chunks, pauseMicroseconds: pauseMicroseconds, readTimeoutSeconds: readTimeoutSeconds)
    }
}

private func blockingTCPExchange(port: Int, chunks: [[UInt8]], pauseMicroseconds: UInt32, readTimeoutSeconds: Int) -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return [] }
    for chunk in chunks {
        _ = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        usleep(pauseMicroseconds)
    }
    var out = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return out
}
