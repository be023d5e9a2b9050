import Foundation
import SessionMeshClient
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Live, on loopback, with Debian's haproxy 2.6: three sidecars in one gossip mesh, three HTTP
/// backends of unequal speed (Examples/backend/slow_backend.py: 10, 30 and 90 ms per request), each
/// pushing its own measured load to its sidecar every 200 ms (`POST /v1/load`), and haproxy in
/// front with one `agent-check` per server pointed at that server's sidecar.
///
/// - Weights follow the gossiped load: under real traffic through haproxy's frontend, the weight
///   haproxy applies (stats socket, `get weight`) to the fastest backend ends well above the
///   slowest one's.
/// - Drain: after SIGTERM to sidecar 2 (`--drain-delay-ms 3000`), its server shows `DRAIN` in
///   `show stat` (and the drain bit in `show servers state`) while that sidecar drains; the
///   others do not; the sidecar then exits 0.
///
/// Why the servers have `maxconn 1`: `balance roundrobin` alone hands every server the same
/// share of requests whatever its speed, so all three would report the same request rate, and on
/// one host they also share the CPU utilization, which leaves the A58 weight (rate / utilization)
/// nothing to tell them apart by. With a connection limit per server and 20 clients, haproxy
/// queues requests in the backend and each server takes the next one when it frees up, so the
/// backends serve about 100, 33 and 11 requests/s (their capacities), which is what they report.
@Suite(.serialized) struct HAProxyLiveTests {
    @Test(.timeLimit(.minutes(5)))
    func haproxyWeightsFollowGossipedLoadAndAStoppingSidecarsServerDrains() async throws {
        _ = try LiveTools.haproxy()
        let python = try #require(LiveTools.python, "python3 is not installed")
        let backendScript = LiveTools.root + "/Examples/backend/slow_backend.py"
        let loadScript = LiveTools.root + "/Examples/backend/load_client.py"
        #expect(FileManager.default.fileExists(atPath: backendScript))

        let dir = TempDir("haproxy-live")

        // Three sidecars in one mesh, each with an agent-check responder and its backend's address.
        let delaysMs = [10, 30, 90]
        let mesh = try LiveMesh(count: 3, dir: dir) { _ in ["--drain-delay-ms", "3000"] }
        defer { mesh.stop() }
        let lastSidecarStart = Date()
        let sidecars = mesh.sidecars, clients = mesh.clients, appPorts = mesh.appPorts, agentPorts = mesh.agentPorts
        try await mesh.waitUntilJoined()

        // The backends, each reporting to its own sidecar.
        var backends: [ManagedProcess] = []
        defer { for b in backends { b.terminate(waitSeconds: 5) } }
        for i in 0..<3 {
            let p = try ManagedProcess(python, [backendScript, "--port", String(appPorts[i]), "--socket", sidecars[i].socket,
                                                "--name", "host\(i + 1)", "--delay-ms", String(delaysMs[i])],
                                       logPath: dir.file("backend\(i + 1).log"))
            backends.append(p)
            let listening = waitUntil(seconds: 15) { p.log.contains("listening") || !p.process.isRunning }
            try #require(listening && p.process.isRunning, "backend \(i + 1) did not start: \(p.log)")
        }

        // HAProxy with the stats socket, a frontend and the three servers with agent checks.
        let frontendPort = freeLoopbackPort()
        let servers = (0..<3).map { i in
            "    server s\(i + 1) 127.0.0.1:\(appPorts[i]) weight 100 maxconn 1 agent-check agent-port \(agentPorts[i]) agent-inter 500ms"
        }
        let (proxy, stats) = try LiveTools.startHAProxy(sections: """
            frontend live
                bind 127.0.0.1:\(frontendPort)
                default_backend apps
            backend apps
                balance roundrobin
            \(servers.joined(separator: "\n"))
            """, dir: dir)
        defer { proxy.terminate(waitSeconds: 5) }

        // Real traffic through haproxy's frontend, bounded.
        let load = try ManagedProcess(python, [loadScript, "closed", "--url", "http://127.0.0.1:\(frontendPort)/",
                                               "--concurrency", "20", "--seconds", "150"],
                                      logPath: dir.file("load.log"))
        defer { load.terminate(waitSeconds: 5) }

        // Weights follow the gossiped load: the fastest backend's haproxy weight clearly above the
        // slowest's (≥ 1.5×; at capacity the rates are 9:3:1 and runs showed weights of about
        // 204/81/26, but a starved client on a loaded machine may not keep the queue full) and
        // above the middle one's, four reads in a row. The mesh has a 10 s blackout and a 30 s slow start
        // (WeightFunction defaults; no flag shortens them). Slow start favours the sidecar that
        // started first (host1), so only weights read after every slow start is over count.
        let slowStartOver = lastSidecarStart.addingTimeInterval(31)
        var streak = 0
        var last: [Int] = []
        let settled = await eventually(seconds: 100, every: .milliseconds(500)) {
            let w = (1...3).compactMap { stats.weight(backend: "apps", server: "s\($0)") }
            last = w
            guard Date() > slowStartOver, w.count == 3, w[0] != 100 || w[2] != 100 else { streak = 0; return false }
            streak = 2 * w[0] >= 3 * w[2] && w[0] > w[1] ? streak + 1 : 0
            return streak >= 4
        }
        let seen = await LiveTools.meshMembers(clients[0])
        print("haproxy weights s1..s3 (10, 30, 90 ms backends): \(last); mesh seen by host1: \(seen.sorted { $0.key < $1.key })")
        #expect(settled, "haproxy weights s1..s3 = \(last) (want s1 ≥ 1.5×s3 and s1 > s2); mesh: \(seen)")
        // What drove them: the gossiped request rates, as the mesh sees them.
        if let r1 = seen["host1"]?.requestRate, let r3 = seen["host3"]?.requestRate {
            #expect(r1 > r3, "gossiped request rates: \(seen)")
        } else {
            Issue.record("no gossiped load for host1/host3: \(seen)")
        }

        // Graceful stop of sidecar 2: its server goes to DRAIN while the sidecar drains.
        let stopping = sidecars[1].process
        kill(stopping.pid, SIGTERM)
        var drainStatus = ""
        var runningWhenDrained = false
        let drained = await eventually(seconds: 10, every: .milliseconds(100)) {
            drainStatus = stats.status(backend: "apps", server: "s2") ?? "?"
            runningWhenDrained = stopping.process.isRunning
            return drainStatus.hasPrefix("DRAIN")
        }
        #expect(drained, "s2 status after SIGTERM to its sidecar: \(drainStatus)")
        #expect(runningWhenDrained, "s2 showed DRAIN only after its sidecar had exited")
        if let admin = stats.adminState(backend: "apps", server: "s2") {
            #expect(admin & 0x08 != 0 || admin & 0x10 != 0, "srv_admin_state of s2 = \(admin), no drain bit")
        } else {
            Issue.record("no `show servers state` row for s2")
        }
        for s in ["s1", "s3"] {
            let status = stats.status(backend: "apps", server: s) ?? "?"
            #expect(!status.hasPrefix("DRAIN"), "\(s) is \(status) though its sidecar runs")
        }
        let exit = stopping.terminate(waitSeconds: 20)
        #expect(exit == 0, "sidecar 2 exit status \(exit): \(sidecars[1].process.log.suffix(2000))")
        // Everything else stops by PID in the defers above (also when a requirement fails):
        // load, haproxy, the backends, then the mesh.
    }
}

