import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real memcached on a free 127.0.0.1 port, started here and stopped by PID.
public final class MemcachedServer: @unchecked Sendable {
    public let port: Int
    public private(set) var process: ManagedProcess
    private let logPath: String
    public var address: String { "127.0.0.1:\(port)" }

    public init(dir: TempDir) throws {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let log = dir.file("memcached-\(port).log")
            do {
                let p = try Self.launch(port: port, log: log)
                if waitUntil(seconds: 5, { Self.answers(port) }) {
                    self.port = port
                    self.process = p
                    self.logPath = log
                    return
                }
                p.killNow()
            } catch { lastError = error }
        }
        throw lastError ?? LocalClusterError("memcached did not start (is it installed? `make deps` installs it)")
    }

    private static func launch(port: Int, log: String) throws -> ManagedProcess {
        let binary = ["/usr/bin/memcached", "/usr/local/bin/memcached"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/memcached"
        var args = ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "64", "-t", "2"]
        if geteuid() == 0 { args += ["-u", "root"] }
        return try ManagedProcess(binary, args, logPath: log)
    }

    /// Restarts a killed server on the same port (empty, like a replaced node).
    public func restart() throws {
        process.killNow()
        process = try Self.launch(port: port, log: logPath)
        guard waitUntil(seconds: 5, { Self.answers(port) }) else { throw LocalClusterError("memcached restart failed") }
    }

    public func kill() { process.killNow() }
    public var isRunning: Bool { process.process.isRunning }
    public func freeze() { process.freeze() }
    public func resume() { process.resume() }

    static func answers(_ port: Int) -> Bool {
        guard let fd = connectLoopback(port) else { return false }
        close(fd)
        return true
    }

    // MARK: Raw ASCII protocol, for looking at what is really stored.

    /// `get key` straight from this node.
    public func rawGet(_ key: String) -> [UInt8]? {
        guard let reply = exchange("get \(key)\r\n", until: "END\r\n") else { return nil }
        // VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n
        guard let headerEnd = reply.firstIndex(of: 0x0A), reply.starts(with: Array("VALUE".utf8)) else { return nil }
        let header = String(decoding: reply[..<headerEnd], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let length = header.split(separator: " ").last.flatMap({ Int($0) }) else { return nil }
        let start = headerEnd + 1
        guard reply.count >= start + length else { return nil }
        return Array(reply[start..<(start + length)])
    }

    /// `set key` straight to this node (for tampering tests).
    public func rawSet(_ key: String, _ value: [UInt8], ttl: Int = 3600) -> Bool {
        let command = Array("set \(key) 0 \(ttl) \(value.count)\r\n".utf8) + value + Array("\r\n".utf8)
        guard let reply = loopbackExchange(port, command, until: "\r\n") else { return false }
        return String(decoding: reply, as: UTF8.self).hasPrefix("STORED")
    }

    /// Every key this node holds (via `lru_crawler metadump all`).
    public func rawKeys() -> [String] {
        guard let reply = exchange("lru_crawler metadump all\r\n", until: "END\r\n") else { return [] }
        return String(decoding: reply, as: UTF8.self).split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.flatMap { $0.hasPrefix("key=") ? String($0.dropFirst(4)).removingPercentEncoding : nil }
        }
    }

    private func exchange(_ command: String, until terminator: String) -> [UInt8]? {
        loopbackExchange(port, Array(command.utf8), until: terminator)
    }
}

public struct LocalClusterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
