import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// Why a call on a connection got no usable reply. After any of these the connection is closed.
struct RedisIOError: Error, Equatable {
    enum Phase: Equatable {
        /// Connecting, AUTH or SCRIPT LOAD: the caller's command was never sent.
        case setup
        /// Sending: the command did not leave whole, so the node did not run it.
        case send
        /// Waiting for the reply: the node may or may not have run the command.
        case receive
    }
    var phase: Phase
    var message: String
    var timedOut: Bool
}

/// One blocking hiredis connection to one Redis node, with connect and I/O deadlines.
/// Not thread-safe: `RedisConnectionPool` lends it to one thread at a time.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    /// True once an I/O or protocol error made the connection unusable.
    private(set) var isBroken = false

    /// Closes the connection at check-in: a reply is pending or the peer is out of step.
    func markBroken() { isBroken = true }

    private init(context: UnsafeMutablePointer<redisContext>) { self.context = context }

    deinit { redisFree(context) }

    /// Connects, sets the I/O deadline, sends AUTH when a password is set.
    static func open(host: String, port: Int, connectTimeoutMs: Int, ioTimeoutMs: Int, password: String?) -> Result<RedisConnection, RedisIOError> {
        sm_redis_clear_errno()
        guard let context = redisConnectWithTimeout(host, Int32(port), timeval(ms: connectTimeoutMs)) else {
            return .failure(RedisIOError(phase: .setup, message: "connect \(host):\(port): out of memory", timedOut: false))
        }
        let connection = RedisConnection(context: context)
        if context.pointee.err != 0 {
            return .failure(connection.error(.setup, "connect \(host):\(port)"))
        }
        guard redisSetTimeout(context, timeval(ms: ioTimeoutMs)) == REDIS_OK else {
            return .failure(connection.error(.setup, "set timeout"))
        }
        if let password {
            switch connection.command([Array("AUTH".utf8), Array(password.utf8)]) {
            case .success(.status("OK")): break
            case .success(let other):
                return .failure(RedisIOError(phase: .setup, message: "AUTH refused: \(other.summary)", timedOut: false))
            case .failure(let e):
                return .failure(RedisIOError(phase: .setup, message: "AUTH: \(e.message)", timedOut: e.timedOut))
            }
        }
        return .success(connection)
    }

    /// Queues a command in the output buffer (sent by `flush`).
    func append(_ args: [[UInt8]]) {
        withArgv(args) { argc, argv, lengths in _ = redisAppendCommandArgv(context, argc, argv, lengths) }
    }

    /// Sends everything queued.
    func flush() -> RedisIOError? {
        var done: Int32 = 0
        sm_redis_clear_errno()
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK { return error(.send, "send") }
        }
        return nil
    }

    /// Reads the next reply (sending anything still queued first).
    func readReply() -> Result<RedisReply, RedisIOError> {
        var raw: UnsafeMutableRawPointer?
        sm_redis_clear_errno()
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
            return .failure(error(.receive, "receive"))
        }
        return .success(RedisReply.take(raw))
    }

    /// One command, one reply.
    func command(_ args: [[UInt8]]) -> Result<RedisReply, RedisIOError> {
        append(args)
        if let e = flush() { return .failure(e) }
        return readReply()
    }

    private func error(_ phase: RedisIOError.Phase, _ what: String) -> RedisIOError {
        isBroken = true
        let code = sm_redis_errno()
        let text = String(cString: sm_redis_errstr(context))
        // hiredis 0.14 reports a passed SO_RCVTIMEO/SO_SNDTIMEO deadline as an I/O error with EAGAIN.
        let timedOut = context.pointee.err == REDIS_ERR_IO && (code == EAGAIN || code == EWOULDBLOCK || code == ETIMEDOUT
            || text.contains("temporarily unavailable") || text.contains("timed out"))
        let kind = context.pointee.err == REDIS_ERR_PROTOCOL ? "protocol error" : context.pointee.err == REDIS_ERR_EOF ? "closed" : "I/O error"
        return RedisIOError(phase: phase, message: "\(what): \(kind): \(text)", timedOut: timedOut)
    }

    /// hiredis's argv form: pointers into one buffer holding every argument back to back.
    private func withArgv<T>(_ args: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T) -> T {
        var buffer = [UInt8]()
        buffer.reserveCapacity(args.reduce(1) { $0 + $1.count })
        for a in args { buffer.append(contentsOf: a) }
        if buffer.isEmpty { buffer.append(0) }
        var lengths = args.map(\.count)
        return buffer.withUnsafeBufferPointer { base in
            base.baseAddress!.withMemoryRebound(to: CChar.self, capacity: base.count) { start in
                var pointers = [UnsafePointer<CChar>?]()
                pointers.reserveCapacity(args.count)
                var offset = 0
                for length in lengths {
                    pointers.append(start + offset)
                    offset += length
                }
                return pointers.withUnsafeMutableBufferPointer { p in
                    lengths.withUnsafeMutableBufferPointer { l in body(Int32(args.count), p.baseAddress!, l.baseAddress!) }
                }
            }
        }
    }
}

extension timeval {
    init(ms: Int) { self.init(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000) }
}
