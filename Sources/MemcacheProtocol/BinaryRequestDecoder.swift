/// One thing the binary decoder produced: a complete request, or an error to answer.
public enum BinaryDecodeEvent: Sendable, Equatable {
    case request(MemcacheRequest)
    case error(BinaryDecodeError)
}

/// A request the decoder rejected, with the response to send.
public struct BinaryDecodeError: Sendable, Equatable, Error {
    /// The error response (opcode and opaque echoed), or nil when there is nothing to answer
    /// (a bad magic byte: the stream is not the binary protocol, or lost its framing).
    public var response: BinaryResponse?
    /// Close after writing `response`; the decoder ignores every later byte.
    public var closeConnection: Bool

    public init(response: BinaryResponse?, closeConnection: Bool = false) {
        self.response = response
        self.closeConnection = closeConnection
    }
}

/// The binary protocol's request decoder: an incremental, bounded state machine.
///
/// Every packet is a 24-byte header and `total body length` bytes of extras, key and value.
/// The header is validated before the body is buffered, so memory is bounded by
/// 24 + 20 (largest extras) + `maxKeyLength` + `maxValueLength`.
///
/// - A magic byte other than 0x80: no answer, close (memcached closes too).
/// - An unknown opcode: status 0x0081, the body is skipped, the connection continues (as memcached).
/// - Extras, key or value lengths that do not fit the opcode, a key over `maxKeyLength`, or
///   key + extras longer than the body: status 0x0004, the body is skipped, the connection continues
///   (memcached closes after 0x0004; the body length still frames the stream, so this decoder need not).
/// - A storage value over `maxValueLength`: status 0x0003, the body is skipped without buffering,
///   the connection continues (as memcached).
/// Errors are answered even for quiet opcodes, as memcached does.
public struct BinaryRequestDecoder: Sendable {
    public let limits: MemcacheLimits

    private enum State: Sendable { case header, body, swallow, closed }

    private var state: State = .header
    private var header: BinaryHeader?
    /// A partial header or body.
    private var pending: [UInt8] = []
    private var swallowRemaining = 0

    public init(limits: MemcacheLimits = MemcacheLimits()) {
        self.limits = limits
    }

    public var isClosed: Bool { state == .closed }

    /// Bytes the decoder holds right now (a partial header or body).
    public var bufferedByteCount: Int { pending.count }

    /// Memory reserved for buffering (for tests of the bounds).
    var bufferCapacity: Int { pending.capacity }

