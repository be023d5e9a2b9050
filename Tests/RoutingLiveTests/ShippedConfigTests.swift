import Foundation
import SessionMeshClient
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The balancer configs a user copies, run with the real binaries from the shipped files
/// themselves, only their addresses (and file paths) substituted for loopback ones:
/// `docker/haproxy.cfg`, `Examples/haproxy/haproxy.cfg` (Debian's haproxy 2.6) and
/// `Examples/nginx/nginx.conf` (nginx-light).
///
/// Behind them: three sidecars in one mesh and three backends (Examples/backend/slow_backend.py)
/// of capacities 4:2:1 (4, 2 and 1 workers at 20 ms: 200, 100 and 50 req/s), each pushing its
/// load and utilization to its sidecar. With traffic through each balancer's frontend, the
/// weights the balancer applies must follow capacity: w1 > w2 > w3 > 0 and w1 ≥ 2.5 × w3.
/// A server line without `weight 100` fails this: HAProxy reads `up 85%` against its default
/// weight 1 and every host below 100% gets weight 0.
///
/// `deploy/config.sample.json` is run by ExamplesTests; `docker/docker-compose.yml` and the
/// Dockerfile need a container engine (scripts/check-docker.sh lints them).
@Suite(.serialized) struct ShippedConfigTests {
    static let workers = [4, 2, 1]
    static let serviceMs = 20

    @Test(.timeLimit(.minutes(8)))
    func theShippedHAProxyAndNginxConfigsWeightHostsByCapacity() async throws {
        let haproxy = try LiveTools.haproxy()
        let nginx = try #require(LiveTools.executable("nginx", in: ["/usr/sbin", "/usr/bin"]),
                                 "nginx is not installed (apt-get install nginx-light; `make deps` installs it)")
        let python = try #require(LiveTools.python, "python3 is not installed")
        let backendScript = LiveTools.root + "/Examples/backend/slow_backend.py"
        let loadScript = LiveTools.root + "/Examples/backend/load_client.py"

        let dir = TempDir("shipped-configs")
        let upstream = dir.file("sessionmesh-upstream.conf")

        let mesh = try LiveMesh(count: 3, dir: dir) { i in
            i == 0 ? ["--nginx-upstream-file", upstream] : []
        }
        let sidecars = mesh.sidecars, appPorts = mesh.appPorts, agentPorts = mesh.agentPorts
        // Slow start (30 s, WeightFunction's default) favours the sidecar that started first:
        // only weights read after it are compared.
        let slowStartOver = Date().addingTimeInterval(31)
        var processes: [ManagedProcess] = []
        defer {
            for p in processes.reversed() { p.terminate(waitSeconds: 5) }
            mesh.stop()
        }
        try await mesh.waitUntilJoined()
        for i in 0..<3 {
            let p = try ManagedProcess(python, [backendScript, "--port", String(appPorts[i]), "--socket", sidecars[i].socket,
                                                "--name", "host\(i + 1)", "--delay-ms", String(Self.serviceMs),
                                                "--workers", String(Self.workers[i])],
                                       logPath: dir.file("backend\(i + 1).log"))
            processes.append(p)
            let listening = waitUntil(seconds: 15) { p.log.contains("listening") || !p.process.isRunning }
            try #require(listening && p.process.isRunning, "backend \(i + 1) did not start: \(p.log)")
        }

        // 1. docker/haproxy.cfg: the compose demo's HAProxy. Its stats page (:8404) is read as CSV.
        do {
            let front = freeLoopbackPort(), statsPort = freeLoopbackPort()
            var cfg = try Self.shipped("docker/haproxy.cfg")
            try Self.replace(&cfg, "bind :8080", "bind 127.0.0.1:\(front)")
            try Self.replace(&cfg, "bind :8404", "bind 127.0.0.1:\(statsPort)")
            for i in 0..<3 {
                try Self.replaceInLine(&cfg, containing: "server host\(i + 1) ", [
                    ("host\(i + 1):8080", "127.0.0.1:\(appPorts[i])"), ("agent-port 7947", "agent-port \(agentPorts[i])"),
                ])
            }
            let weights: @Sendable () -> [Int] = {
                guard let csv = Self.httpGet(port: statsPort, path: "/;csv") else { return [] }
                return (1...3).compactMap { HAProxyStats.row(inCSV: csv, backend: "hosts", server: "host\($0)")?["weight"].flatMap { Int($0) } }
            }
            let (ok, last) = try await Self.runHAProxy(haproxy, config: cfg, name: "docker", dir: dir, python: python,
                                                       loadScript: loadScript, front: front, notBefore: slowStartOver,
                                                       weights: weights)
            #expect(ok, "docker/haproxy.cfg: weights host1..3 = \(last), want w1 > w2 > w3 > 0 and w1 ≥ 2.5·w3 (capacities 4:2:1)")
        }

