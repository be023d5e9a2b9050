/// A decoded memcached request, shared by the text and the binary protocol.
///
/// The command carries what the store needs; `noreply` and `binary` carry what the response
/// encoder needs (text `noreply`, a binary quiet opcode, the binary opcode and opaque to echo).
public struct MemcacheRequest: Sendable, Equatable {
    public var command: MemcacheCommand
    /// Text: the command ended in `noreply`. Binary: a quiet opcode (GETQ, SETQ, ...). Meta: the `q` flag.
    public var noreply: Bool
    /// Binary only: the opcode and opaque to echo in the response. `nil` for text requests.
    public var binary: BinaryRequestContext?
    /// Text meta commands only (mg, ms, md, ma, mn): what the meta response must carry. nil otherwise.
    public var meta: MetaRequestContext?

    public init(_ command: MemcacheCommand, noreply: Bool = false, binary: BinaryRequestContext? = nil,
                meta: MetaRequestContext? = nil) {
        self.command = command
        self.noreply = noreply
        self.binary = binary
        self.meta = meta
    }
}

/// What a binary response must echo: the request's opcode (quiet variants included) and opaque.
public struct BinaryRequestContext: Sendable, Equatable {
    public var opcode: BinaryOpcode
    public var opaque: UInt32

    public init(opcode: BinaryOpcode, opaque: UInt32) {
        self.opcode = opcode
        self.opaque = opaque
    }
}

/// How a storage command treats an existing item.
public enum StoreMode: Sendable, Equatable {
    case set, add, replace, append, prepend
    /// Store only if the item's CAS unique equals `cas` (text `cas`; binary SET/ADD/REPLACE with a non-zero CAS).
    case cas
}

public enum ArithmeticOperation: Sendable, Equatable {
    case increment, decrement
}

/// A memcached command with the fields each needs. Keys and values are raw bytes; `exptime`
/// is the raw client value (see `MemcacheExpiry` for memcached's rule).
public enum MemcacheCommand: Sendable, Equatable {
    /// Text `get` (withCAS false) and `gets` (true) with one or more keys;
    /// binary GET, GETQ, GETK, GETKQ with one key (withCAS true: binary always returns the CAS).
    case get(keys: [[UInt8]], withCAS: Bool)
    /// Text `gat`/`gats`; binary GAT, GATQ, GATK, GATKQ (one key).
    case getAndTouch(keys: [[UInt8]], exptime: Int64, withCAS: Bool)
    /// set/add/replace/append/prepend/cas. `cas` is 0 for an unconditional store; for `.cas` it is
    /// the client's unique. Binary APPEND/PREPEND may carry a non-zero CAS too (memcached checks it).
    /// For text append/prepend, flags and exptime are parsed but memcached ignores them.
    case store(StoreMode, key: [UInt8], flags: UInt32, exptime: Int64, value: [UInt8], cas: UInt64)
    /// Text `delete <key> [0] [noreply]` (cas 0); binary DELETE(Q), whose CAS, when non-zero, must match.
    case delete(key: [UInt8], cas: UInt64)
    case touch(key: [UInt8], exptime: Int64)
    /// Text incr/decr: `initial` nil (a miss is NOT_FOUND). Binary INCREMENT/DECREMENT: `initial`
    /// is the value to create on a miss, or nil when the expiration was 0xffffffff (a miss is NOT_FOUND);
    /// a non-zero binary CAS must match the counter's, as memcached checks it.
    case arithmetic(ArithmeticOperation, key: [UInt8], delta: UInt64, initial: UInt64?, exptime: Int64, cas: UInt64 = 0)
    /// Meta `ma`.
    case metaArithmetic(MetaArithmetic)
    /// Binary NOOP (text has none).
    case noop
    case version
    /// Text `stats [group]`; binary STAT with an optional key.
    case stats(group: [UInt8]?)
    /// Text `verbosity <level>`; binary VERBOSITY. memcached answers OK.
    case verbosity(level: UInt32)
    /// Text `flush_all [delay]`; binary FLUSH(Q). Decoded so the server can refuse it clearly, as
    /// memcached started with `-F` does: `TextResponse.flushAllNotAllowed`, binary status `.authError`.
    case flushAll(delay: Int64)
    /// Text `quit`; binary QUIT (answered, then closed) and QUITQ (closed without an answer).
    case quit
}

/// The bounds every decoder enforces.
public struct MemcacheLimits: Sendable, Equatable {
    /// memcached's KEY_MAX_LENGTH.
    public var maxKeyLength: Int
    /// Largest value accepted by a storage command (memcached's default item size max is 1 MiB).
    public var maxValueLength: Int
    /// Longest text command line (without `\r\n`) for every command except the retrieval ones.
    public var maxLineLength: Int
    /// Longest text line for `get`/`gets`/`gat`/`gats`, which carry many keys.
    public var maxRetrievalLineLength: Int

    public init(maxKeyLength: Int = 250, maxValueLength: Int = 1 << 20,
                maxLineLength: Int = 2048, maxRetrievalLineLength: Int = 64 * 1024) {
        self.maxKeyLength = maxKeyLength
        self.maxValueLength = maxValueLength
        self.maxLineLength = maxLineLength
        self.maxRetrievalLineLength = max(maxRetrievalLineLength, maxLineLength)
    }
}
