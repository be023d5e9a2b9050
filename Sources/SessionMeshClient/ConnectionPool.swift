import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Keep-alive connections to the sidecar's Unix socket, reused across requests. At most
/// `maxConnections` are open; a request beyond that waits for one to come back.
final class ConnectionPool: Sendable {
    private struct State {
        var idle: [any Channel] = []
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    let socketPath: String
    let maxConnections: Int
    let group: any EventLoopGroup

    init(socketPath: String, maxConnections: Int, group: any EventLoopGroup) {
        self.socketPath = socketPath
        self.maxConnections = maxConnections
        self.group = group
    }

    func withConnection<T>(_ body: (any Channel) async throws -> T) async throws -> T {
        let channel = try await checkout()
        do {
            let result = try await body(channel)
            checkin(channel, reusable: true)
            return result
        } catch {
            checkin(channel, reusable: false)
            throw error
        }
    }

    private func checkout() async throws -> any Channel {
        while true {
            enum Step { case use(any Channel), connect, wait }
            let step: Step = state.withLock { s in
                while let channel = s.idle.popLast() {
                    if channel.isActive { return .use(channel) }
                    s.open -= 1
                }
                if s.open < maxConnections { s.open += 1; return .connect }
                return .wait
            }
            switch step {
            case .use(let channel): return channel
            case .connect:
                do { return try await connect() } catch {
                    release()
                    throw SessionMeshError.transport("cannot connect to \(socketPath): \(error)")
                }
            case .wait:
                await withCheckedContinuation { c in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.idle.isEmpty || s.open < maxConnections { return true }
                        s.waiters.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    private func checkin(_ channel: any Channel, reusable: Bool) {
        if reusable && channel.isActive {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.idle.append(channel)
                return s.waiters.isEmpty ? nil : s.waiters.removeFirst()
            }
            waiter?.resume()
        } else {
            channel.close(promise: nil)
            release()
        }
    }

    private func release() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.open -= 1
            return s.waiters.isEmpty ? nil : s.waiters.removeFirst()
        }
        waiter?.resume()
    }

    private func connect() async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(unixDomainSocketPath: socketPath).get()
    }

    func close() {
        let channels = state.withLock { s -> [any Channel] in
            defer { s.idle.removeAll() }
            return s.idle
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
