import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Limits of one HTTP listener (API socket or admin port).
public struct HTTPGuardSettings: Sendable {
    /// Open connections at most; at the cap the listener stops accepting (new connections wait
    /// in the kernel's backlog) until one closes.
    var maxConnections: Int
    /// The request head must be complete this long after its first byte arrived.
    var headerTimeout: TimeAmount
    /// Only these `Host` values are answered (nil: any). For the admin port: loopback names.
    var allowedHosts: (@Sendable (String) -> Bool)?

    public init(maxConnections: Int, headerTimeout: TimeAmount, allowedHosts: (@Sendable (String) -> Bool)? = nil) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.allowedHosts = allowedHosts
    }
}

/// Counts a listener's connections for Hummingbird's accept gate and says so, rate-limited, when
/// the cap is reached.
public struct ConnectionCap: AvailableConnectionsDelegate {
    let max: Int
    let listener: String
    let logger: Logger
    let reached = CapLog()
    var open = 0

    public init(max: Int, listener: String, logger: Logger) {
        self.max = max
        self.listener = listener
        self.logger = logger
    }

    public mutating func connectionOpened() {
        open += 1
        guard open >= max else { return }
        let (times, log) = reached.state.withLock { r -> (Int, Bool) in
            r.count += 1
            if let last = r.lastLog, ContinuousClock.now - last < .seconds(10) { return (r.count, false) }
            r.lastLog = .now
            return (r.count, true)
        }
        if log {
            logger.warning("connection limit reached: new connections wait until one closes", metadata: [
                "listener": "\(listener)", "maxConnections": "\(max)", "times_reached": "\(times)",
            ])
        }
    }

    public mutating func connectionClosed() { open -= 1 }

    public func isAcceptingNewConnections() -> Bool { open < max }
}

final class CapLog: Sendable {
    let state = Mutex<(count: Int, lastLog: ContinuousClock.Instant?)>((0, nil))
}

/// Per-connection state shared by the two guard handlers (both run on the channel's loop).
final class RequestHeadClock {
    var awaitingHead = true
    /// When the first byte of the head now awaited arrived (nil: none yet).
    var headStarted: NIODeadline?
    var timer: Scheduled<Void>?
}

/// First handler of the pipeline (raw bytes): the first byte of a request starts its header
/// clock; the connection is closed if the head is not complete in time (slowloris).
///
/// One timer per connection, not one per request: it is armed when a head starts and none is
/// armed, and when it fires it closes the connection only if the head it was armed for, or a
/// later one, is still incomplete past its deadline (else it re-arms for the pending head, or
/// stops). Under load it fires once per timeout, instead of a timer scheduled and cancelled for
/// every request.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let clock: RequestHeadClock
    let timeout: TimeAmount

    init(clock: RequestHeadClock, timeout: TimeAmount) {
        self.clock = clock
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if clock.awaitingHead, clock.headStarted == nil {
            let started = NIODeadline.now()
            clock.headStarted = started
            if clock.timer == nil { Self.arm(clock, timeout: timeout, channel: context.channel, deadline: started + timeout) }
        }
        context.fireChannelRead(data)
    }

    private static func arm(_ clock: RequestHeadClock, timeout: TimeAmount, channel: any Channel, deadline: NIODeadline) {
        let bound = NIOLoopBound(clock, eventLoop: channel.eventLoop)
        clock.timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            let clock = bound.value
            clock.timer = nil
            guard clock.awaitingHead, let started = clock.headStarted else { return }
            if started + timeout <= .now() {
                channel.close(promise: nil)
            } else {
                arm(clock, timeout: timeout, channel: channel, deadline: started + timeout)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.timer?.cancel()
        clock.timer = nil
        context.fireChannelInactive()
    }
}

/// Sits between NIO's HTTP/1 codec and Hummingbird's HTTP-types codec:
/// - a request head stops the header timer; its end re-arms it for the next request;
/// - a request that does not ask for keep-alive (HTTP/1.0 without `Connection: keep-alive`, or
///   any `Connection: close`) is marked `Connection: close`, so it is answered and the
///   connection closed;
/// - a response marked `Connection: close` (413 before the body, 501, 400 for a bad body) ends
///   the connection once written: output is shut at once (the client sees the whole response
///   and EOF) and the socket closed shortly after, without reading the rest of the body;
/// - for the admin port, a `Host` that is not loopback is answered 421 and closed (DNS rebinding).
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let clock: RequestHeadClock
    let allowedHosts: (@Sendable (String) -> Bool)?
    private var closeAfterResponse = false
    private var rejecting = false

    init(clock: RequestHeadClock, allowedHosts: (@Sendable (String) -> Bool)?) {
        self.clock = clock
        self.allowedHosts = allowedHosts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if rejecting { return }
        switch unwrapInboundIn(data) {
        case .head(var head):
            clock.awaitingHead = false
            clock.headStarted = nil
            if let allowed = allowedHosts {
                let host = head.headers.first(name: "host") ?? ""
                if !allowed(host) {
                    reject(context: context, status: .misdirectedRequest,
                           body: #"{"error":{"code":"bad_host","message":"the admin port answers only loopback Host names"}}"#)
                    return
                }
            }
            if !head.isKeepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            clock.awaitingHead = true
            context.fireChannelRead(data)
        }
    }

    /// Answers without passing the request on, then shuts the connection.
    private func reject(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String) {
        rejecting = true
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        finish(context: context, end: wrapOutboundOut(.end(nil)), promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headers.contains(name: "connection"),
               head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                closeAfterResponse = true
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            if closeAfterResponse {
                finish(context: context, end: data, promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        }
    }

    /// Writes the last part, shuts output once it is out, and closes the channel a moment later
    /// (an immediate close with unread input would reset the connection and could lose the reply).
    private func finish(context: ChannelHandlerContext, end: NIOAny, promise: EventLoopPromise<Void>?) {
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(end, promise: written)
        written.futureResult.whenComplete { result in
            promise?.completeWith(result)
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: .milliseconds(500)) { channel.close(promise: nil) }
        }
    }
}

extension HTTPGuardSettings {
    /// Installs the guards on a child channel that Hummingbird's HTTP1Channel has set up.
    func install(on channel: any Channel) throws {
        let clock = RequestHeadClock()
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HeaderTimeoutHandler(clock: clock, timeout: headerTimeout), position: .first)
        let decoder = try sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try sync.addHandler(HTTPEdgeHandler(clock: clock, allowedHosts: allowedHosts), position: .after(decoder))
    }

    /// `localhost`, `127.x.y.z`, `[::1]`, each with or without a port.
    public static func isLoopbackHost(_ value: String) -> Bool {
        var host = value.trimmingCharacters(in: .whitespaces).lowercased()
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1) else { return false }
            return host[host.index(after: host.startIndex)..<close] == "::1"
        }
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
            host = String(host[..<colon])
        }
        if host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) && (Int(p) ?? 256) <= 255 }
    }
}