/// HAProxy's admin socket: one command per connection.
struct HAProxyStats: Sendable {
    let socket: String

    func command(_ text: String) -> String? {
        guard let fd = connectUnix(socket) else { return nil }
        defer { close(fd) }
        let line = Array((text + "\n").utf8)
        guard line.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == line.count else { return nil }
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { return nil }
            if n == 0 { break }
            reply.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// The current weight: `get weight be/srv` answers "150 (initial 100)".
    func weight(backend: String, server: String) -> Int? {
        command("get weight \(backend)/\(server)")?.split(separator: " ").first.flatMap { Int($0) }
    }

    /// The `status` column of `show stat` for one server, e.g. "UP", "DRAIN (agent)", "no check".
    func status(backend: String, server: String) -> String? {
        statRow(backend: backend, server: server)?["status"]
    }

    func statRow(backend: String, server: String) -> [String: String]? {
        command("show stat").flatMap { Self.row(inCSV: $0, backend: backend, server: server) }
    }

    /// One server's row of HAProxy's stats CSV (`show stat`, or the stats page's `;csv`).
    static func row(inCSV text: String, backend: String, server: String) -> [String: String]? {
        let lines = text.split(separator: "\n")
        guard let header = lines.first, header.hasPrefix("#") else { return nil }
        let names = header.dropFirst().trimmingCharacters(in: .whitespaces).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if fields.count >= 2, fields[0] == backend, fields[1] == server {
                return Dictionary(zip(names, fields), uniquingKeysWith: { a, _ in a })
            }
        }
        return nil
    }

