import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real redis-server on a free 127.0.0.1 port, started here and stopped by PID. No RDB
/// snapshots; with `durable`, an append-only file fsynced on every write (`appendfsync always`),
/// kept in its own directory so a restart reads it back.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    public let durable: Bool
    public let password: String?
    public private(set) var process: ManagedProcess
    private let dataDir: String
    private let logPath: String
    public var address: String { "127.0.0.1:\(port)" }

    public init(dir: TempDir, durable: Bool = false, password: String? = nil) throws {
        self.durable = durable
        self.password = password
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let data = dir.file("redis-\(port)")
            try? FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let log = dir.file("redis-\(port).log")
            do {
                let p = try Self.launch(port: port, dataDir: data, log: log, durable: durable, password: password)
                if waitUntil(seconds: 5, { Self.answers(port, password: password) }) {
                    self.port = port
                    self.process = p
                    self.dataDir = data
                    self.logPath = log
                    return
                }
                p.killNow()
            } catch { lastError = error }
        }
        throw lastError ?? LocalClusterError("redis-server did not start (is it installed? `make deps` installs it)")
    }

    private static func launch(port: Int, dataDir: String, log: String, durable: Bool, password: String?) throws -> ManagedProcess {
        let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/redis-server"
        var args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dataDir, "--daemonize", "no",
                    "--maxmemory", "64mb", "--maxmemory-policy", "noeviction", "--appendonly", durable ? "yes" : "no"]
        if durable { args += ["--appendfsync", "always"] }
        if let password { args += ["--requirepass", password] }
        return try ManagedProcess(binary, args, logPath: log)
    }

    /// Starts a killed server again on the same port and directory: with `durable` it reads its
    /// append-only file back; without, it starts empty (a replaced node).
    public func restart() throws {
        process.killNow()
        process = try Self.launch(port: port, dataDir: dataDir, log: logPath, durable: durable, password: password)
        guard waitUntil(seconds: 10, { Self.answers(port, password: password) }) else { throw LocalClusterError("redis restart failed") }
    }

    public func kill() { process.killNow() }
    public var isRunning: Bool { process.process.isRunning }
    public func freeze() { process.freeze() }
    public func resume() { process.resume() }

    /// PONG (not LOADING: the append-only file has been read).
    static func answers(_ port: Int, password: String?) -> Bool {
        respExchange(port, [Array("PING".utf8)], password: password) == .simple("PONG")
    }

    // MARK: Raw access, for looking at what is really stored.

    /// Every key on this node, listed by `redis-cli --scan`.
    public func rawKeys() -> [String] {
        let dir = TempDir("redis-cli")
        var args = ["-h", "127.0.0.1", "-p", String(port), "--scan"]
        if let password { args += ["-a", password, "--no-auth-warning"] }
        guard let p = try? ManagedProcess("/usr/bin/redis-cli", args, logPath: dir.file("out")) else { return [] }
        p.process.waitUntilExit()
        return p.log.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Every field and value of the hash at `key` (HGETALL), nil when there is none.
    public func rawHash(_ key: String) -> [String: [UInt8]]? {
        guard case .array(let items)? = respExchange(port, [Array("HGETALL".utf8), Array(key.utf8)], password: password),
              !items.isEmpty, items.count % 2 == 0 else { return nil }
        var hash = [String: [UInt8]]()
        for i in stride(from: 0, to: items.count, by: 2) {
            guard case .bulk(let f) = items[i], case .bulk(let v) = items[i + 1] else { return nil }
            hash[String(decoding: f, as: UTF8.self)] = v
        }
        return hash
    }

    /// The sealed value of the copy at `key` (field `v` of its hash).
    public func rawGet(_ key: String) -> [UInt8]? {
        guard case .bulk(let v)? = respExchange(port, [Array("HGET".utf8), Array(key.utf8), Array("v".utf8)], password: password) else { return nil }
        return v
    }

    /// Overwrites the sealed value at `key`, leaving its order and CAS id (for tampering tests).
    public func rawSet(_ key: String, _ value: [UInt8]) -> Bool {
        guard case .integer? = respExchange(port, [Array("HSET".utf8), Array(key.utf8), Array("v".utf8), value], password: password) else { return false }
        return true
    }

    /// The time to live of `key` in ms (PTTL: -1 none, -2 no key).
    public func rawPTTL(_ key: String) -> Int64? {
        guard case .integer(let v)? = respExchange(port, [Array("PTTL".utf8), Array(key.utf8)], password: password) else { return nil }
        return v
    }
}
