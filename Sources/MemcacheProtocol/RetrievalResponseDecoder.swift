/// The client side of the text protocol's retrieval: the `gets` line a client sends, and an
/// incremental, bounded decoder of what memcached answers to it (`protocol.txt`, "Retrieval
/// command"):
///
///     VALUE <key> <flags> <bytes> [<cas unique>]\r\n
///     <data block>\r\n
///     ...
///     END\r\n
///
/// Feed the decoder bytes as they arrive; it emits each item and each `END`, in order, and keeps
/// only an incomplete tail: a partial line never exceeds `maxLineLength`, a partial data block
/// never exceeds `maxValueLength + 2`. Anything else (an error line, a malformed or over-long line,
/// a value above the bound, a data block not ending in `\r\n`) is `.failure`, after which the
/// decoder ignores every later byte: the connection has lost its framing and must be closed.
public struct RetrievalResponseDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        case value(key: String, flags: UInt32, cas: UInt64, data: [UInt8])
        /// The end of one retrieval's answer.
        case end
        /// The answer cannot be decoded; why, for a log line.
        case failure(String)
    }

    public let maxLineLength: Int
    public let maxValueLength: Int

    private enum State: Sendable {
        case line
        case data(key: String, flags: UInt32, cas: UInt64, length: Int)
        case failed
    }

    private var state = State.line
    private var pending = [UInt8]()

    public init(maxLineLength: Int = 2048, maxValueLength: Int) {
        self.maxLineLength = maxLineLength
        self.maxValueLength = maxValueLength
    }

    /// True once the framing is lost.
    public var hasFailed: Bool { if case .failed = state { true } else { false } }

    /// The request line of a multi-key `gets`: `gets k1 k2 …\r\n`. Keys must be valid memcached
    /// keys (1–250 bytes, no spaces or control characters); the caller's keys are derived ones.
    public static func getsRequest<Keys: Sequence>(_ keys: Keys, into out: inout [UInt8]) where Keys.Element == String {
        out.append(contentsOf: "gets".utf8)
        for key in keys {
            out.append(0x20)
            out.append(contentsOf: key.utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .failed:
                return
            case .line:
                // Find the end of the line in the new bytes.
                var j = i
                while j < n, bytes[j] != 0x0A { j += 1 }
                if j == n {
                    guard pending.count + (n - i) <= maxLineLength else { return fail("response line too long", emit) }
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<n]))
                    return
                }
                guard pending.count + (j - i) <= maxLineLength else { return fail("response line too long", emit) }
                let event: Event?
                if pending.isEmpty {
                    event = line(UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                } else {
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<j]))
                    let whole = pending
                    pending.removeAll(keepingCapacity: true)
                    event = whole.withUnsafeBytes { line($0) }
                }
                i = j + 1
                if let event {
                    if case .failure = event { state = .failed }
                    emit(event)
                }
            case .data(let key, let flags, let cas, let length):
                let need = length + 2 - pending.count
                let take = min(need, n - i)
                if take == need, pending.isEmpty {
                    // The whole block is in this read: no copy into `pending`.
                    let block = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])
                    guard block[length] == 0x0D, block[length + 1] == 0x0A else { return fail("data block not ending in CRLF", emit) }
                    state = .line
                    emit(.value(key: key, flags: flags, cas: cas, data: Array(UnsafeRawBufferPointer(rebasing: block[0..<length]))))
                } else {
                    if pending.isEmpty { pending.reserveCapacity(length + 2) }
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                    if take == need {
                        guard pending[length] == 0x0D, pending[length + 1] == 0x0A else { return fail("data block not ending in CRLF", emit) }
                        pending.removeLast(2)
                        let data = pending
                        pending = []
                        state = .line
                        emit(.value(key: key, flags: flags, cas: cas, data: data))
                    }
                }
                i += take
            }
        }
    }

    private mutating func fail(_ why: String, _ emit: (Event) -> Void) {
        state = .failed
        pending = []
        emit(.failure(why))
    }

    /// One line without its `\n` (a `\r` before it is dropped). Nil when it starts a data block.
    private mutating func line(_ raw: UnsafeRawBufferPointer) -> Event? {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
        if line.elementsEqual("END".utf8) { return .end }
        var tokens = [UnsafeRawBufferPointer]()
        var start = 0
        for k in 0...line.count where k == line.count || line[k] == 0x20 {
            if k > start { tokens.append(UnsafeRawBufferPointer(rebasing: line[start..<k])) }
            start = k + 1
        }
        guard let first = tokens.first, first.elementsEqual("VALUE".utf8) else {
            return .failure("unexpected response line: \(String(decoding: line.prefix(120), as: UTF8.self))")
        }
        guard tokens.count == 4 || tokens.count == 5, tokens[1].count <= 250,
              let flags = number(tokens[2]).flatMap(UInt32.init(exactly:)),
              let length = number(tokens[3]).flatMap(Int.init(exactly:)) else {
            return .failure("malformed VALUE line")
        }
        guard length <= maxValueLength else { return .failure("value of \(length) bytes above the bound of \(maxValueLength)") }
        var cas: UInt64 = 0
        if tokens.count == 5 {
            guard let parsed = number(tokens[4]) else { return .failure("malformed VALUE line") }
            cas = parsed
        }
        state = .data(key: String(decoding: tokens[1], as: UTF8.self), flags: flags, cas: cas, length: length)
        return nil
    }

    private func number(_ token: UnsafeRawBufferPointer) -> UInt64? {
        let digits = token.bindMemory(to: UInt8.self)
        return ASCII.parseUInt64(digits, 0, digits.count)
    }
}