    /// `srv_admin_state` from `show servers state` (a drain set by the agent is a bit in it).
    func adminState(backend: String, server: String) -> Int? {
        serverState(backend: backend, server: server, column: "srv_admin_state")
    }

    /// `srv_op_state` from `show servers state`: 2 is running, 0 stopped.
    func operationalState(backend: String, server: String) -> Int? {
        serverState(backend: backend, server: server, column: "srv_op_state")
    }

    /// One numeric column of a server's row in `show servers state BACKEND`.
    func serverState(backend: String, server: String, column: String) -> Int? {
        guard let text = command("show servers state \(backend)") else { return nil }
        let lines = text.split(separator: "\n")
        guard let header = lines.first(where: { $0.hasPrefix("# be_id") }) else { return nil }
        let names = header.dropFirst(2).split(separator: " ").map(String.init)
        guard let srvName = names.firstIndex(of: "srv_name"), let wanted = names.firstIndex(of: column) else { return nil }
        for line in lines where !line.hasPrefix("#") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count > max(srvName, wanted), fields[srvName] == server { return Int(fields[wanted]) }
        }
        return nil
    }
}

enum LiveTools {
    /// The package root: three levels up from this file (Tests/RoutingLiveTests/…), else the working directory.
    static let root: String = {
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: fromSource.appendingPathComponent("Examples/backend").path) { return fromSource.path }
        return FileManager.default.currentDirectoryPath
    }()

    /// Debian's haproxy, or why the test cannot run.
    static func haproxy() throws -> String {
        try #require(executable("haproxy", in: ["/usr/sbin", "/usr/bin", "/usr/local/sbin"]),
                     "haproxy is not installed (apt-get install haproxy; `make deps` installs it)")
    }

    /// Runs haproxy with `sections` (frontends, backends) under the live tests' global and defaults
    /// sections (an admin stats socket in `dir`, HTTP mode, timeouts); returns once the stats
    /// socket answers.
    static func startHAProxy(sections: String, dir: TempDir) throws -> (ManagedProcess, HAProxyStats) {
        let stats = HAProxyStats(socket: dir.file("haproxy.sock"))
        let config = """
            global
                stats socket \(stats.socket) level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
                timeout queue 20s

            """ + sections + "\n"
        try config.write(toFile: dir.file("haproxy.cfg"), atomically: true, encoding: .utf8)
        let proxy = try ManagedProcess(haproxy(), ["-f", dir.file("haproxy.cfg"), "-db"], logPath: dir.file("haproxy.log"))
        let up = waitUntil(seconds: 15) { stats.command("show info")?.contains("Version") == true || !proxy.process.isRunning }
        try #require(up && proxy.process.isRunning, "haproxy did not start: \(proxy.log)")
        return (proxy, stats)
    }

    static func executable(_ name: String, in dirs: [String]) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return (dirs + path).map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The python3 interpreter itself (not a pyenv shim), so that its PID is the interpreter's.
    static let python: String? = {
        guard let python3 = executable("python3", in: ["/usr/bin", "/usr/local/bin"]) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python3)
        process.arguments = ["-c", "import sys; print(sys.executable)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : python3
    }()

    struct Member: Sendable, CustomStringConvertible {
        var status: String
        var weight: Double
        var requestRate: Double?
        var description: String {
            "\(status) w=\(String(format: "%.2f", weight)) rate=\(requestRate.map { String(format: "%.0f", $0) } ?? "-")"
        }
    }

    /// Member name → status, weight and gossiped request rate, from `GET /v1/mesh`.
    static func meshMembers(_ client: SessionMeshClient) async -> [String: Member] {
        guard let r = try? await client.send(.GET, "/v1/mesh"), r.status == 200,
              let json = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let members = json["members"] as? [[String: Any]] else { return [:] }
        var out = [String: Member]()
        for m in members {
            guard let n = m["name"] as? String, let s = m["status"] as? String else { continue }
            let load = m["load"] as? [String: Any]
            out[n] = Member(status: s, weight: (m["weight"] as? NSNumber)?.doubleValue ?? 0,
                            requestRate: (load?["requestRate"] as? NSNumber)?.doubleValue)
        }
        return out
    }
}
