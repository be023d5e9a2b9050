#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The Unix socket file: stale-file cleanup before bind, tight mode after.
public enum SocketFile {
    /// Removes a socket file left by a dead process. Refuses if a live server still answers on it,
    /// or if the path is not a socket.
    public static func prepare(_ path: String) throws(SocketFileError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw .init("\(path) exists and is not a socket") }
        if isAnswering(path) { throw .init("another process is serving on \(path)") }
        unlink(path)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    }

    public static func ensureDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    }

    public static func setMode(_ path: String, _ mode: UInt16) -> Bool { chmod(path, mode_t(mode)) == 0 }

    private static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }
}

/// Why a socket path cannot be bound, for the operator.
public struct SocketFileError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}