    /// Decodes `bytes`, calling `emit` for each request or error in order. With NIO:
    /// `buffer.withUnsafeReadableBytes { decoder.feed($0) { ... } }` reads the buffer in place;
    /// the decoder copies only an incomplete tail and the keys and values it emits.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (BinaryDecodeEvent) -> Void) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count), emit)
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (BinaryDecodeEvent) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    public mutating func feed(_ bytes: ArraySlice<UInt8>, _ emit: (BinaryDecodeEvent) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    /// Convenience: the events for `bytes`.
    public mutating func decode(_ bytes: [UInt8]) -> [BinaryDecodeEvent] {
        var events: [BinaryDecodeEvent] = []
        feed(bytes) { events.append($0) }
        return events
    }

    public mutating func feed(_ input: UnsafeBufferPointer<UInt8>, _ emit: (BinaryDecodeEvent) -> Void) {
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
                if swallowRemaining == 0 { state = .header }
            case .header:
                if pending.isEmpty && n - i >= BinaryHeader.size {
                    let h = BinaryHeader.read(input, at: i)
                    i += BinaryHeader.size
                    startBody(h, emit)
                } else {
                    let k = min(BinaryHeader.size - pending.count, n - i)
                    pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + k)]))
                    i += k
                    if pending.count == BinaryHeader.size {
                        let h = pending.withUnsafeBufferPointer { BinaryHeader.read($0, at: 0) }
                        pending.removeAll(keepingCapacity: true)
                        startBody(h, emit)
                    }
                }
            case .body:
                guard let h = header else { state = .header; continue }
                let need = Int(h.totalBodyLength)
                if pending.isEmpty && n - i >= need {
                    let request = Self.request(h, UnsafeBufferPointer(rebasing: input[i..<(i + need)]))
                    i += need
                    finishBody(request, emit)
                } else {
                    let k = min(need - pending.count, n - i)
                    BufferGrowth.reserve(&pending, forMore: k, of: need)
                    pending.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<(i + k)]))
                    i += k
                    if pending.count == need {
                        let request = pending.withUnsafeBufferPointer { Self.request(h, $0) }
                        pending.removeAll(keepingCapacity: pending.capacity <= 4096)
                        finishBody(request, emit)
                    }
                }
            }
        }
    }

    private mutating func startBody(_ h: BinaryHeader, _ emit: (BinaryDecodeEvent) -> Void) {
        guard h.magic == BinaryHeader.requestMagic else {
            state = .closed
            pending = []
            emit(.error(BinaryDecodeError(response: nil, closeConnection: true)))
            return
        }
        if let status = validate(h) {
            emit(.error(BinaryDecodeError(response: .failure(status, opcode: h.opcode, opaque: h.opaque))))
            swallowRemaining = Int(h.totalBodyLength)
            state = swallowRemaining > 0 ? .swallow : .header
            return
        }
        header = h
        if h.totalBodyLength == 0 {
            finishBody(Self.request(h, UnsafeBufferPointer(start: nil, count: 0)), emit)
        } else {
            state = .body
        }
    }

    private mutating func finishBody(_ request: MemcacheRequest, _ emit: (BinaryDecodeEvent) -> Void) {
        header = nil
        state = .header
        emit(.request(request))
    }

    /// The status to reject `h` with, or nil when its lengths fit its opcode and the limits.
    private func validate(_ h: BinaryHeader) -> BinaryStatus? {
        let ext = Int(h.extrasLength), key = Int(h.keyLength), body = Int(h.totalBodyLength)
        /// `extras`: the extras length the opcode takes (or `orExtras`); `key`: required (true),
        /// forbidden (false) or optional (nil); `value`: whether a value may follow.
        func shape(extras: Int, orExtras: Int = -1, key keyRule: Bool?, value allowsValue: Bool) -> BinaryStatus? {
            guard ext + key <= body else { return .invalidArguments }
            let value = body - ext - key
            guard ext == extras || ext == orExtras else { return .invalidArguments }
            if let keyRule { guard (key > 0) == keyRule else { return .invalidArguments } }
            guard key <= limits.maxKeyLength else { return .invalidArguments }
            if allowsValue {
                guard value <= limits.maxValueLength else { return .valueTooLarge }
            } else {
                guard value == 0 else { return .invalidArguments }
            }
            return nil
        }
        switch h.opcode {
        case .get, .getq, .getk, .getkq, .delete, .deleteq:
            return shape(extras: 0, key: true, value: false)
        case .set, .setq, .add, .addq, .replace, .replaceq:
            return shape(extras: 8, key: true, value: true)
        case .append, .appendq, .prepend, .prependq:
            return shape(extras: 0, key: true, value: true)
        case .increment, .incrementq, .decrement, .decrementq:
            return shape(extras: 20, key: true, value: false)
        case .touch, .gat, .gatq, .gatk, .gatkq:
            return shape(extras: 4, key: true, value: false)
        case .quit, .quitq, .noop, .version:
            return shape(extras: 0, key: false, value: false)
        case .flush, .flushq:
            return shape(extras: 0, orExtras: 4, key: false, value: false)
        case .verbosity:
            return shape(extras: 4, key: false, value: false)
        case .stat:
            return shape(extras: 0, key: nil, value: false)
        default:
            return .unknownCommand
        }
    }

    /// Builds the request from a validated header and its body.
    private static func request(_ h: BinaryHeader, _ body: UnsafeBufferPointer<UInt8>) -> MemcacheRequest {
        let ext = Int(h.extrasLength), keyLen = Int(h.keyLength)
        func key() -> [UInt8] { Array(UnsafeBufferPointer(rebasing: body[ext..<(ext + keyLen)])) }
        func value() -> [UInt8] { Array(UnsafeBufferPointer(rebasing: body[(ext + keyLen)...])) }
        /// memcached passes the binary 32-bit expiration to its clock as an unsigned time: there is no
        /// "negative, already expired" in the binary protocol (0xfffffff6 is a Unix time in 2106).
        func exptime(at i: Int) -> Int64 { Int64(BigEndian.u32(body, i)) }
        let context = BinaryRequestContext(opcode: h.opcode, opaque: h.opaque)
        let quiet = h.opcode.isQuiet
        let command: MemcacheCommand
        switch h.opcode {
        case .get, .getq, .getk, .getkq:
            command = .get(keys: [key()], withCAS: true)
        case .gat, .gatq, .gatk, .gatkq:
            command = .getAndTouch(keys: [key()], exptime: exptime(at: 0), withCAS: true)
        case .touch:
            command = .touch(key: key(), exptime: exptime(at: 0))
        case .set, .setq, .add, .addq, .replace, .replaceq:
            var mode: StoreMode = h.opcode == .set || h.opcode == .setq ? .set
                : h.opcode == .add || h.opcode == .addq ? .add : .replace
            // memcached turns any of these with a non-zero CAS into a compare-and-swap.
            if h.cas != 0 { mode = .cas }
            command = .store(mode, key: key(), flags: BigEndian.u32(body, 0), exptime: exptime(at: 4),
                             value: value(), cas: h.cas)
        case .append, .appendq, .prepend, .prependq:
            let mode: StoreMode = h.opcode == .append || h.opcode == .appendq ? .append : .prepend
            command = .store(mode, key: key(), flags: 0, exptime: 0, value: value(), cas: h.cas)
        case .delete, .deleteq:
            command = .delete(key: key(), cas: h.cas)
        case .increment, .incrementq, .decrement, .decrementq:
            let op: ArithmeticOperation = h.opcode == .increment || h.opcode == .incrementq ? .increment : .decrement
            let rawExp = BigEndian.u32(body, 16)
            command = .arithmetic(op, key: key(), delta: BigEndian.u64(body, 0),
                                  initial: rawExp == 0xffff_ffff ? nil : BigEndian.u64(body, 8),
                                  exptime: rawExp == 0xffff_ffff ? 0 : Int64(rawExp), cas: h.cas)
        case .quit, .quitq:
            command = .quit
        case .noop:
            command = .noop
        case .version:
            command = .version
        case .flush, .flushq:
            command = .flushAll(delay: ext == 4 ? exptime(at: 0) : 0)
        case .verbosity:
            command = .verbosity(level: BigEndian.u32(body, 0))
        case .stat:
            command = .stats(group: keyLen > 0 ? key() : nil)
        default:
            command = .noop // unreachable: validate() rejected unknown opcodes
        }
        return MemcacheRequest(command, noreply: quiet, binary: context)
    }
}
