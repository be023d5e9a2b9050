/// What the byte-level session path (`SessionWireHandler`) makes of the bytes at the front of a
/// connection's input. Pure: no I/O, no allocation but the session id's string.
enum RequestFrame: Equatable {
    /// The head is not complete yet.
    case incomplete
    /// Not framed here: `Transfer-Encoding`, a head this parser does not take as plain HTTP/1.1
    /// (NIO's decoder then gives the precise error), or a head over `RequestFraming.maxHeadBytes`.
    /// The connection's input goes to NIO's decoder from here on.
    case unframeable
    /// A request of `headLength + bodyLength` bytes (its body by `Content-Length`); `call` when the
    /// session fast path answers it, nil when the router does.
    case request(headLength: Int, bodyLength: Int, call: SessionFastPath.Call?)
}

/// HTTP/1.1 request framing for the session fast path, written from RFC 9112 and stricter than
/// NIO's decoder: whatever it is not sure of is `unframeable`, and NIO's decoder decides.
/// - request line: `method SP target SP HTTP/1.1 CRLF`, method a token, target visible ASCII;
/// - header lines: `name ":" OWS value OWS CRLF`, name a token, value visible ASCII, blanks or
///   bytes ≥ 0x80; no bare CR or LF, no obsolete line folding, at most `maxHeaderLines` lines;
/// - body: `Content-Length` (one, digits only); any `Transfer-Encoding` is unframeable.
enum RequestFraming {
    /// Longest head taken here (NIO's decoder has its own limits for the rest).
    static let maxHeadBytes = 16 * 1024
    static let maxHeaderLines = 64

    static func frame(_ bytes: UnsafeRawBufferPointer, maxBodyBytes: Int) -> RequestFrame {
        let n = bytes.count
        // The request line.
        var i = 0
        let methodEnd = scanToken(bytes, from: 0)
        guard methodEnd > 0 else { return prefixOrGarbage(bytes) }
        guard methodEnd < n else { return tooLong(n) }
        guard bytes[methodEnd] == space else { return .unframeable }
        let targetStart = methodEnd + 1
        i = targetStart
        while i < n, bytes[i] > space, bytes[i] < 0x7F { i += 1 }
        guard i < n else { return tooLong(n) }
        guard bytes[i] == space, i > targetStart else { return .unframeable }
        let targetEnd = i
        let version = "HTTP/1.1\r\n".utf8
        i += 1
        for expected in version {
            guard i < n else { return .incomplete }
            guard bytes[i] == expected else { return .unframeable }
            i += 1
        }
        // Header lines.
        var contentLength: Int?
        var refused = false
        var contentType: Range<Int>?
        var ifMatch: Range<Int>?
        var lines = 0
        while true {
            guard i < n else { return tooLong(n) }
            if bytes[i] == cr {
                guard i + 1 < n else { return tooLong(n) }
                guard bytes[i + 1] == lf else { return .unframeable }
                i += 2
                break
            }
            lines += 1
            guard lines <= maxHeaderLines else { return .unframeable }
            let nameStart = i
            let nameEnd = scanToken(bytes, from: i)
            guard nameEnd > nameStart else { return .unframeable }
            guard nameEnd < n else { return tooLong(n) }
            guard bytes[nameEnd] == colon else { return .unframeable }
            i = nameEnd + 1
            while i < n, bytes[i] == space || bytes[i] == tab { i += 1 }
            let valueStart = i
            var valueEnd = i
            while i < n, bytes[i] != cr {
                let b = bytes[i]
                guard b == tab || b >= space, b != 0x7F else { return .unframeable }
                i += 1
                if b != space && b != tab { valueEnd = i }
            }
            guard i + 1 < n else { return tooLong(n) }
            guard bytes[i + 1] == lf else { return .unframeable }
            i += 2
            let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd])
            if equalsIgnoringCase(name, "content-length") {
                guard contentLength == nil, let value = decimal(bytes, valueStart..<valueEnd) else { return .unframeable }
                contentLength = value
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                return .unframeable
            } else if equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "expect") {
                refused = true
            } else if equalsIgnoringCase(name, "content-type") {
                if contentType != nil { refused = true }
                contentType = valueStart..<valueEnd
            } else if equalsIgnoringCase(name, "if-match") {
                if ifMatch != nil { refused = true }
                ifMatch = valueStart..<valueEnd
            }
        }
        guard i <= maxHeadBytes else { return .unframeable }
        let method = UnsafeRawBufferPointer(rebasing: bytes[0..<methodEnd])
        let isGet = method.elementsEqual("GET".utf8)
        var call: SessionFastPath.Call?
        if !refused, isGet || method.elementsEqual("PATCH".utf8) {
            func text(_ range: Range<Int>?) -> String? { range.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) } }
            call = SessionFastPath.call(isGet: isGet, target: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<targetEnd]),
                                        contentLength: contentLength, contentType: { text(contentType) },
                                        ifMatch: { text(ifMatch) }, maxBodyBytes: maxBodyBytes)
        }
        return .request(headLength: i, bodyLength: contentLength ?? 0, call: call)
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n"), colon = UInt8(ascii: ":")

    /// An incomplete head within the size limit waits for more bytes; beyond it, NIO's decoder decides.
    private static func tooLong(_ n: Int) -> RequestFrame { n >= maxHeadBytes ? .unframeable : .incomplete }

    /// No method at the start: nothing yet, or not a request line this parser takes.
    private static func prefixOrGarbage(_ bytes: UnsafeRawBufferPointer) -> RequestFrame {
        bytes.isEmpty ? .incomplete : .unframeable
    }

    /// The end of the RFC 9110 token starting at `start` (`start` itself when there is none).
    private static func scanToken(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var i = start
        while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
        return i
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// ASCII case-insensitive comparison with a lowercase name.
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for k in 0..<bytes.count where bytes[k] | 0x20 != expected[k] { return false }
        return true
    }

    /// A `Content-Length` value: 1 to 18 digits, nothing else.
    private static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for k in range {
            let digit = bytes[k] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}
