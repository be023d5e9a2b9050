import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Raw sockets and /proc readings for the hostile-input tests: exact bytes in, exact bytes out.
enum RawPeer {
    /// Sends `bytes` on `fd` (optionally half-closing after), then reads until EOF or until the
    /// socket's receive timeout. Returns what was read and whether the peer closed.
    static func exchange(_ fd: Int32, _ bytes: [UInt8], halfClose: Bool = false) -> (reply: [UInt8], closed: Bool) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        return readToEnd(fd)
    }

    static func readToEnd(_ fd: Int32) -> (reply: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true) }
            if n < 0 { return (out, errno == ECONNRESET) }
            out += buffer[0..<n]
        }
    }

    /// Status codes of the HTTP responses in `reply`, in order.
    static func statuses(_ reply: [UInt8]) -> [Int] {
        let text = String(decoding: reply, as: UTF8.self)
        return text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }

    /// One request on a fresh connection to the Unix socket; the reply's statuses and whether it closed.
    static func unix(_ path: String, _ request: String, halfClose: Bool = false, timeout: Int = 3) -> (statuses: [Int], closed: Bool, text: String) {
        guard let fd = connectUnix(path, timeoutSeconds: timeout) else { return ([], true, "connect failed") }
        defer { close(fd) }
        let (reply, closed) = exchange(fd, Array(request.utf8), halfClose: halfClose)
        return (statuses(reply), closed, String(decoding: reply, as: UTF8.self))
    }

    static func udp(_ bytes: [UInt8], port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    // /proc

    /// Resident set size of `pid`, bytes.
    static func rss(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
        return kb * 1024
    }

    /// Open file descriptors of `pid`.
    static func fds(_ pid: pid_t) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// User + system CPU seconds used by `pid` so far.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
        let utime = Double(fields[11]) ?? 0, stime = Double(fields[12]) ?? 0
        return (utime + stime) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
