import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import NIOLoopExecutor
import SessionCore

/// What the session fast path shares with the router: the same session manager, activity window,
/// request metrics, miss reporter and body limit, so a request answered here is counted, logged and
/// rendered exactly as the router's `GET` / `PATCH /v1/sessions/{id}` would answer it.
public struct SessionFastPath: Sendable {
    let manager: SessionManager
    let activity: SessionActivity
    let metrics: RequestMetrics
    let misses: SessionMissReporter
    let maxBodyBytes: Int
    let serverName: String?
    let logger: Logger
    let inboxes = LoopInboxes()

    /// The metrics label of the route, as the router names it.
    static let route = "/v1/sessions/{id}"

    /// A call the fast path answers.
    enum Call: Equatable {
        case read(SessionID)
        case patch(SessionID, ifMatch: UInt64?, length: Int)
    }

    /// An answer, before the connection's own headers (`Content-Length`, `Date`, `Server`).
    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: [UInt8]
    }

    /// A handler for one connection, made on its event loop. It goes after Hummingbird's
    /// `HTTPConnectionStateHandler`, so idle timeouts and graceful shutdown see its requests too.
    public func handler(on loop: any EventLoop) -> any ChannelHandler {
        SessionFastPathHandler(path: self, inbox: inboxes.inbox(for: loop))
    }

    /// Installs the fast path on the bytes (`SessionWireHandler`) on an API connection whose
    /// pipeline is otherwise complete: it goes first, in front of the header timeout and NIO's
    /// decoder, and its `ExchangeObserver` right before Hummingbird's connection handler. It keeps
    /// the idle timeout of the connection itself: Hummingbird's must be off on this listener.
    public func installWirePath(on channel: any Channel, idleTimeout: TimeAmount) throws {
        let sync = channel.pipeline.syncOperations
        let ledger = ExchangeLedger()
        let state = try sync.handler(type: HTTPConnectionStateHandler.self)
        try sync.addHandler(ExchangeObserver(ledger: ledger), position: .before(state))
        try sync.addHandler(SessionWireHandler(path: self, inbox: inboxes.inbox(for: channel.eventLoop), ledger: ledger,
                                               idleTimeout: idleTimeout), position: .first)
    }

    /// The call a request asks for if the fast path answers it, else nil (the router does, and
    /// gives the precise error). The caller has already refused `Transfer-Encoding`, `Connection`
    /// and `Expect`. `target` is the request target; `contentLength` nil when absent.
    static func call(isGet: Bool, target: some Collection<UInt8>, contentLength: Int?, contentType: () -> String?,
                     ifMatch: () -> String?, maxBodyBytes: Int) -> Call? {
        let prefix = "/v1/sessions/".utf8
        guard target.starts(with: prefix) else { return nil }
        var rest = target.dropFirst(prefix.count)
        if let query = rest.firstIndex(of: UInt8(ascii: "?")) { rest = rest[..<query] }
        guard let id = SessionID(String(decoding: rest, as: UTF8.self)) else { return nil }
        let length = contentLength ?? 0
        if isGet { return length == 0 ? .read(id) : nil }
        guard length <= maxBodyBytes, RequestParsing.mediaType(of: contentType() ?? "", is: "application/merge-patch+json") else { return nil }
        let version: UInt64?
        do throws(SessionError) {
            version = try RequestParsing.ifMatch(ifMatch()) ?? nil
        } catch {
            return nil
        }
        return .patch(id, ifMatch: version, length: length)
    }

    /// Runs a call and hands its reply to `deliver` on the inbox's loop (never inline). A read
    /// takes no task; a merge patch runs in one task on the loop.
    func run(_ call: Call, body: [UInt8], inbox: LoopInbox, executor: EventLoopTaskExecutor,
             deliver: @escaping @Sendable (Reply) -> Void) {
        let started = metrics.begin()
        switch call {
        case .read(let id):
            manager.read(id) { result in
                inbox.post { deliver(self.reply(result, method: "GET", started: started)) }
            }
        case .patch(let id, let ifMatch, _):
            let manager = self.manager
            Task(executorPreference: executor) {
                let result: Result<SessionView, SessionError>
                do throws(SessionError) {
                    let members = try RequestParsing.jsonObject(body)
                    result = .success(try await manager.patch(id, patch: .object(members), ifMatch: ifMatch))
                } catch {
                    result = .failure(error)
                }
                inbox.post { deliver(self.reply(result, method: "PATCH", started: started)) }
            }
        }
    }

    /// The reply to a call's outcome, counted in the request metrics.
    func reply(_ result: Result<SessionView, SessionError>, method: String, started: ContinuousClock.Instant) -> Reply {
        switch result {
        case .success(let view):
            activity.touch(view.id, now: view.record.lastAccessAt)
            return reply(status: .ok, headers: view.responseHeaders(), body: view.json(), method: method, started: started)
        case .failure(let failure):
            misses.report(failure, logger: logger)
            let error = APIError(failure)
            return reply(status: error.status, headers: error.responseHeaders, body: error.body, method: method, started: started)
        }
    }

    func reply(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], method: String, started: ContinuousClock.Instant) -> Reply {
        metrics.end(started, route: Self.route, method: method, status: status.code)
        return Reply(status: status, headers: headers, body: body)
    }

    /// A reply's headers as the router sends them: its own, then the connection's (`connectionFields`).
    func responseHeaders(_ reply: Reply, date: inout HTTPDate) -> HTTPFields {
        var headers = reply.headers
        connectionFields(of: reply, date: &date) { headers[$0] = $1 }
        return headers
    }

    /// A reply's whole head as the router sends it, written straight into `out`: the status line,
    /// the reply's own headers, the connection's, the blank line. The same fields in the same
    /// order as `responseHeaders` (a reply's own headers never name the connection's three), without
    /// copying the reply's `HTTPFields` to add them.
    func writeHead(_ reply: Reply, date: inout HTTPDate, into out: inout ByteBuffer) {
        out.writeStaticString("HTTP/1.1 ")
        out.writeString(String(reply.status.code))
        out.writeStaticString(" ")
        out.writeString(reply.status.reasonPhrase)
        out.writeStaticString("\r\n")
        func field(_ name: HTTPField.Name, _ value: String) {
            out.writeString(name.rawName)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        for header in reply.headers { field(header.name, header.value) }
        connectionFields(of: reply, date: &date, field)
        out.writeStaticString("\r\n")
    }

    /// The headers every answer gets after its own: `Content-Length`, `Date` and `Server`.
    private func connectionFields(of reply: Reply, date: inout HTTPDate, _ field: (HTTPField.Name, String) -> Void) {
        field(.contentLength, String(reply.body.count))
        field(.date, date.now())
        if let serverName { field(.server, serverName) }
    }
}
