import LocalCluster
// The processes under test: 3 memcached, one nutcracker in front of them, and one sidecar per
// `--sidecar` binary, all on the same 3 memcached nodes.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct MemcachedNode {
    var port: Int
    var pid: pid_t
    var address: String { "127.0.0.1:\(port)" }
}

/// Nutcracker listens on a Unix socket, as a proxy beside the app would (issue 15's baseline).
struct Nutcracker {
    var socket: String
    var statsPort: Int
    var pid: pid_t
    var config: String
    var address: String { socket }
}

struct SidecarInstance {
    var label: String
    var binary: String
    var socket: String
    var pid: pid_t
    var log: String
}

func startMemcached(dir: String, threads: Int, memoryMB: Int) throws -> MemcachedNode {
    let binary = ["/usr/bin/memcached", "/usr/local/bin/memcached"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let binary else { throw SpawnError("memcached is not installed (apt-get install memcached)") }
    for _ in 0..<5 {
        let port = freeLoopbackPort()
        var args = ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", String(memoryMB), "-t", String(threads), "-c", "4096"]
        if geteuid() == 0 { args = ["-u", "root"] + args }
        let pid = try spawnChild(binary, args, log: "\(dir)/memcached-\(port).log")
        if waitUntil(seconds: 5, { rawExchange(port: port, "version\r\n", until: "\r\n") != nil }) {
            return MemcachedNode(port: port, pid: pid)
        }
        Children.stop(pid)
    }
    throw SpawnError("memcached did not start; see \(dir)/memcached-*.log")
}

func startNutcracker(dir: String, servers: [MemcachedNode], hash: String, serverConnections: Int) throws -> Nutcracker {
    let binary = ["/usr/sbin/nutcracker", "/usr/bin/nutcracker", "/usr/local/bin/nutcracker"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let binary else { throw SpawnError("nutcracker is not installed (apt-get install nutcracker)") }
    for _ in 0..<5 {
        let port = freeLoopbackPort(), statsPort = freeLoopbackPort()
        let conf = "\(dir)/nutcracker-\(port).yml", socket = "\(dir)/nutcracker-\(port).sock"
        let yaml = """
        sessionbench:
          listen: \(socket) 0600
          hash: \(hash)
          distribution: ketama
          timeout: 1000
          backlog: 1024
          preconnect: true
          auto_eject_hosts: false
          server_connections: \(serverConnections)
          servers:
        \(servers.map { "   - \($0.address):1" }.joined(separator: "\n"))

        """
        try yaml.write(toFile: conf, atomically: true, encoding: .utf8)
        let check = try runToCompletion(binary, ["-t", "-c", conf], scratch: "\(dir)/nutcracker-check.log")
        guard check.status == 0 else { throw SpawnError("nutcracker rejected \(conf): \(check.output)") }
        let pid = try spawnChild(binary, ["-c", conf, "-s", String(statsPort), "-a", "127.0.0.1", "-o", "\(dir)/nutcracker-\(port).log"],
                                 log: "\(dir)/nutcracker-\(port).stdout")
        // Up once a get through it is answered (a miss is an answer).
        if waitUntil(seconds: 5, { FileManager.default.fileExists(atPath: socket) }),
           waitUntil(seconds: 5, { nutcrackerAnswers(socket) }) {
            return Nutcracker(socket: socket, statsPort: statsPort, pid: pid, config: conf)
        }
        Children.stop(pid)
    }
    throw SpawnError("nutcracker did not start; see \(dir)/nutcracker-*.log")
}

/// A get through nutcracker is answered (a miss is an answer).
private func nutcrackerAnswers(_ socket: String) -> Bool {
    do {
        _ = try DirectMemcachedClient(servers: [socket]).get("sessionbench:ping")
        return true
    } catch {
        return false
    }
}

/// `sessionmesh keygen` into a keyring file.
func makeKeyring(binary: String, dir: String) throws -> String {
    let out = try runToCompletion(binary, ["keygen"], scratch: "\(dir)/keygen.out")
    let key = out.output.split(separator: "\n").first.map(String.init) ?? ""
    guard out.status == 0, !key.isEmpty else { throw SpawnError("\(binary) keygen failed: \(out.output)") }
    let path = "\(dir)/keyring"
    try (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o600)
    return path
}

/// A redis-server for path (c) over Redis: no persistence (as memcached), loopback only.
func startRedis(dir: String) throws -> MemcachedNode {
    let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let binary else { throw SpawnError("redis-server is not installed (apt-get install redis-server)") }
    for _ in 0..<5 {
        let port = freeLoopbackPort()
        let args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
                    "--maxmemory", "256mb", "--maxmemory-policy", "noeviction", "--daemonize", "no"]
        let pid = try spawnChild(binary, args, log: "\(dir)/redis-\(port).log")
        if waitUntil(seconds: 5, { respExchange(port, "PING") == .simple("PONG") }) {
            return MemcachedNode(port: port, pid: pid)
        }
        Children.stop(pid)
    }
    throw SpawnError("redis-server did not start; see \(dir)/redis-*.log")
}

func startSidecar(label: String, binary: String, dir: String, memcached: [MemcachedNode], keyring: String, extra: [String],
                  storeFlag: String = "--memcached") throws -> SidecarInstance {
    let socket = "\(dir)/\(label).sock"
    let log = "\(dir)/sidecar-\(label).log"
    let args = ["run", "--socket", socket, storeFlag, memcached.map(\.address).joined(separator: ","),
                "--keyring", keyring, "--log-level", "notice"] + extra
    let pid = try spawnChild(binary, args, log: log)
    let ready = waitUntil(seconds: 30) {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.contains("sessionmesh ready") || !Children.isRunning(pid)
    }
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    guard ready, text.contains("sessionmesh ready"), Children.isRunning(pid) else {
        Children.stop(pid)
        throw SpawnError("sidecar \(label) did not start:\n\(text)")
    }
    return SidecarInstance(label: label, binary: binary, socket: socket, pid: pid, log: log)
}

/// `curr_items` of a memcached node (to show how the preload spread over the ring).
func currItems(_ node: MemcachedNode) -> Int? {
    guard let stats = rawExchange(port: node.port, "stats\r\n", until: "END\r\n") else { return nil }
    for line in stats.split(separator: "\r\n") where line.hasPrefix("STAT curr_items ") {
        return Int(line.split(separator: " ").last ?? "")
    }
    return nil
}

func toolVersion(_ binary: String, _ flag: String, dir: String) -> String {
    guard let r = try? runToCompletion(binary, [flag], scratch: "\(dir)/version.out") else { return "?" }
    return r.output.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "?"
}
