#if canImport(Glibc)
import Glibc
#endif

/// Reads small kernel files such as /proc/stat with plain `open`/`read`: the load sampler runs
/// every second for the life of the sidecar, and Foundation's file reading pulls in far more
/// code (and resident pages) than a read loop.
enum ProcFile {
    /// The whole file as UTF-8, or nil if it cannot be read. Stops at `limit` bytes.
    static func read(_ path: String, limit: Int = 1 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
