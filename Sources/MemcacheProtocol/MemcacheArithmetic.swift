/// memcached's incr/decr arithmetic on a stored value.
public enum MemcacheArithmetic {
    public enum Failure: Error, Sendable, Equatable {
        /// The stored value is not the decimal digits of a uint64.
        case nonNumericValue

        /// Text: `CLIENT_ERROR cannot increment or decrement non-numeric value`.
        public var textResponse: TextResponse { .clientError("cannot increment or decrement non-numeric value") }
        /// Binary: status 0x0006.
        public var binaryStatus: BinaryStatus { .nonNumericValue }
    }

    /// The stored value as a counter: ASCII decimal digits of a uint64, optionally followed by spaces
    /// (memcached pads a decremented value that got shorter). Empty, signed, overflowing or other
    /// bytes are not a counter.
    public static func counterValue(_ stored: [UInt8]) -> UInt64? {
        var end = stored.count
        while end > 0 && stored[end - 1] == ASCII.space { end -= 1 }
        return stored.withUnsafeBufferPointer { ASCII.parseUInt64($0, 0, end) }
    }

    /// incr wraps around at 2^64; decr stops at 0.
    public static func apply(_ op: ArithmeticOperation, delta: UInt64, to current: UInt64) -> UInt64 {
        switch op {
        case .increment: return current &+ delta
        case .decrement: return current < delta ? 0 : current - delta
        }
    }

    /// The new counter from the stored bytes, or `.nonNumericValue`.
    public static func apply(_ op: ArithmeticOperation, delta: UInt64, toStored stored: [UInt8]) -> Result<UInt64, Failure> {
        guard let current = counterValue(stored) else { return .failure(.nonNumericValue) }
        return .success(apply(op, delta: delta, to: current))
    }

    /// The decimal ASCII bytes to store for a counter value.
    public static func storedBytes(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        ASCII.appendDecimal(value, to: &out)
        return out
    }

    /// The bytes memcached leaves after incr/decr over `stored`: it rewrites the value in place
    /// when the new digits fit, padding with spaces to the old length ("10" decremented by 3 reads
    /// back "7 "), and stores the bare digits when they are longer.
    public static func storedBytes(_ value: UInt64, replacing stored: [UInt8]) -> [UInt8] {
        var out = storedBytes(value)
        if out.count < stored.count { out.append(contentsOf: repeatElement(ASCII.space, count: stored.count - out.count)) }
        return out
    }
}
