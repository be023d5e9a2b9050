/// One thing the text decoder produced: a complete request, or an error to answer.
public enum TextDecodeEvent: Sendable, Equatable {
    case request(MemcacheRequest)
    case error(TextDecodeError)
}

/// A malformed request and memcached's answer to it.
public struct TextDecodeError: Sendable, Equatable, Error {
    /// `ERROR`, `CLIENT_ERROR <why>` or `SERVER_ERROR <why>`, as memcached words it.
    public var response: TextResponse
    /// The offending command ended in `noreply`. memcached sends no answer then (the client would
    /// otherwise read it as the answer to its next command); `shouldRespond` says so.
    public var noreply: Bool
    /// The decoder lost the command framing (endless line, unknown data block length, data block
    /// not ending in `\r\n`): answer, then close. The decoder ignores every later byte.
    public var closeConnection: Bool

    public init(_ response: TextResponse, noreply: Bool = false, closeConnection: Bool = false) {
        self.response = response
        self.noreply = noreply
        self.closeConnection = closeConnection
    }

    /// Whether the server should write `response`: not for a `noreply` command (as memcached),
    /// except right before closing, where no later answer can be confused with it.
    public var shouldRespond: Bool { !noreply || closeConnection }
}

/// The text protocol's request decoder: an incremental, bounded state machine.
///
/// Feed it bytes as they arrive; it emits every complete request or error, in order, and keeps
/// only an incomplete tail. Memory is bounded by the limits: a partial line never exceeds
/// `maxLineLength` (`maxRetrievalLineLength` for get/gets/gat/gats) plus one byte for a `\r`,
/// and a partial data block never exceeds `maxValueLength + 2`.
///
/// Decisions (memcached differs where noted):
/// - Lines end in `\n`, with an optional `\r` before it; tokens are separated by one or more spaces.
/// - An over-long line: `CLIENT_ERROR line too long`, close (memcached closes too, but lets get lines grow unbounded).
/// - A storage command whose data block cannot be located (wrong token count, a non-numeric, negative
///   or absurd `<bytes>`): `CLIENT_ERROR bad command line format`, close. memcached answers and then
///   reads the data block as commands, which would let stored bytes run as commands.
/// - A storage command with a valid `<bytes>` but a bad key, flags, exptime or cas unique:
///   `CLIENT_ERROR bad command line format`, the data block is swallowed, the connection continues.
/// - `<bytes>` above `maxValueLength`: `SERVER_ERROR object too large for cache`, the data block is
///   swallowed without buffering, the connection continues (as memcached).
/// - A data block not followed by `\r\n`: `CLIENT_ERROR bad data chunk`, close (memcached continues,
///   reading the rest of the client's bytes as commands).
public struct TextRequestDecoder: Sendable {
    public let limits: MemcacheLimits

    private enum State: Sendable { case line, data, swallow, closed }

    private struct StorageHeader: Sendable {
        var mode: StoreMode
        var key: [UInt8]
        var flags: UInt32
        var exptime: Int64
        var cas: UInt64
        var noreply: Bool
        var meta: MetaRequestContext? = nil
    }

    private enum LineOutcome {
        case request(MemcacheRequest)
        case error(TextDecodeError)
        case data(StorageHeader, length: Int)
        case swallow(TextDecodeError, length: Int)
    }

    private var state: State = .line
    /// A partial command line.
    private var pending: [UInt8] = []
    /// A partial data block, `\r\n` included.
    private var data: [UInt8] = []
    private var dataNeeded = 0
    private var storage: StorageHeader?
    private var swallowRemaining = 0
    /// Token bounds of the line being parsed: start0, end0, start1, end1, ...
    private var tokens: [Int] = []

    public init(limits: MemcacheLimits = MemcacheLimits()) {
        self.limits = limits
        tokens.reserveCapacity(32)
    }

    /// True once an error closed the connection; every later byte is ignored.
    public var isClosed: Bool { state == .closed }

    /// Bytes the decoder holds right now (a partial line or data block).
    public var bufferedByteCount: Int { pending.count + data.count }

    /// Memory reserved for buffering (for tests of the bounds).
    var bufferCapacity: Int { pending.capacity + data.capacity }

