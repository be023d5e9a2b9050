/// A text-protocol response line (or, for `.value`, a VALUE line and its data block).
/// Retrieval answers are a sequence of `.value` followed by `.end`; `stats` is `.stat` lines then `.end`.
public enum TextResponse: Sendable, Equatable {
    /// `VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n`; cas is set for gets/gats.
    case value(key: [UInt8], flags: UInt32, data: [UInt8], cas: UInt64?)
    case end
    case stored
    case notStored
    case exists
    case notFound
    case deleted
    case touched
    case ok
    /// The new value after incr/decr.
    case number(UInt64)
    /// `VERSION <version>`
    case version(String)
    /// `STAT <name> <value>`
    case stat(name: String, value: String)
    /// `ERROR`: an unknown command or a command with the wrong number of tokens.
    case error
    /// `CLIENT_ERROR <why>`: the client sent something malformed.
    case clientError(String)
    /// `SERVER_ERROR <why>`: the server cannot do it (no quorum, too large, refused).
    case serverError(String)

    /// Appends the wire bytes to `out`.
    public func encode(into out: inout [UInt8]) {
        switch self {
        case let .value(key, flags, data, cas):
            TextResponseEncoder.appendValueHeader(key: key, flags: flags, length: data.count, cas: cas, to: &out)
            out.append(contentsOf: data)
            ASCII.append("\r\n", to: &out)
        case .end: ASCII.append("END\r\n", to: &out)
        case .stored: ASCII.append("STORED\r\n", to: &out)
        case .notStored: ASCII.append("NOT_STORED\r\n", to: &out)
        case .exists: ASCII.append("EXISTS\r\n", to: &out)
        case .notFound: ASCII.append("NOT_FOUND\r\n", to: &out)
        case .deleted: ASCII.append("DELETED\r\n", to: &out)
        case .touched: ASCII.append("TOUCHED\r\n", to: &out)
        case .ok: ASCII.append("OK\r\n", to: &out)
        case let .number(n):
            ASCII.appendDecimal(n, to: &out)
            ASCII.append("\r\n", to: &out)
        case let .version(v):
            ASCII.append("VERSION ", to: &out)
            TextResponseEncoder.appendLineSafe(v, to: &out)
            ASCII.append("\r\n", to: &out)
        case let .stat(name, value):
            ASCII.append("STAT ", to: &out)
            TextResponseEncoder.appendLineSafe(name, to: &out)
            out.append(ASCII.space)
            TextResponseEncoder.appendLineSafe(value, to: &out)
            ASCII.append("\r\n", to: &out)
        case .error: ASCII.append("ERROR\r\n", to: &out)
        case let .clientError(why):
            ASCII.append("CLIENT_ERROR ", to: &out)
            TextResponseEncoder.appendLineSafe(why, to: &out)
            ASCII.append("\r\n", to: &out)
        case let .serverError(why):
            ASCII.append("SERVER_ERROR ", to: &out)
            TextResponseEncoder.appendLineSafe(why, to: &out)
            ASCII.append("\r\n", to: &out)
        }
    }

    /// memcached's answer to `flush_all` when flushing is disabled (`-F`).
    public static let flushAllNotAllowed = TextResponse.clientError("flush_all not allowed")

    /// The wire bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }
}

/// Pieces for a server that writes values without building a `TextResponse` (e.g. the value
/// bytes straight from the store into a NIO buffer): the VALUE header, then the data, then `\r\n`.
public enum TextResponseEncoder {
    /// `VALUE <key> <flags> <length>[ <cas>]\r\n`
    public static func appendValueHeader(key: [UInt8], flags: UInt32, length: Int, cas: UInt64?, to out: inout [UInt8]) {
        ASCII.append("VALUE ", to: &out)
        out.append(contentsOf: key)
        out.append(ASCII.space)
        ASCII.appendDecimal(UInt64(flags), to: &out)
        out.append(ASCII.space)
        ASCII.appendDecimal(UInt64(length), to: &out)
        if let cas {
            out.append(ASCII.space)
            ASCII.appendDecimal(cas, to: &out)
        }
        ASCII.append("\r\n", to: &out)
    }

    /// Appends a server-chosen text with CR and LF replaced by spaces, so that it can never
    /// end the line early and forge a second response.
    static func appendLineSafe(_ s: String, to out: inout [UInt8]) {
        for b in s.utf8 {
            out.append(b == ASCII.cr || b == ASCII.lf ? ASCII.space : b)
        }
    }
}
