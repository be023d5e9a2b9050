/// A binary-protocol response packet: header (magic 0x81, the request's opcode and opaque,
/// a status, a CAS) and a body of extras, key and value.
public struct BinaryResponse: Sendable, Equatable {
    public var opcode: BinaryOpcode
    public var status: BinaryStatus
    public var opaque: UInt32
    public var cas: UInt64
    public var extras: [UInt8]
    public var key: [UInt8]
    public var value: [UInt8]

    public init(opcode: BinaryOpcode, status: BinaryStatus = .success, opaque: UInt32 = 0, cas: UInt64 = 0,
                extras: [UInt8] = [], key: [UInt8] = [], value: [UInt8] = []) {
        self.opcode = opcode
        self.status = status
        self.opaque = opaque
        self.cas = cas
        self.extras = extras
        self.key = key
        self.value = value
    }

    public var header: BinaryHeader {
        BinaryHeader(magic: BinaryHeader.responseMagic, opcode: opcode, keyLength: UInt16(key.count),
                     extrasLength: UInt8(extras.count), vbucketOrStatus: status.rawValue,
                     totalBodyLength: UInt32(extras.count + key.count + value.count), opaque: opaque, cas: cas)
    }

    public func encode(into out: inout [UInt8]) {
        header.encode(into: &out)
        out.append(contentsOf: extras)
        out.append(contentsOf: key)
        out.append(contentsOf: value)
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(BinaryHeader.size + extras.count + key.count + value.count)
        encode(into: &out)
        return out
    }

    // MARK: - Responses to a request

    /// An error response whose body is the status's text (memcached's `write_bin_error`).
    public static func failure(_ status: BinaryStatus, opcode: BinaryOpcode, opaque: UInt32,
                               message: String? = nil) -> BinaryResponse {
        BinaryResponse(opcode: opcode, status: status, opaque: opaque,
                       value: Array((message ?? status.defaultMessage).utf8))
    }

    public static func failure(_ status: BinaryStatus, for context: BinaryRequestContext,
                               message: String? = nil) -> BinaryResponse {
        failure(status, opcode: context.opcode, opaque: context.opaque, message: message)
    }

    /// Success with no body: SET/ADD/REPLACE/APPEND/PREPEND (with the new CAS), DELETE,
    /// FLUSH, NOOP, QUIT, VERBOSITY. (TOUCH answers with flags: `touched`.)
    public static func success(for context: BinaryRequestContext, cas: UInt64 = 0) -> BinaryResponse {
        BinaryResponse(opcode: context.opcode, opaque: context.opaque, cas: cas)
    }

    /// A GET/GAT hit: 4 bytes of flags as extras, the key for GETK/GATK(Q), the value, the CAS.
    public static func hit(for context: BinaryRequestContext, key: [UInt8], flags: UInt32,
                           value: [UInt8], cas: UInt64) -> BinaryResponse {
        var extras: [UInt8] = []
        extras.reserveCapacity(4)
        BigEndian.append(flags, to: &extras)
        return BinaryResponse(opcode: context.opcode, opaque: context.opaque, cas: cas, extras: extras,
                              key: context.opcode.returnsKey ? key : [], value: value)
    }

    /// A TOUCH hit: memcached answers with the flags as extras and the CAS, without the value.
    public static func touched(for context: BinaryRequestContext, flags: UInt32, cas: UInt64) -> BinaryResponse {
        hit(for: context, key: [], flags: flags, value: [], cas: cas)
    }

    /// A GET/GAT/TOUCH miss: memcached answers GETK/GATK with the key and no text, GET/GAT with "Not found".
    public static func miss(for context: BinaryRequestContext, key: [UInt8]) -> BinaryResponse {
        if context.opcode.returnsKey {
            return BinaryResponse(opcode: context.opcode, status: .keyNotFound, opaque: context.opaque, key: key)
        }
        return failure(.keyNotFound, for: context)
    }

    /// INCREMENT/DECREMENT success: the new value as 8 bytes.
    public static func counter(_ value: UInt64, cas: UInt64, for context: BinaryRequestContext) -> BinaryResponse {
        var body: [UInt8] = []
        body.reserveCapacity(8)
        BigEndian.append(value, to: &body)
        return BinaryResponse(opcode: context.opcode, opaque: context.opaque, cas: cas, value: body)
    }

    public static func version(_ version: String, for context: BinaryRequestContext) -> BinaryResponse {
        BinaryResponse(opcode: context.opcode, opaque: context.opaque, value: Array(version.utf8))
    }

    /// One STAT entry; the server ends the list with `statsEnd(for:)`.
    public static func stat(name: String, value: String, for context: BinaryRequestContext) -> BinaryResponse {
        BinaryResponse(opcode: context.opcode, opaque: context.opaque, key: Array(name.utf8), value: Array(value.utf8))
    }

    /// The empty STAT packet that ends a STAT answer.
    public static func statsEnd(for context: BinaryRequestContext) -> BinaryResponse {
        BinaryResponse(opcode: context.opcode, opaque: context.opaque)
    }
}
