import Foundation
import SessionMeshClient
import Testing
import TestSupport

/// The examples in Examples/ are documentation; these tests keep them true. Each one runs an
/// example to completion against 3 memcached + 3 real sidecars on loopback, then checks its exit
/// status and, through the API, the state it left behind.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ExamplesTests {
    @Test func swiftPaymentAppHopsBetweenSidecars() async throws {
        let cluster = try ExampleCluster()
        let canary = try await cluster.makeCanary()
        let app = try #require(ExamplePaths.paymentApp, "PaymentApp is not built: swift build --product PaymentApp")

        let run = try await cluster.run(app, cluster.sockets.flatMap { ["--socket", $0] }, name: "PaymentApp")
        #expect(run.status == 0, "PaymentApp failed:\n\(run.output)")
        try await cluster.expectFlowLeftNothing(run.output)
        #expect(run.output.contains("second submit refused with 412"))
        // The comma-separated form of --socket does the same.
        let again = try await cluster.run(app, ["--socket", cluster.sockets.joined(separator: ","), "--user", "bob"], name: "PaymentApp-2")
        #expect(again.status == 0, "PaymentApp with a comma list failed:\n\(again.output)")
        try await cluster.expectFlowLeftNothing(again.output)
        try await cluster.expectCanaryUntouched(canary)
    }

    @Test func pythonPaymentFlowHopsBetweenSidecars() async throws {
        let cluster = try ExampleCluster()
        let canary = try await cluster.makeCanary()
        let python = try #require(ExamplePaths.python, "python3 is not installed")
        let script = ExamplePaths.root + "/Examples/python/payment_flow.py"

        let run = try await cluster.run(python, [script, "--socket", cluster.sockets[0], "--socket", cluster.sockets[1...].joined(separator: ",")],
                                        name: "payment_flow.py")
        #expect(run.status == 0, "payment_flow.py failed:\n\(run.output)")
        try await cluster.expectFlowLeftNothing(run.output)
        #expect(run.output.contains("second submit refused with 412"))
        try await cluster.expectCanaryUntouched(canary)
    }

    @Test func curlRecipesRunEndToEnd() async throws {
        let cluster = try ExampleCluster()
        let canary = try await cluster.makeCanary()
        let bash = try #require(ExamplePaths.tool("bash"), "bash is not installed")
        _ = try #require(ExamplePaths.tool("curl"), "curl is not installed")
        let script = ExamplePaths.root + "/Examples/curl/recipes.sh"

        let run = try await cluster.run(bash, [script, cluster.sockets[1]], name: "recipes.sh")
        #expect(run.status == 0, "recipes.sh failed:\n\(run.output)")
        let id = try #require(token(after: "recipes OK: session ", in: run.output), "no final line:\n\(run.output)")
        let rotated = try #require(token(after: "rotated to ", in: run.output))
        #expect(id != rotated)
        try await cluster.expectGone(id)
        try await cluster.expectGone(rotated)
        // Every call was printed with its response.
        #expect(run.output.components(separatedBy: "$ curl --unix-socket").count - 1 == 24)
        for status in ["200 OK", "201 Created", "204 No Content", "401 Unauthorized", "404 Not Found", "409 Conflict", "412 Precondition Failed",
                       "422 Unprocessable"] {
            #expect(run.output.contains("HTTP/1.1 \(status)"), "no \(status) shown")
        }
        try await cluster.expectCanaryUntouched(canary)
    }

    /// deploy/config.sample.json names every setting of `sessionmesh run` (one per flag), and a
    /// sidecar starts with it (its `//` comment lines are stripped here to read it as JSON).
    @Test func deploySampleConfigHasEverySettingAndStarts() async throws {
        let dir = TempDir("examples-config")
        let text = try String(contentsOfFile: ExamplePaths.root + "/deploy/config.sample.json", encoding: .utf8)
        let json = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        let sample = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])

        let help = try await runToCompletion(SidecarProcess.defaultBinary, ["run", "--help"], log: dir.file("help.out"))
        #expect(help.status == 0)
        let flags = Set(help.output.split(whereSeparator: \.isWhitespace).compactMap { word -> String? in
            let name = word.drop { $0 == "[" || $0 == "(" }
            guard name.hasPrefix("--") else { return nil }
            return String(name.dropFirst(2).prefix { $0.isLowercase || $0.isNumber || $0 == "-" })
        }).subtracting(["config", "help", "version", ""])
        let keys = Set(flags.map { flag in
            let parts = flag.split(separator: "-")
            return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        })
        #expect(Set(sample.keys) == keys, "in the sample but not a flag: \(Set(sample.keys).subtracting(keys).sorted()); a flag missing from the sample: \(keys.subtracting(sample.keys).sorted())")

        // The loader takes the sample as it is, comments included; flags override its paths.
        let memcached = try MemcachedServer(dir: dir)
        let sidecar = try SidecarProcess(dir: dir, name: "sample", memcached: [memcached.address],
                                         keyring: try SidecarProcess.makeKeyring(in: dir), extra: ["--config", ExamplePaths.root + "/deploy/config.sample.json", "--replicas", "1"])
        #expect(sidecar.process.process.isRunning)
        sidecar.process.terminate()
        memcached.kill()
    }

    /// Against a sidecar that acknowledges cart updates without applying them, every example
    /// notices and exits non-zero: the checks in the examples are real.
    @Test func examplesExitNonZeroOnAMismatch() async throws {
        let dir = TempDir("examples-lying")
        let python = try #require(ExamplePaths.python, "python3 is not installed")
        let bash = try #require(ExamplePaths.tool("bash"), "bash is not installed")
        let app = try #require(ExamplePaths.paymentApp, "PaymentApp is not built")
        let socket = dir.file("lying.sock")
        try lyingSidecar.write(toFile: dir.file("lying.py"), atomically: true, encoding: .utf8)
        let fake = try ManagedProcess(python, [dir.file("lying.py"), socket], logPath: dir.file("lying.log"))
        defer { fake.killNow() }
        try #require(waitUntil(seconds: 10) { FileManager.default.fileExists(atPath: socket) }, "fake sidecar did not start: \(fake.log)")

        let runs: [(String, [String], String)] = [
            (app, ["--socket", socket], "MISMATCH"),
            (python, [ExamplePaths.root + "/Examples/python/payment_flow.py", "--socket", socket], "MISMATCH"),
            (bash, [ExamplePaths.root + "/Examples/curl/recipes.sh", socket], "FAILED: expected the body"),
        ]
        for (i, (tool, args, complaint)) in runs.enumerated() {
            let run = try await runToCompletion(tool, args, log: dir.file("run\(i).out"))
            #expect(run.status != 0, "\(args) exited 0 against a lying sidecar:\n\(run.output)")
            #expect(run.output.contains(complaint), "\(args) did not report the mismatch:\n\(run.output)")
        }
    }

    /// An example that cannot do its job says so with its exit status.
    @Test func examplesExitNonZeroWhenTheSidecarIsMissing() async throws {
        let dir = TempDir("examples-missing")
        let missing = dir.file("no-such.sock")
        var runs: [(String, [String])] = []
        if let app = ExamplePaths.paymentApp { runs.append((app, ["--socket", missing])) }
        if let python = ExamplePaths.python { runs.append((python, [ExamplePaths.root + "/Examples/python/payment_flow.py", "--socket", missing])) }
        if let bash = ExamplePaths.tool("bash") { runs.append((bash, [ExamplePaths.root + "/Examples/curl/recipes.sh", missing])) }
        #expect(runs.count == 3)
        for (i, (tool, args)) in runs.enumerated() {
            let run = try await runToCompletion(tool, args, log: dir.file("run\(i).out"))
            #expect(run.status != 0, "\(args) exited 0:\n\(run.output)")
        }
    }
}

