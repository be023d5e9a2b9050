/// How the decoders reserve memory for a partial data block or body.
enum BufferGrowth {
    /// Reserves room for `k` more bytes of a block of `total`: capacity follows the bytes that
    /// actually arrive (a client announcing 1 MiB and sending nothing costs 16 KiB, not 1 MiB)
    /// and, once the block outgrows 16 KiB, one reservation of exactly `total` covers the rest.
    @inline(__always)
    static func reserve(_ buffer: inout [UInt8], forMore k: Int, of total: Int) {
        let needed = buffer.count + k
        guard needed > buffer.capacity else { return }
        buffer.reserveCapacity(needed <= 16 * 1024 ? min(total, 16 * 1024) : total)
    }
}