    /// Decodes `bytes`, calling `emit` for each request or error in order. With NIO:
    /// `buffer.withUnsafeReadableBytes { decoder.feed($0) { ... } }` reads the buffer in place;
    /// the decoder copies only an incomplete tail and the keys and values it emits.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (TextDecodeEvent) -> Void) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count), emit)
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (TextDecodeEvent) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    public mutating func feed(_ bytes: ArraySlice<UInt8>, _ emit: (TextDecodeEvent) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    /// Convenience: the events for `bytes`.
    public mutating func decode(_ bytes: [UInt8]) -> [TextDecodeEvent] {
        var events: [TextDecodeEvent] = []
        feed(bytes) { events.append($0) }
        return events
    }

    public mutating func feed(_ input: UnsafeBufferPointer<UInt8>, _ emit: (TextDecodeEvent) -> Void) {
        let n = input.count
        var i = 0
        while i < n {
            switch state {
            case .closed:
                return
            case .swallow:
                let k = min(swallowRemaining, n - i)
                i += k
                swallowRemaining -= k
                if swallowRemaining == 0 { state = .line }
            case .data:
                if data.isEmpty && n - i >= dataNeeded {
                    // The whole block is here: check and copy it once.
                    let end = i + dataNeeded
                    let ok = input[end - 2] == ASCII.cr && input[end - 1] == ASCII.lf
                    let value = ok ? Array(UnsafeBufferPointer(rebasing: input[i..<(end - 2)])) : []
                    i = end
                    finishData(ok: ok, value: value, emit)
                } else {
                    let k = min(dataNeeded - data.count, n - i)
                    BufferGrowth.reserve(&data, forMore: k, of: dataNeeded)
                    data.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + k)]))
                    i += k
                    if data.count == dataNeeded {
                        let ok = data[dataNeeded - 2] == ASCII.cr && data[dataNeeded - 1] == ASCII.lf
                        var value: [UInt8] = []
                        swap(&value, &data)
                        if ok { value.removeLast(2) } else { value = [] }
                        finishData(ok: ok, value: value, emit)
                    }
                }
            case .line:
                var j = i
                while j < n && input[j] != ASCII.lf { j += 1 }
                if j == n {
                    // No end of line yet: keep the tail if it can still become a valid line (+1 for a '\r').
                    if pending.count + (n - i) > lineLimit(input, i) + 1 {
                        failLineTooLong(emit)
                        return
                    }
                    pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<n]))
                    i = n
                } else {
                    var end = j
                    if pending.isEmpty {
                        if end > i && input[end - 1] == ASCII.cr { end -= 1 }
                        if end - i > lineLimit(input, i) { failLineTooLong(emit); return }
                        let outcome = parseLine(input, i, end)
                        i = j + 1
                        apply(outcome, emit)
                    } else {
                        // Refuse before copying: the line, '\r' aside, would already be too long.
                        if pending.count + (j - i) > lineLimit(input, i) + 1 { failLineTooLong(emit); return }
                        pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<j]))
                        i = j + 1
                        var line: [UInt8] = []
                        swap(&line, &pending)
                        var len = line.count
                        if len > 0 && line[len - 1] == ASCII.cr { len -= 1 }
                        if len > lineLimit(nil, 0, line) { failLineTooLong(emit); return }
                        let outcome = line.withUnsafeBufferPointer { parseLine($0, 0, len) }
                        line.removeAll(keepingCapacity: line.capacity <= 4096)
                        swap(&line, &pending)
                        apply(outcome, emit)
                    }
                }
            }
        }
    }

    // MARK: - State transitions

    private mutating func apply(_ outcome: LineOutcome, _ emit: (TextDecodeEvent) -> Void) {
        switch outcome {
        case let .request(r):
            emit(.request(r))
        case let .error(e):
            if e.closeConnection { close() }
            emit(.error(e))
        case let .data(header, length):
            storage = header
            dataNeeded = length + 2
            state = .data
        case let .swallow(e, length):
            swallowRemaining = length + 2
            state = .swallow
            emit(.error(e))
        }
    }

    private mutating func finishData(ok: Bool, value: [UInt8], _ emit: (TextDecodeEvent) -> Void) {
        guard let h = storage else { return }
        storage = nil
        dataNeeded = 0
        if ok {
            state = .line
            emit(.request(MemcacheRequest(.store(h.mode, key: h.key, flags: h.flags, exptime: h.exptime,
                                                 value: value, cas: h.cas), noreply: h.noreply, meta: h.meta)))
        } else {
            close()
            emit(.error(TextDecodeError(.clientError("bad data chunk"), noreply: h.noreply, closeConnection: true)))
        }
    }

    private mutating func close() {
        state = .closed
        pending = []
        data = []
        storage = nil
    }

    private mutating func failLineTooLong(_ emit: (TextDecodeEvent) -> Void) {
        close()
        emit(.error(TextDecodeError(.clientError("line too long"), closeConnection: true)))
    }

    /// The longest line allowed for the line that starts at `input[i]` (after whatever is pending),
    /// or in `whole` when given: retrieval commands may carry many keys.
    private func lineLimit(_ input: UnsafeBufferPointer<UInt8>?, _ i: Int, _ whole: [UInt8]? = nil) -> Int {
        func byte(_ k: Int) -> UInt8? {
            if let whole { return k < whole.count ? whole[k] : nil }
            if k < pending.count { return pending[k] }
            guard let input else { return nil }
            let at = i + k - pending.count
            return at < input.count ? input[at] : nil
        }
        // "get ", "gets ", "gat ", "gats "
        guard byte(0) == 0x67, let b1 = byte(1), let b2 = byte(2), let b3 = byte(3) else { return limits.maxLineLength }
        let isGet = b1 == 0x65 && b2 == 0x74, isGat = b1 == 0x61 && b2 == 0x74
        guard isGet || isGat else { return limits.maxLineLength }
        if b3 == ASCII.space || (b3 == 0x73 && byte(4) == ASCII.space) { return limits.maxRetrievalLineLength }
        return limits.maxLineLength
    }

    // MARK: - Line parsing

    private mutating func tokenize(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        tokens.removeAll(keepingCapacity: true)
        var i = start
        while i < end {
            while i < end && p[i] == ASCII.space { i += 1 }
            if i == end { break }
            let s = i
            while i < end && p[i] != ASCII.space { i += 1 }
            tokens.append(s)
            tokens.append(i)
        }
    }

    @inline(__always)
    private func tokenIs(_ p: UnsafeBufferPointer<UInt8>, _ t: Int, _ s: StaticString) -> Bool {
        let a = tokens[2 * t], b = tokens[2 * t + 1]
        let len = s.utf8CodeUnitCount
        guard b - a == len else { return false }
        let sp = s.utf8Start
        for k in 0..<len where p[a + k] != sp[k] { return false }
        return true
    }

    @inline(__always)
    private func tokenLength(_ t: Int) -> Int { tokens[2 * t + 1] - tokens[2 * t] }

    @inline(__always)
    private func bytes(_ p: UnsafeBufferPointer<UInt8>, _ t: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(rebasing: p[tokens[2 * t]..<tokens[2 * t + 1]]))
    }

    @inline(__always)
    private func uint64(_ p: UnsafeBufferPointer<UInt8>, _ t: Int) -> UInt64? {
        ASCII.parseUInt64(p, tokens[2 * t], tokens[2 * t + 1])
    }

    @inline(__always)
    private func int64(_ p: UnsafeBufferPointer<UInt8>, _ t: Int) -> Int64? {
        ASCII.parseInt64(p, tokens[2 * t], tokens[2 * t + 1])
    }

    private static let badFormat = TextResponse.clientError("bad command line format")

    private mutating func parseLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> LineOutcome {
        tokenize(p, start, end)
        let nt = tokens.count / 2
        guard nt > 0 else { return .error(TextDecodeError(.error)) }
        let cmdLen = tokenLength(0)
        switch cmdLen {
        case 2:
            if tokenIs(p, 0, "mg") { return metaLine(p, nt, .get) }
            if tokenIs(p, 0, "ms") { return metaLine(p, nt, .set) }
            if tokenIs(p, 0, "md") { return metaLine(p, nt, .delete) }
            if tokenIs(p, 0, "ma") { return metaLine(p, nt, .arithmetic) }
            if tokenIs(p, 0, "mn") { return metaLine(p, nt, .noop) }
        case 3:
            if tokenIs(p, 0, "get") { return retrieval(p, nt, touch: false, cas: false) }
            if tokenIs(p, 0, "set") { return storageLine(p, nt, .set) }
            if tokenIs(p, 0, "add") { return storageLine(p, nt, .add) }
            if tokenIs(p, 0, "cas") { return storageLine(p, nt, .cas) }
            if tokenIs(p, 0, "gat") { return retrieval(p, nt, touch: true, cas: false) }
        case 4:
            if tokenIs(p, 0, "gets") { return retrieval(p, nt, touch: false, cas: true) }
            if tokenIs(p, 0, "gats") { return retrieval(p, nt, touch: true, cas: true) }
            if tokenIs(p, 0, "incr") { return arithmetic(p, nt, .increment) }
            if tokenIs(p, 0, "decr") { return arithmetic(p, nt, .decrement) }
            if tokenIs(p, 0, "quit") { return nt == 1 ? .request(MemcacheRequest(.quit)) : .error(TextDecodeError(.error)) }
        case 5:
            if tokenIs(p, 0, "touch") { return touchLine(p, nt) }
            if tokenIs(p, 0, "stats") {
                let group: [UInt8]? = nt == 1 ? nil : Array(UnsafeBufferPointer(rebasing: p[tokens[2]..<tokens[2 * nt - 1]]))
                return .request(MemcacheRequest(.stats(group: group)))
            }
        case 6:
            if tokenIs(p, 0, "delete") { return deleteLine(p, nt) }
            if tokenIs(p, 0, "append") { return storageLine(p, nt, .append) }
        case 7:
            if tokenIs(p, 0, "replace") { return storageLine(p, nt, .replace) }
            if tokenIs(p, 0, "prepend") { return storageLine(p, nt, .prepend) }
            if tokenIs(p, 0, "version") { return nt == 1 ? .request(MemcacheRequest(.version)) : .error(TextDecodeError(.error)) }
        case 9:
            if tokenIs(p, 0, "flush_all") { return flushLine(p, nt) }
            if tokenIs(p, 0, "verbosity") { return verbosityLine(p, nt) }
        default:
            break
        }
        return .error(TextDecodeError(.error))
    }

    /// get/gets <key>+ and gat/gats <exptime> <key>+
    private func retrieval(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int, touch: Bool, cas: Bool) -> LineOutcome {
        let first = touch ? 2 : 1
        guard nt > first else { return .error(TextDecodeError(.error)) }
        var exptime: Int64 = 0
        if touch {
            guard let e = int64(p, 1) else { return .error(TextDecodeError(.clientError("invalid exptime argument"))) }
            exptime = e
        }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(nt - first)
        for t in first..<nt {
            guard tokenLength(t) <= limits.maxKeyLength else { return .error(TextDecodeError(Self.badFormat)) }
            keys.append(bytes(p, t))
        }
        return .request(MemcacheRequest(touch ? .getAndTouch(keys: keys, exptime: exptime, withCAS: cas)
                                              : .get(keys: keys, withCAS: cas)))
    }

    /// <cmd> <key> <flags> <exptime> <bytes> [noreply]; cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]
    private func storageLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int, _ mode: StoreMode) -> LineOutcome {
        let base = mode == .cas ? 6 : 5
        // Without <bytes> the data block cannot be found: close rather than read stored bytes as commands.
        guard nt == base || nt == base + 1 else {
            return .error(TextDecodeError(Self.badFormat, closeConnection: true))
        }
        let noreply = nt == base + 1 && tokenIs(p, nt - 1, "noreply")
        guard let length = int64(p, 4), length >= 0, length <= Int64(Int32.max) - 2 else {
            return .error(TextDecodeError(Self.badFormat, noreply: noreply, closeConnection: true))
        }
        let len = Int(length)
        guard tokenLength(1) <= limits.maxKeyLength,
              let flags = ASCII.parseUInt32(p, tokens[4], tokens[5]),
              let exptime = int64(p, 3) else {
            return .swallow(TextDecodeError(Self.badFormat, noreply: noreply), length: len)
        }
        var cas: UInt64 = 0
        if mode == .cas {
            guard let c = uint64(p, 5) else { return .swallow(TextDecodeError(Self.badFormat, noreply: noreply), length: len) }
            cas = c
        }
        guard len <= limits.maxValueLength else {
            return .swallow(TextDecodeError(.serverError("object too large for cache"), noreply: noreply), length: len)
        }
        return .data(StorageHeader(mode: mode, key: bytes(p, 1), flags: flags, exptime: exptime, cas: cas,
                                   noreply: noreply), length: len)
    }

    /// delete <key> [0] [noreply]
    private func deleteLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int) -> LineOutcome {
        guard nt >= 2 && nt <= 4 else { return .error(TextDecodeError(.error)) }
        let noreply = nt > 2 && tokenIs(p, nt - 1, "noreply")
        let valid = nt == 2
            || (nt == 3 && (tokenIs(p, 2, "0") || noreply))
            || (nt == 4 && tokenIs(p, 2, "0") && noreply)
        guard valid else {
            return .error(TextDecodeError(.clientError("bad command line format.  Usage: delete <key> [noreply]"),
                                          noreply: noreply))
        }
        guard tokenLength(1) <= limits.maxKeyLength else { return .error(TextDecodeError(Self.badFormat, noreply: noreply)) }
        return .request(MemcacheRequest(.delete(key: bytes(p, 1), cas: 0), noreply: noreply))
    }

    /// touch <key> <exptime> [noreply]
    private func touchLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int) -> LineOutcome {
        guard nt == 3 || nt == 4 else { return .error(TextDecodeError(.error)) }
        let noreply = nt == 4 && tokenIs(p, 3, "noreply")
        guard tokenLength(1) <= limits.maxKeyLength else { return .error(TextDecodeError(Self.badFormat, noreply: noreply)) }
        guard let exptime = int64(p, 2) else {
            return .error(TextDecodeError(.clientError("invalid exptime argument"), noreply: noreply))
        }
        return .request(MemcacheRequest(.touch(key: bytes(p, 1), exptime: exptime), noreply: noreply))
    }

    /// incr|decr <key> <delta> [noreply]
    private func arithmetic(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int, _ op: ArithmeticOperation) -> LineOutcome {
        guard nt == 3 || nt == 4 else { return .error(TextDecodeError(.error)) }
        let noreply = nt == 4 && tokenIs(p, 3, "noreply")
        guard tokenLength(1) <= limits.maxKeyLength else { return .error(TextDecodeError(Self.badFormat, noreply: noreply)) }
        guard let delta = uint64(p, 2) else {
            return .error(TextDecodeError(.clientError("invalid numeric delta argument"), noreply: noreply))
        }
        return .request(MemcacheRequest(.arithmetic(op, key: bytes(p, 1), delta: delta, initial: nil, exptime: 0),
                                        noreply: noreply))
    }

    /// flush_all [delay] [noreply]
    private func flushLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int) -> LineOutcome {
        guard nt <= 3 else { return .error(TextDecodeError(.error)) }
        let noreply = nt > 1 && tokenIs(p, nt - 1, "noreply")
        let args = nt - 1 - (noreply ? 1 : 0)
        var delay: Int64 = 0
        if args == 1 {
            guard let d = int64(p, 1) else {
                return .error(TextDecodeError(.clientError("invalid exptime argument"), noreply: noreply))
            }
            delay = d
        } else if args > 1 {
            return .error(TextDecodeError(.error))
        }
        return .request(MemcacheRequest(.flushAll(delay: delay), noreply: noreply))
    }

    /// verbosity <level> [noreply]
    private func verbosityLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int) -> LineOutcome {
        guard nt == 2 || nt == 3 else { return .error(TextDecodeError(.error)) }
        let noreply = nt == 3 && tokenIs(p, 2, "noreply")
        guard let level = ASCII.parseUInt32(p, tokens[2], tokens[3]) else {
            return .error(TextDecodeError(Self.badFormat, noreply: noreply))
        }
        return .request(MemcacheRequest(.verbosity(level: level), noreply: noreply))
    }

    // MARK: - Meta commands

    /// mg <key> <flag>*, ms <key> <datalen> <flag>* (then a data block), md <key> <flag>*,
    /// ma <key> <flag>*, mn.
    /// Supported flags: b, k, O, q on all; c f s t v u T, and h l (accepted, not answered: the
    /// store keeps no access history), and N R (leases) on mg; c C F I M T on ms; C I T on md; c t v
    /// C D J M (I + D -) N T on ma. `E` (a client-chosen CAS) is refused.
    /// Other flags, and a flag given twice, get memcached 1.6's errors (`invalid flag` and
    /// `duplicate flag` for mg and ms, `invalid or duplicate flag` for md and ma; the ms data block
    /// is swallowed). Errors are answered even with `q`, as memcached does.
    private func metaLine(_ p: UnsafeBufferPointer<UInt8>, _ nt: Int, _ kind: MetaRequestContext.Kind) -> LineOutcome {
        if kind == .noop {
            return nt == 1 ? .request(MemcacheRequest(.noop, meta: MetaRequestContext(kind: .noop))) : .error(TextDecodeError(.error))
        }
        if kind == .arithmetic && nt < 2 { return .error(TextDecodeError(.error)) }
        guard nt >= 2 else { return .error(TextDecodeError(Self.badFormat, closeConnection: kind == .set)) }
        var firstFlag = 2
        var dataLength = 0
        if kind == .set {
            guard nt >= 3, let l = int64(p, 2), l >= 0, l <= Int64(Int32.max) - 2 else {
                return .error(TextDecodeError(Self.badFormat, closeConnection: true))
            }
            dataLength = Int(l)
            firstFlag = 3
        }
        var ctx = MetaRequestContext(kind: kind)
        var base64 = false, withCAS = false
        var exptime: Int64?
        var clientFlags: UInt32 = 0
        var compareCAS: UInt64 = 0
        var mode: StoreMode = .set
        var counter = MetaArithmetic(key: [])
        var failure: TextResponse?
        // memcached lumps every flag error of md and ma into one message.
        let lumped = kind == .delete || kind == .arithmetic
        func flagError(_ specific: String) -> TextResponse { .clientError(lumped ? "invalid or duplicate flag" : specific) }
        let badToken = flagError("bad token in command line format")
        var seen: UInt64 = 0
        // memcached checks the key's length before the flags.
        if tokenLength(1) > limits.maxKeyLength { failure = Self.badFormat }
        for t in firstFlag..<nt where failure == nil {
            let a = tokens[2 * t], e = tokens[2 * t + 1]
            if let bit = Self.flagBit(p[a]) {
                if seen & bit != 0 { failure = flagError("duplicate flag"); break }
                seen |= bit
            }
            switch (kind, p[a]) {
            case (_, UInt8(ascii: "b")):
                base64 = true
                ctx.returnFlags.append(.base64)
            case (_, UInt8(ascii: "q")):
                ctx.quiet = true
            case (_, UInt8(ascii: "k")):
                ctx.returnFlags.append(.key)
            case (_, UInt8(ascii: "O")):
                if e - a - 1 > 32 { failure = .clientError("opaque token too long"); break }
                ctx.returnFlags.append(.opaque(Array(UnsafeBufferPointer(rebasing: p[(a + 1)..<e]))))
            case (.get, UInt8(ascii: "c")), (.set, UInt8(ascii: "c")), (.arithmetic, UInt8(ascii: "c")):
                ctx.returnFlags.append(.cas)
                withCAS = true
            case (.get, UInt8(ascii: "f")):
                ctx.returnFlags.append(.clientFlags)
            case (.get, UInt8(ascii: "s")):
                ctx.returnFlags.append(.size)
            case (.get, UInt8(ascii: "t")), (.arithmetic, UInt8(ascii: "t")):
                ctx.returnFlags.append(.ttl)
            case (.get, UInt8(ascii: "v")), (.arithmetic, UInt8(ascii: "v")):
                ctx.returnValue = true
            case (.get, UInt8(ascii: "N")):
                guard let v = ASCII.parseInt64(p, a + 1, e) else { failure = badToken; break }
                ctx.lease.vivifyExptime = v
            case (.get, UInt8(ascii: "R")):
                guard let v = ASCII.parseInt64(p, a + 1, e) else { failure = badToken; break }
                ctx.lease.recacheBelow = v
            case (.set, UInt8(ascii: "I")), (.delete, UInt8(ascii: "I")):
                ctx.lease.invalidate = true
            case (.get, UInt8(ascii: "u")), (.get, UInt8(ascii: "h")), (.get, UInt8(ascii: "l")):
                // u: "don't bump the item in the LRU", nothing to do here. h (hit before) and l
                // (seconds since the last access): the replicated store keeps no access history,
                // so they are left out of the answer rather than made up.
                break
            case (.get, UInt8(ascii: "T")), (.set, UInt8(ascii: "T")), (.arithmetic, UInt8(ascii: "T")), (.delete, UInt8(ascii: "T")):
                guard let v = ASCII.parseInt64(p, a + 1, e) else { failure = badToken; break }
                exptime = v
            case (.set, UInt8(ascii: "F")):
                guard let v = ASCII.parseUInt32(p, a + 1, e) else { failure = badToken; break }
                clientFlags = v
            case (.set, UInt8(ascii: "C")), (.delete, UInt8(ascii: "C")), (.arithmetic, UInt8(ascii: "C")):
                guard let v = ASCII.parseUInt64(p, a + 1, e) else { failure = badToken; break }
                compareCAS = v
            case (.arithmetic, UInt8(ascii: "N")):
                guard let v = ASCII.parseInt64(p, a + 1, e) else { failure = badToken; break }
                counter.vivifyExptime = v
            case (.arithmetic, UInt8(ascii: "J")):
                guard let v = ASCII.parseUInt64(p, a + 1, e) else { failure = badToken; break }
                counter.initial = v
            case (.arithmetic, UInt8(ascii: "D")):
                guard let v = ASCII.parseUInt64(p, a + 1, e) else { failure = badToken; break }
                counter.delta = v
            case (.arithmetic, UInt8(ascii: "M")):
                guard e - a == 2 else { failure = flagError("invalid mode for ma M token"); break }
                switch p[a + 1] {
                case UInt8(ascii: "I"), UInt8(ascii: "+"): counter.operation = .increment
                case UInt8(ascii: "D"), UInt8(ascii: "-"): counter.operation = .decrement
                default: failure = .clientError("invalid mode for ma M token")
                }
            case (.set, UInt8(ascii: "M")):
                guard e - a == 2 else { failure = .clientError("invalid mode for ms"); break }
                switch p[a + 1] | 0x20 {   // either case
                case UInt8(ascii: "s"): mode = .set
                case UInt8(ascii: "e"): mode = .add
                case UInt8(ascii: "r"): mode = .replace
                case UInt8(ascii: "a"): mode = .append
                case UInt8(ascii: "p"): mode = .prepend
                default: failure = .clientError("invalid mode for ms")
                }
            default:
                failure = flagError("invalid flag")
            }
        }
        var key: [UInt8] = []
        if failure == nil {
            if base64 {
                if let k = Base64.decode(p, tokens[2], tokens[3]), !k.isEmpty { key = k } else { failure = flagError("error decoding key") }
            } else {
                key = bytes(p, 1)
            }
        }
        if let failure {
            let e = TextDecodeError(failure)
            return kind == .set ? .swallow(e, length: dataLength) : .error(e)
        }
        ctx.key = key
        switch kind {
        case .get:
            let command: MemcacheCommand = exptime.map { .getAndTouch(keys: [key], exptime: $0, withCAS: withCAS) }
                ?? .get(keys: [key], withCAS: withCAS)
            return .request(MemcacheRequest(command, noreply: ctx.quiet, meta: ctx))
        case .delete:
            ctx.lease.staleExptime = exptime
            return .request(MemcacheRequest(.delete(key: key, cas: compareCAS), noreply: ctx.quiet, meta: ctx))
        case .arithmetic:
            counter.key = key
            counter.touchExptime = exptime
            counter.cas = compareCAS
            return .request(MemcacheRequest(.metaArithmetic(counter), noreply: ctx.quiet, meta: ctx))
        case .set:
            guard dataLength <= limits.maxValueLength else {
                return .swallow(TextDecodeError(.serverError("object too large for cache")), length: dataLength)
            }
            if compareCAS != 0 && mode == .set { mode = .cas }
            return .data(StorageHeader(mode: mode, key: key, flags: clientFlags, exptime: exptime ?? 0, cas: compareCAS,
                                       noreply: ctx.quiet, meta: ctx), length: dataLength)
        case .noop:
            return .error(TextDecodeError(.error))
        }
    }

    /// A flag letter's bit in the set of flags seen on one meta line (A–Z, a–z); nil for others.
    private static func flagBit(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 1 << UInt64(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 1 << UInt64(26 + c - UInt8(ascii: "a"))
        default: return nil
        }
    }
}