struct Canary: Codable, Equatable, Sendable {
    var user: String
    var items: [String]
}

/// 3 memcached + 3 sidecars sharing one keyring, all stopped by PID at deinit.
final class ExampleCluster: @unchecked Sendable {
    let dir = TempDir("examples")
    let memcached: [MemcachedServer]
    var sidecars: [SidecarProcess] = []
    let clients: [SessionMeshClient]
    var sockets: [String] { sidecars.map(\.socket) }

    init() throws {
        let dir = self.dir
        memcached = try (0..<3).map { _ in try MemcachedServer(dir: dir) }
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        for i in 1...3 {
            sidecars.append(try SidecarProcess(dir: dir, name: "host\(i)", memcached: memcached.map(\.address), keyring: keyring,
                                               extra: ["--poll-timeout-ms", "200", "--connect-timeout-ms", "200"]))
        }
        clients = sidecars.map { SessionMeshClient(socketPath: $0.socket, timeout: .seconds(5)) }
    }

    deinit {
        for s in sidecars { s.process.killNow() }
        for m in memcached { m.kill() }
    }

    func run(_ executable: String, _ arguments: [String], name: String) async throws -> ExampleRun {
        try await runToCompletion(executable, arguments, log: dir.file("\(name).out"))
    }

    /// The session `id` is gone (404) on every sidecar.
    func expectGone(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(id.count == 43, "not a session id: \(id)", sourceLocation: sourceLocation)
        for (i, client) in clients.enumerated() {
            await #expect(throws: SessionMeshError.notFound, "\(id) is still readable on host\(i + 1)", sourceLocation: sourceLocation) {
                let _: Session<Canary> = try await client.get(id)
            }
        }
    }

    /// A payment flow's output names the login session and the rotated one; both must be gone.
    func expectFlowLeftNothing(_ output: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let login = try #require(token(after: "] session ", in: output), "no login line:\n\(output)", sourceLocation: sourceLocation)
        let final = try #require(token(after: "payment flow OK: session ", in: output), "no OK line:\n\(output)", sourceLocation: sourceLocation)
        #expect(login != final, "the session id was not rotated", sourceLocation: sourceLocation)
        #expect(output.contains("after two concurrent adds"), sourceLocation: sourceLocation)
        try await expectGone(login, sourceLocation: sourceLocation)
        try await expectGone(final, sourceLocation: sourceLocation)
    }

    /// A session the examples must not touch.
    func makeCanary() async throws -> Session<Canary> {
        try await clients[0].create(Canary(user: "canary", items: ["keep"]))
    }

    func expectCanaryUntouched(_ canary: Session<Canary>) async throws {
        for client in clients {
            let now: Session<Canary> = try await client.get(canary.id)
            #expect(now.version == canary.version && now.data == canary.data)
        }
    }
}

