import Testing
@testable import MemcacheProtocol

/// A seeded generator, so the random splits are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Cuts `bytes` into random chunks (sizes 1...max), reproducibly for `seed`.
func randomChunks(_ bytes: [UInt8], seed: UInt64, max: Int = 17) -> [ArraySlice<UInt8>] {
    var rng = SplitMix64(seed: seed)
    var out: [ArraySlice<UInt8>] = []
    var i = 0
    while i < bytes.count {
        let k = Int.random(in: 1...max, using: &rng)
        let e = Swift.min(bytes.count, i + k)
        out.append(bytes[i..<e])
        i = e
    }
    return out
}

func textDecode(_ chunks: [ArraySlice<UInt8>], limits: MemcacheLimits = MemcacheLimits()) -> [TextDecodeEvent] {
    var d = TextRequestDecoder(limits: limits)
    var events: [TextDecodeEvent] = []
    for c in chunks { d.feed(c) { events.append($0) } }
    return events
}

func binaryDecode(_ chunks: [ArraySlice<UInt8>], limits: MemcacheLimits = MemcacheLimits()) -> [BinaryDecodeEvent] {
    var d = BinaryRequestDecoder(limits: limits)
    var events: [BinaryDecodeEvent] = []
    for c in chunks { d.feed(c) { events.append($0) } }
    return events
}

/// Decodes `bytes` whole, one byte at a time and in random splits (8 seeds), expects the same
/// events every way, and returns them.
func textEvents(_ bytes: [UInt8], limits: MemcacheLimits = MemcacheLimits(),
                sourceLocation: SourceLocation = #_sourceLocation) -> [TextDecodeEvent] {
    let whole = textDecode([bytes[...]], limits: limits)
    let bytewise = textDecode(bytes.indices.map { bytes[$0...$0] }, limits: limits)
    #expect(bytewise == whole, "byte at a time", sourceLocation: sourceLocation)
    for seed in UInt64(1)...8 {
        let split = textDecode(randomChunks(bytes, seed: seed), limits: limits)
        #expect(split == whole, "random split, seed \(seed)", sourceLocation: sourceLocation)
    }
    return whole
}

func binaryEvents(_ bytes: [UInt8], limits: MemcacheLimits = MemcacheLimits(),
                  sourceLocation: SourceLocation = #_sourceLocation) -> [BinaryDecodeEvent] {
    let whole = binaryDecode([bytes[...]], limits: limits)
    let bytewise = binaryDecode(bytes.indices.map { bytes[$0...$0] }, limits: limits)
    #expect(bytewise == whole, "byte at a time", sourceLocation: sourceLocation)
    for seed in UInt64(1)...8 {
        let split = binaryDecode(randomChunks(bytes, seed: seed, max: 40), limits: limits)
        #expect(split == whole, "random split, seed \(seed)", sourceLocation: sourceLocation)
    }
    return whole
}

/// One text request, no noreply.
func req(_ c: MemcacheCommand, noreply: Bool = false) -> TextDecodeEvent {
    .request(MemcacheRequest(c, noreply: noreply))
}

func textError(_ r: TextResponse, noreply: Bool = false, close: Bool = false) -> TextDecodeEvent {
    .error(TextDecodeError(r, noreply: noreply, closeConnection: close))
}

/// A binary request frame written byte by byte from protocol_binary.h's layout (not with the
/// module's encoder, so the decoder is checked against the spec, not against itself).
func frame(_ opcode: UInt8, key: [UInt8] = [], extras: [UInt8] = [], value: [UInt8] = [],
           opaque: UInt32 = 0, cas: UInt64 = 0, magic: UInt8 = 0x80, bodyLength: UInt32? = nil) -> [UInt8] {
    let body = bodyLength ?? UInt32(extras.count + key.count + value.count)
    var f: [UInt8] = [magic, opcode, UInt8(key.count >> 8), UInt8(key.count & 0xff), UInt8(extras.count), 0, 0, 0]
    f += [UInt8(body >> 24), UInt8((body >> 16) & 0xff), UInt8((body >> 8) & 0xff), UInt8(body & 0xff)]
    f += [UInt8(opaque >> 24), UInt8((opaque >> 16) & 0xff), UInt8((opaque >> 8) & 0xff), UInt8(opaque & 0xff)]
    for s in stride(from: 56, through: 0, by: -8) { f.append(UInt8((cas >> UInt64(s)) & 0xff)) }
    return f + extras + key + value
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xffff_ffff)) }

func breq(_ c: MemcacheCommand, _ opcode: BinaryOpcode, opaque: UInt32 = 0) -> BinaryDecodeEvent {
    .request(MemcacheRequest(c, noreply: opcode.isQuiet, binary: BinaryRequestContext(opcode: opcode, opaque: opaque)))
}

func berror(_ status: BinaryStatus, _ opcode: UInt8, opaque: UInt32 = 0) -> BinaryDecodeEvent {
    .error(BinaryDecodeError(response: .failure(status, opcode: BinaryOpcode(rawValue: opcode), opaque: opaque)))
}
