/// The 24-byte header of every binary-protocol packet (protocol_binary.h), all fields big-endian.
///
///     0 magic | 1 opcode | 2-3 key length | 4 extras length | 5 data type
///     6-7 vbucket id (request) / status (response) | 8-11 total body length
///     12-15 opaque | 16-23 CAS
public struct BinaryHeader: Sendable, Equatable {
    public static let size = 24
    public static let requestMagic: UInt8 = 0x80
    public static let responseMagic: UInt8 = 0x81

    public var magic: UInt8
    public var opcode: BinaryOpcode
    public var keyLength: UInt16
    public var extrasLength: UInt8
    public var dataType: UInt8
    /// vbucket id in a request, status in a response.
    public var vbucketOrStatus: UInt16
    public var totalBodyLength: UInt32
    public var opaque: UInt32
    public var cas: UInt64

    public init(magic: UInt8, opcode: BinaryOpcode, keyLength: UInt16, extrasLength: UInt8, dataType: UInt8 = 0,
                vbucketOrStatus: UInt16, totalBodyLength: UInt32, opaque: UInt32, cas: UInt64) {
        self.magic = magic
        self.opcode = opcode
        self.keyLength = keyLength
        self.extrasLength = extrasLength
        self.dataType = dataType
        self.vbucketOrStatus = vbucketOrStatus
        self.totalBodyLength = totalBodyLength
        self.opaque = opaque
        self.cas = cas
    }

    /// Reads a header from 24 bytes at `p[at...]`.
    static func read(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> BinaryHeader {
        BinaryHeader(magic: p[i], opcode: BinaryOpcode(rawValue: p[i + 1]),
                     keyLength: BigEndian.u16(p, i + 2), extrasLength: p[i + 4], dataType: p[i + 5],
                     vbucketOrStatus: BigEndian.u16(p, i + 6), totalBodyLength: BigEndian.u32(p, i + 8),
                     opaque: BigEndian.u32(p, i + 12), cas: BigEndian.u64(p, i + 16))
    }

    public func encode(into out: inout [UInt8]) {
        out.append(magic)
        out.append(opcode.rawValue)
        BigEndian.append(keyLength, to: &out)
        out.append(extrasLength)
        out.append(dataType)
        BigEndian.append(vbucketOrStatus, to: &out)
        BigEndian.append(totalBodyLength, to: &out)
        BigEndian.append(opaque, to: &out)
        BigEndian.append(cas, to: &out)
    }
}

enum BigEndian {
    @inline(__always) static func u16(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt16 {
        UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }
    @inline(__always) static func u32(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }
    @inline(__always) static func u64(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(u32(p, i)) << 32 | UInt64(u32(p, i + 4))
    }
    @inline(__always) static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            out.append(UInt8(truncatingIfNeeded: v >> shift))
            shift -= 8
        }
    }
}