struct ExampleRun {
    var status: Int32
    var output: String
}

/// Runs a program to completion with its output in `log`; after `timeout` seconds it is killed
/// by PID and the test fails.
func runToCompletion(_ executable: String, _ arguments: [String], log: String, timeout: Duration = .seconds(60)) async throws -> ExampleRun {
    let process = try ManagedProcess(executable, arguments, logPath: log)
    let deadline = ContinuousClock.now + timeout
    while process.process.isRunning && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    if process.process.isRunning {
        process.killNow()
        Issue.record("\(executable) \(arguments) did not finish within \(timeout):\n\(process.log)")
        return ExampleRun(status: -1, output: process.log)
    }
    process.process.waitUntilExit()
    return ExampleRun(status: process.process.terminationStatus, output: process.log)
}

/// The base64url token that follows the first occurrence of `marker` in `text`.
func token(after marker: String, in text: String) -> String? {
    guard let range = text.range(of: marker) else { return nil }
    let id = text[range.upperBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    return id.isEmpty ? nil : String(id)
}

enum ExamplePaths {
    /// The package root: three levels up from this file (Tests/ExamplesTests/…), else the working directory.
    static let root: String = {
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: fromSource.appendingPathComponent("Examples").path) { return fromSource.path }
        return FileManager.default.currentDirectoryPath
    }()

    /// The built PaymentApp: $PAYMENTAPP_BIN, else next to the running test bundle, else .build/debug.
    static var paymentApp: String? {
        if let path = ProcessInfo.processInfo.environment["PAYMENTAPP_BIN"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidates = [
            URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("PaymentApp").path,
            FileManager.default.currentDirectoryPath + "/.build/debug/PaymentApp",
            root + "/.build/debug/PaymentApp",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The python3 interpreter itself, not a wrapper such as a pyenv shim, so that its PID is the
    /// interpreter's and a timeout stops the interpreter.
    static let python: String? = {
        guard let python3 = tool("python3") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python3)
        process.arguments = ["-c", "import sys; print(sys.executable)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return FileManager.default.isExecutableFile(atPath: path) ? path : python3
    }()

    /// A program on $PATH.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// A fake sidecar on a Unix socket that follows the API except that PATCH bumps the version and
/// answers 200 without applying the patch.
let lyingSidecar = #"""
import json, secrets, socketserver, sys
from http.server import BaseHTTPRequestHandler

sessions = {}
T = "2026-01-01T00:00:00.000Z"

class Lying(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def send(self, status, body=None, etag=None):
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if etag is not None: self.send_header("ETag", f'"{etag}"')
        self.end_headers()
        self.wfile.write(data)
    def view(self, sid):
        s = sessions[sid]
        return dict(id=sid, version=s["version"], data=s["data"], createdAt=T, lastAccessAt=T, idleExpiresAt=T, absoluteExpiresAt=T)
    def read_body(self):  # Content-Length or chunked (a body-less POST may come chunked)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return json.loads(data) if data else None
    def handle_any(self):
        body = self.read_body()
        parts = self.path.strip("/").split("/")
        if self.path in ("/healthz", "/readyz"): return self.send(200, {"status": "ok"})
        if self.path == "/v1/sessions" and self.command == "POST":
            sid = secrets.token_urlsafe(32)
            sessions[sid] = {"version": 1, "data": body["data"]}
            return self.send(201, self.view(sid), 1)
        sid = parts[2] if len(parts) > 2 else None
        if sid not in sessions: return self.send(404, {"error": {"code": "not_found", "message": "no such session"}})
        s = sessions[sid]
        if self.command == "GET": return self.send(200, self.view(sid), s["version"])
        if self.command == "POST":  # rotate
            new = secrets.token_urlsafe(32)
            sessions[new] = sessions.pop(sid)
            return self.send(201, self.view(new), s["version"])
        if self.command == "PATCH":  # the lie: acknowledged, not applied
            s["version"] += 1
            return self.send(200, self.view(sid), s["version"])
        if self.command == "PUT":
            if self.headers.get("If-Match") != f'"{s["version"]}"':
                return self.send(412, {"error": {"code": "version_mismatch", "message": ""}}, s["version"])
            s["version"] += 1
            s["data"] = body["data"]
            return self.send(200, self.view(sid), s["version"])
        del sessions[sid]
        self.send(204)
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("local", 0)

Server(sys.argv[1], Lying).serve_forever()
"""#
