import CHiredis

/// One RESP reply, copied out of hiredis's reply object (which is freed at once).
enum RedisReply: Equatable {
    case string([UInt8])
    case status(String)
    case error(String)
    case integer(Int64)
    case null
    case array([RedisReply])

    /// Copies and frees a reply hiredis handed over. Unknown types become `.error`.
    static func take(_ raw: UnsafeMutableRawPointer) -> RedisReply {
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return copy(reply)
    }

    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        func bytes() -> [UInt8] {
            guard let str = r.str, r.len > 0 else { return [] }
            return str.withMemoryRebound(to: UInt8.self, capacity: r.len) { Array(UnsafeBufferPointer(start: $0, count: r.len)) }
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .string(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(r.integer)
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ARRAY:
            guard let element = r.element else { return .array([]) }
            return .array((0..<r.elements).map { i in element[i].map(copy) ?? .null })
        default: return .error("unknown reply type \(r.type)")
        }
    }

    /// Short text for logs: never the stored bytes.
    var summary: String {
        switch self {
        case .string(let b): "bulk string (\(b.count) bytes)"
        case .status(let s): "status \(s.prefix(40))"
        case .error(let e): "error \(e.prefix(120))"
        case .integer(let i): "integer \(i)"
        case .null: "nil"
        case .array(let a): "array of \(a.count)"
        }
    }
}
