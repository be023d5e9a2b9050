/// One connection's request decoder: the first byte picks the protocol (0x80 binary, anything
/// else text, as memcached does), then every byte goes to that protocol's decoder.
///
/// In a NIO `ChannelInboundHandler` (one decoder per channel, no Concurrency hop):
///
///     var buffer = unwrapInboundIn(data)
///     buffer.withUnsafeReadableBytes { decoder.feed($0) { event in pending.append(event) } }
///     // for each event, in order:
///     //  .request(r): run it on the store; encode with TextResponse / MetaResponse (r.meta != nil)
///     //               or BinaryResponse (r.binary != nil); write only if r.shouldRespond(status:) /
///     //               shouldRespondText / MetaResponse.shouldRespond(for:); close after r.closesConnection.
///     //  .textError(e): write e.response if e.shouldRespond; close if e.closeConnection.
///     //  .binaryError(e): write e.response if any; close if e.closeConnection.
///
/// Answers must be written in request order (pipelining); the decoder already emits in order.
public struct MemcacheRequestDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        case request(MemcacheRequest)
        case textError(TextDecodeError)
        case binaryError(BinaryDecodeError)
    }

    private enum Inner: Sendable {
        case undecided
        case text(TextRequestDecoder)
        case binary(BinaryRequestDecoder)
    }

    public let limits: MemcacheLimits
    private var inner: Inner = .undecided

    public init(limits: MemcacheLimits = MemcacheLimits()) {
        self.limits = limits
    }

    /// nil until the first byte arrives.
    public var wireProtocol: MemcacheWireProtocol? {
        switch inner {
        case .undecided: return nil
        case .text: return .text
        case .binary: return .binary
        }
    }

    public var isClosed: Bool {
        switch inner {
        case .undecided: return false
        case let .text(d): return d.isClosed
        case let .binary(d): return d.isClosed
        }
    }

    public var bufferedByteCount: Int {
        switch inner {
        case .undecided: return 0
        case let .text(d): return d.bufferedByteCount
        case let .binary(d): return d.bufferedByteCount
        }
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count), emit)
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: (Event) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    public mutating func feed(_ bytes: ArraySlice<UInt8>, _ emit: (Event) -> Void) {
        bytes.withUnsafeBufferPointer { feed($0, emit) }
    }

    public mutating func decode(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        feed(bytes) { events.append($0) }
        return events
    }

    public mutating func feed(_ input: UnsafeBufferPointer<UInt8>, _ emit: (Event) -> Void) {
        guard let first = input.first else { return }
        switch inner {
        case .undecided:
            switch MemcacheWireProtocol.detect(firstByte: first) {
            case .text: inner = .text(TextRequestDecoder(limits: limits))
            case .binary: inner = .binary(BinaryRequestDecoder(limits: limits))
            }
            feed(input, emit)
        case var .text(d):
            inner = .undecided   // drop the enum's reference so `d` is mutated in place
            d.feed(input) { event in
                switch event {
                case let .request(r): emit(.request(r))
                case let .error(e): emit(.textError(e))
                }
            }
            inner = .text(d)
        case var .binary(d):
            inner = .undecided
            d.feed(input) { event in
                switch event {
                case let .request(r): emit(.request(r))
                case let .error(e): emit(.binaryError(e))
                }
            }
            inner = .binary(d)
        }
    }
}