        // 2. Examples/haproxy/haproxy.cfg, read through its stats socket.
        do {
            let front = freeLoopbackPort()
            let socket = dir.file("admin.sock")
            var cfg = try Self.shipped("Examples/haproxy/haproxy.cfg")
            try Self.replace(&cfg, "stats socket /run/haproxy/admin.sock", "stats socket \(socket)")
            try Self.replace(&cfg, "bind :80", "bind 127.0.0.1:\(front)")
            for i in 0..<3 {
                try Self.replaceInLine(&cfg, containing: "server host\(i + 1) ", [
                    ("10.0.0.\(i + 1):8080", "127.0.0.1:\(appPorts[i])"), ("agent-port 7947", "agent-port \(agentPorts[i])"),
                ])
            }
            let stats = HAProxyStats(socket: socket)
            let (ok, last) = try await Self.runHAProxy(haproxy, config: cfg, name: "example", dir: dir, python: python,
                                                       loadScript: loadScript, front: front, notBefore: slowStartOver,
                                                       weights: { (1...3).compactMap { stats.weight(backend: "apps", server: "host\($0)") } })
            #expect(ok, "Examples/haproxy/haproxy.cfg: weights host1..3 = \(last), want w1 > w2 > w3 > 0 and w1 ≥ 2.5·w3")
        }