/// A binary-protocol opcode. Unknown values are representable (they are answered 0x0081).
public struct BinaryOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let get = BinaryOpcode(rawValue: 0x00)
    public static let set = BinaryOpcode(rawValue: 0x01)
    public static let add = BinaryOpcode(rawValue: 0x02)
    public static let replace = BinaryOpcode(rawValue: 0x03)
    public static let delete = BinaryOpcode(rawValue: 0x04)
    public static let increment = BinaryOpcode(rawValue: 0x05)
    public static let decrement = BinaryOpcode(rawValue: 0x06)
    public static let quit = BinaryOpcode(rawValue: 0x07)
    public static let flush = BinaryOpcode(rawValue: 0x08)
    public static let getq = BinaryOpcode(rawValue: 0x09)
    public static let noop = BinaryOpcode(rawValue: 0x0a)
    public static let version = BinaryOpcode(rawValue: 0x0b)
    public static let getk = BinaryOpcode(rawValue: 0x0c)
    public static let getkq = BinaryOpcode(rawValue: 0x0d)
    public static let append = BinaryOpcode(rawValue: 0x0e)
    public static let prepend = BinaryOpcode(rawValue: 0x0f)
    public static let stat = BinaryOpcode(rawValue: 0x10)
    public static let setq = BinaryOpcode(rawValue: 0x11)
    public static let addq = BinaryOpcode(rawValue: 0x12)
    public static let replaceq = BinaryOpcode(rawValue: 0x13)
    public static let deleteq = BinaryOpcode(rawValue: 0x14)
    public static let incrementq = BinaryOpcode(rawValue: 0x15)
    public static let decrementq = BinaryOpcode(rawValue: 0x16)
    public static let quitq = BinaryOpcode(rawValue: 0x17)
    public static let flushq = BinaryOpcode(rawValue: 0x18)
    public static let appendq = BinaryOpcode(rawValue: 0x19)
    public static let prependq = BinaryOpcode(rawValue: 0x1a)
    public static let verbosity = BinaryOpcode(rawValue: 0x1b)
    public static let touch = BinaryOpcode(rawValue: 0x1c)
    public static let gat = BinaryOpcode(rawValue: 0x1d)
    public static let gatq = BinaryOpcode(rawValue: 0x1e)
    public static let gatk = BinaryOpcode(rawValue: 0x23)
    public static let gatkq = BinaryOpcode(rawValue: 0x24)

    /// A quiet variant: GETQ, GETKQ, GATQ, GATKQ (silent on a miss) or SETQ ... FLUSHQ, QUITQ (silent on success).
    public var isQuiet: Bool {
        switch self {
        case .getq, .getkq, .gatq, .gatkq, .setq, .addq, .replaceq, .deleteq, .incrementq, .decrementq,
             .quitq, .flushq, .appendq, .prependq:
            return true
        default:
            return false
        }
    }

    /// A get whose quiet variant is silent on a miss (rather than on success).
    public var isRetrieval: Bool {
        switch self {
        case .get, .getq, .getk, .getkq, .gat, .gatq, .gatk, .gatkq: return true
        default: return false
        }
    }

    /// GETK, GETKQ, GATK, GATKQ return the key in their response.
    public var returnsKey: Bool {
        self == .getk || self == .getkq || self == .gatk || self == .gatkq
    }

    public var description: String {
        "0x" + String(rawValue, radix: 16)
    }
}

/// A binary-protocol response status (protocol_binary.h).
public struct BinaryStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let success = BinaryStatus(rawValue: 0x0000)
    public static let keyNotFound = BinaryStatus(rawValue: 0x0001)
    public static let keyExists = BinaryStatus(rawValue: 0x0002)
    public static let valueTooLarge = BinaryStatus(rawValue: 0x0003)
    public static let invalidArguments = BinaryStatus(rawValue: 0x0004)
    public static let itemNotStored = BinaryStatus(rawValue: 0x0005)
    public static let nonNumericValue = BinaryStatus(rawValue: 0x0006)
    /// memcached answers FLUSH with this when flushing is disabled (`-F`).
    public static let authError = BinaryStatus(rawValue: 0x0020)
    public static let unknownCommand = BinaryStatus(rawValue: 0x0081)
    public static let outOfMemory = BinaryStatus(rawValue: 0x0082)
    public static let notSupported = BinaryStatus(rawValue: 0x0083)
    public static let internalError = BinaryStatus(rawValue: 0x0084)
    public static let busy = BinaryStatus(rawValue: 0x0085)
    public static let temporaryFailure = BinaryStatus(rawValue: 0x0086)

    /// The error text memcached puts in the body of an error response.
    public var defaultMessage: String {
        switch self {
        case .success: return ""
        case .keyNotFound: return "Not found"
        case .keyExists: return "Data exists for key."
        case .valueTooLarge: return "Too large."
        case .invalidArguments: return "Invalid arguments"
        case .itemNotStored: return "Not stored."
        case .nonNumericValue: return "Non-numeric server-side value for incr or decr"
        case .authError: return "Auth failure."
        case .unknownCommand: return "Unknown command"
        case .outOfMemory: return "Out of memory"
        case .notSupported: return "Not supported"
        case .internalError: return "Internal error"
        case .busy: return "Busy"
        case .temporaryFailure: return "Temporary failure"
        default: return "Unknown error"
        }
    }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}
