/// A meta `ma` request: incr/decr with the meta protocol's options.
///
/// `ma <key> [D<delta>] [M<mode>] [N<ttl> [J<initial>]] [T<ttl>] [C<cas>] ...`
public struct MetaArithmetic: Sendable, Equatable {
    public var operation: ArithmeticOperation
    public var key: [UInt8]
    /// `D`: the amount (default 1).
    public var delta: UInt64
    /// `J`: the value created on a miss when `vivifyExptime` is set (default 0).
    public var initial: UInt64
    /// `N`: on a miss, create the counter with this exptime; nil: a miss is `NF`.
    public var vivifyExptime: Int64?
    /// `T`: on success, the counter's new exptime; nil keeps the current one.
    public var touchExptime: Int64?
    /// `C`: apply only when the counter's CAS unique equals this; 0 for unconditional.
    public var cas: UInt64

    public init(_ operation: ArithmeticOperation = .increment, key: [UInt8], delta: UInt64 = 1, initial: UInt64 = 0,
                vivifyExptime: Int64? = nil, touchExptime: Int64? = nil, cas: UInt64 = 0) {
        self.operation = operation
        self.key = key
        self.delta = delta
        self.initial = initial
        self.vivifyExptime = vivifyExptime
        self.touchExptime = touchExptime
        self.cas = cas
    }
}