        // 3. Examples/nginx/nginx.conf with the upstream file host1's sidecar writes.
        let upstreamWeights = { () -> [Int] in
            let text = (try? String(contentsOfFile: upstream, encoding: .utf8)) ?? ""
            return (1...3).compactMap { i in
                text.split(separator: "\n").first { $0.contains("127.0.0.1:\(appPorts[i - 1]) ") }
                    .flatMap { $0.split(separator: "weight=").last?.prefix { $0.isNumber } }.flatMap { Int($0) }
            }
        }
        var fileWeights: [Int] = []
        let fileOK = await eventually(seconds: 20, every: .milliseconds(500)) {
            fileWeights = upstreamWeights()
            return Self.followsCapacity(fileWeights)
        }
        #expect(fileOK, "nginx upstream file weights host1..3 = \(fileWeights): \((try? String(contentsOfFile: upstream, encoding: .utf8)) ?? "")")
        let front = freeLoopbackPort()
        var conf = try Self.shipped("Examples/nginx/nginx.conf")
        try Self.replace(&conf, "include /etc/nginx/sessionmesh-upstream.conf;", "include \(upstream);")
        try Self.replace(&conf, "listen 80;", "listen 127.0.0.1:\(front);")
        try Self.replace(&conf, "http {", "http {\n    access_log \(dir.file("nginx-access.log"));")
        try conf.write(toFile: dir.file("nginx.conf"), atomically: true, encoding: .utf8)
        let server = try ManagedProcess(nginx, ["-c", dir.file("nginx.conf"), "-p", dir.path, "-e", dir.file("nginx-error.log"),
                                                "-g", "daemon off; pid \(dir.file("nginx.pid")); error_log \(dir.file("nginx-error.log"));"],
                                        logPath: dir.file("nginx.log"))
        processes.append(server)
        let up = waitUntil(seconds: 10) { connectLoopback(front).map { close($0); return true } ?? !server.process.isRunning }
        try #require(up && server.process.isRunning, "nginx did not start: \(server.log) \((try? String(contentsOfFile: dir.file("nginx-error.log"), encoding: .utf8)) ?? "")")
        let load = try ManagedProcess(python, [loadScript, "closed", "--url", "http://127.0.0.1:\(front)/",
                                               "--concurrency", "7", "--seconds", "10"], logPath: dir.file("load-nginx.log"))
        load.process.waitUntilExit()
        let summary = load.log.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let per = summary?["perBackend"] as? [String: Int] ?? [:]
        let counts = (1...3).map { per["host\($0)"] ?? 0 }
        print("nginx: upstream weights \(fileWeights), requests per host \(counts), \(summary ?? [:])")
        #expect(Self.followsCapacity(counts), "requests through nginx per host1..3 = \(counts) (weights \(fileWeights))")
        #expect((summary?["errors"] as? Int) == 0, "errors through nginx: \(load.log)")
        server.terminate(waitSeconds: 5)
    }

    /// docker/config.json, the compose demo's sidecar config, with its addresses and paths
    /// given as flags (which override the file), plus the compose file's agent-check variable:
    /// the sidecar starts, stores and reads a session, and answers HAProxy's agent check.
    @Test func theDockerSidecarConfigStarts() async throws {
        let dir = TempDir("docker-config")
        let memcached = [try MemcachedServer(dir: dir), try MemcachedServer(dir: dir)]  // replicas: 2
        defer { for m in memcached { m.kill() } }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try Self.shipped("docker/config.json").utf8)) as? [String: Any])
        #expect(json["replicas"] as? Int == 2)
        let agent = freeLoopbackPort()
        let sidecar = try SidecarProcess(dir: dir, name: "docker", memcached: memcached.map(\.address),
                                         keyring: try SidecarProcess.makeKeyring(in: dir),
                                         extra: ["--config", LiveTools.root + "/docker/config.json", "--agent-check-bind", "127.0.0.1:\(agent)"])
        defer { sidecar.process.terminate(waitSeconds: 10) }
        let client = SessionMeshClient(socketPath: sidecar.socket)
        let created = try await client.send(.POST, "/v1/sessions", headers: [("Content-Type", "application/json")],
                                           body: Array(#"{"data":{"user":"alice"}}"#.utf8))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self)) \(sidecar.process.log.suffix(1000))")
        let line = loopbackExchange(agent, [], until: "\n").map { String(decoding: $0, as: UTF8.self) }
        #expect(line?.hasPrefix("up ") == true, "agent check answered \(line ?? "nothing")")
    }

    /// w1 > w2 > w3 > 0 and w1 ≥ 2.5·w3 (capacities 4:2:1).
    static func followsCapacity(_ w: [Int]) -> Bool {
        w.count == 3 && w[0] > w[1] && w[1] > w[2] && w[2] > 0 && 2 * w[0] >= 5 * w[2]
    }

    /// Runs haproxy from `config` with closed-loop traffic through `front` until the weights
    /// follow capacity in 3 reads in a row (after `notBefore`), for at most 60 s.
    static func runHAProxy(_ haproxy: String, config: String, name: String, dir: TempDir, python: String, loadScript: String,
                           front: Int, notBefore: Date, weights: @escaping @Sendable () -> [Int]) async throws -> (Bool, [Int]) {
        let path = dir.file("haproxy-\(name).cfg")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let check = try ManagedProcess(haproxy, ["-c", "-f", path], logPath: dir.file("haproxy-\(name)-check.log"))
        check.process.waitUntilExit()
        try #require(check.process.terminationStatus == 0, "haproxy -c rejects the \(name) config: \(check.log)")
        let proxy = try ManagedProcess(haproxy, ["-f", path, "-db"], logPath: dir.file("haproxy-\(name).log"))
        defer { proxy.terminate(waitSeconds: 5) }
        let up = waitUntil(seconds: 10) { connectLoopback(front).map { close($0); return true } ?? !proxy.process.isRunning }
        try #require(up && proxy.process.isRunning, "haproxy (\(name)) did not start: \(proxy.log.suffix(2000))")
        let load = try ManagedProcess(python, [loadScript, "closed", "--url", "http://127.0.0.1:\(front)/",
                                               "--concurrency", "10", "--seconds", "90"], logPath: dir.file("load-\(name).log"))
        defer { load.terminate(waitSeconds: 5) }
        var streak = 0
        var last: [Int] = []
        let ok = await eventually(seconds: 75, every: .milliseconds(500)) {
            last = weights()
            guard Date() > notBefore else { return false }
            streak = followsCapacity(last) ? streak + 1 : 0
            return streak >= 3
        }
        print("haproxy \(name): weights host1..3 \(last)")
        return (ok, last)
    }

    static func shipped(_ relative: String) throws -> String {
        try String(contentsOfFile: LiveTools.root + "/" + relative, encoding: .utf8)
    }

    struct ShapeChanged: Error, CustomStringConvertible {
        var description: String
    }

    /// Replaces every occurrence; throws if there is none (the shipped file changed shape).
    static func replace(_ text: inout String, _ old: String, _ new: String) throws {
        guard text.contains(old) else { throw ShapeChanged(description: "`\(old)` not found in the shipped config") }
        text = text.replacingOccurrences(of: old, with: new)
    }

    /// Replaces within the one line that contains `marker`.
    static func replaceInLine(_ text: inout String, containing marker: String, _ pairs: [(String, String)]) throws {
        var lines = text.components(separatedBy: "\n")
        let hits = lines.indices.filter { lines[$0].contains(marker) && !lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        guard hits.count == 1 else { throw ShapeChanged(description: "\(hits.count) lines with `\(marker)` in the shipped config") }
        for (old, new) in pairs { try replace(&lines[hits[0]], old, new) }
        text = lines.joined(separator: "\n")
    }

    /// GET over HTTP/1.0 on loopback; the body, or nil.
    static func httpGet(port: Int, path: String) -> String? {
        guard let fd = connectLoopback(port) else { return nil }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return nil }
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { break }
            reply.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: reply, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let body = String(text[end.upperBound...])
        // HAProxy's stats page is chunked even for an HTTP/1.0 request.
        guard text[..<end.lowerBound].lowercased().contains("transfer-encoding: chunked") else { return body }
        var out = ""
        var rest = Substring(body)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = rest.utf8.index(lineEnd.upperBound, offsetBy: 0)
            guard let stop = rest.utf8.index(start, offsetBy: size, limitedBy: rest.utf8.endIndex) else { return nil }
            out += String(Substring(rest.utf8[start..<stop]))
            rest = rest[stop...].dropFirst(2)
        }
        return out
    }
}
