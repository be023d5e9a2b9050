import Foundation
import Synchronization
import Testing
import TestSupport

/// Three memcached nodes and two sidecars sharing them, each with a memcache front door socket.
final class FrontDoorCluster: @unchecked Sendable {
    let dir = TempDir("frontdoor")
    let nodes: [any StoreServer]
    let sidecars: [SidecarProcess]
    var sockets: [String] { sidecars.indices.map { dir.file("mc\($0).sock") } }
    /// Each sidecar's memcache TCP listener on loopback (for clients without Unix sockets).
    let tcpPorts: [Int]
    /// The memcached nodes, for the tests that read them raw.
    var memcached: [MemcachedServer] { nodes.compactMap { $0 as? MemcachedServer } }

    init(_ backend: StoreBackend = .memcached) throws {
        let dir = self.dir
        nodes = try startStoreServers(backend, count: 3, dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let addresses = nodes.map(\.address)
        let tcpPorts = [freeLoopbackPort(), freeLoopbackPort()]
        self.tcpPorts = tcpPorts
        sidecars = try (0..<2).map { i in
            try SidecarProcess(dir: dir, name: "sidecar\(i)", backend: backend, nodes: addresses, keyring: keyring,
                               extra: ["--memcache-socket", dir.file("mc\(i).sock"),
                                       "--memcache-listen", "127.0.0.1:\(tcpPorts[i])", "--poll-timeout-ms", "200",
                                       "--connect-timeout-ms", "200", "--retry-interval-ms", "500"])
        }
    }

    deinit {
        for s in sidecars { s.process.killNow() }
        for m in nodes { m.kill() }
    }
}

/// Runs a client program to completion (bounded), returning its exit status and output.
func runClient(_ executable: String, _ arguments: [String], seconds: Double = 120) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, output)
}

let examples = FileManager.default.currentDirectoryPath + "/Examples/memcache"
let hasPHP = FileManager.default.isExecutableFile(atPath: "/usr/bin/php")
let hasPymemcache = (try? runClient("/usr/bin/env", ["python3", "-c", "import pymemcache"]).status) == 0
let hasSpymemcached = FileManager.default.isExecutableFile(atPath: "/usr/bin/javac")
    && FileManager.default.fileExists(atPath: "/usr/share/java/spymemcached.jar")
let hasGomemcache = FileManager.default.isExecutableFile(atPath: "/usr/bin/go")
    && FileManager.default.fileExists(atPath: "/usr/share/gocode/src/github.com/bradfitz/gomemcache/memcache/memcache.go")
let hasDalli = (try? runClient("/usr/bin/ruby", ["-e", "require 'dalli'; require 'rack'; require 'connection_pool'"]).status) == 0
let hasDjango = (try? runClient("/usr/bin/env", ["python3", "-c", "import django, pymemcache"]).status) == 0
let hasMetaMemcache = (try? runClient("/usr/bin/env", ["python3", "-c", "import meta_memcache"]).status) == 0

@Suite(.serialized) struct FrontDoorTests {
    /// The front door is the same over either backend.
    @Test(.enabled(if: hasPymemcache, "pymemcache is not installed (make deps installs it)"), arguments: StoreBackend.allCases)
    func pymemcacheThroughTwoSidecars(_ backend: StoreBackend) throws {
        let cluster = try FrontDoorCluster(backend)
        let run = try runClient("/usr/bin/env", ["python3", examples + "/pymemcache_checks.py", cluster.sockets[0], cluster.sockets[1]])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("all checks passed"))
    }

    /// Java: spymemcached (under Tomcat's memcached-session-manager), text and binary, over TCP.
    @Test(.enabled(if: hasSpymemcached, "a JDK and libspymemcached-java are not installed (make deps installs them)"))
    func spymemcachedThroughTwoSidecars() throws {
        let cluster = try FrontDoorCluster()
        let classes = cluster.dir.file("classes")
        let jar = "/usr/share/java/spymemcached.jar"
        let compiled = try runClient("/usr/bin/javac", ["-cp", jar, "-d", classes, examples + "/SpyChecks.java"])
        try #require(compiled.status == 0, "\(compiled.output)")
        let run = try runClient("/usr/bin/java", ["-cp", classes + ":" + jar, "SpyChecks", String(cluster.tcpPorts[0]), String(cluster.tcpPorts[1])])
        #expect(run.status == 0 && run.output.contains("all spymemcached checks passed"), "\(run.output)")
    }

    /// Go: gomemcache (under Go's memcache session stores), over the Unix sockets.
    @Test(.enabled(if: hasGomemcache, "golang-go and golang-github-bradfitz-gomemcache-dev are not installed (make deps installs them)"))
    func gomemcacheThroughTwoSidecars() throws {
        let cluster = try FrontDoorCluster()
        let binary = cluster.dir.file("gomemcache_checks")
        let built = try runClient("/usr/bin/env", ["GO111MODULE=off", "GOPATH=/usr/share/gocode", "GOCACHE=" + cluster.dir.file("gocache"),
                                                   "go", "build", "-o", binary, examples + "/gomemcache_checks.go"], seconds: 300)
        try #require(built.status == 0, "\(built.output)")
        let run = try runClient(binary, [cluster.sockets[0], cluster.sockets[1]])
        #expect(run.status == 0 && run.output.contains("all gomemcache checks passed"), "\(run.output)")
    }

    /// Ruby: Dalli 3 (binary protocol) and Rack::Session::Dalli, a session moving between hosts.
    @Test(.enabled(if: hasDalli, "ruby-dalli, ruby-rack and ruby-connection-pool are not installed (make deps installs them)"))
    func dalliAndRackSessionsThroughTwoSidecars() throws {
        let cluster = try FrontDoorCluster()
        let run = try runClient("/usr/bin/ruby", [examples + "/dalli_checks.rb", cluster.sockets[0], cluster.sockets[1]])
        #expect(run.status == 0 && run.output.contains("all Dalli checks passed"), "\(run.output)")
    }

    /// Django's cache session backend (PyMemcacheCache), one cache alias per host: create, load,
    /// cycle_key and logout across hosts.
    @Test(.enabled(if: hasDjango, "Django is not installed (make deps installs it)"))
    func djangoSessionsThroughTwoSidecars() throws {
        let cluster = try FrontDoorCluster()
        let run = try runClient("/usr/bin/env", ["python3", examples + "/django_sessions_checks.py", cluster.sockets[0], cluster.sockets[1]])
        #expect(run.status == 0 && run.output.contains("all Django session checks passed"), "\(run.output)")
    }

    /// A meta-protocol-only client (meta-memcache: mg, ms, md, ma), as Dalli 5 would be.
    @Test(.enabled(if: hasMetaMemcache, "meta-memcache is not installed (make deps installs it)"))
    func metaMemcacheThroughTwoSidecars() throws {
        let cluster = try FrontDoorCluster()
        let run = try runClient("/usr/bin/env", ["python3", examples + "/meta_memcache_checks.py", cluster.sockets[0], cluster.sockets[1]])
        #expect(run.status == 0 && run.output.contains("all meta-memcache checks passed"), "\(run.output)")
    }

    /// Two PHP processes, one through each sidecar, each increment one session value N times under
    /// php-memcached's session lock (an `add` of the lock key): exactly 2N, in both protocols.
    @Test(.enabled(if: hasPHP, "php-cli and php-memcached are not installed (make deps installs them)"),
          arguments: ["1", "0"])
    func phpSessionLocksHoldAcrossHosts(binary: String) throws {
        let cluster = try FrontDoorCluster()
        let sid = "sm" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let n = 40
        let results = runCounters(cluster, sid: sid, n: n, binary: binary)
        #expect(waitUntil(seconds: 180) { results.all.count == 2 })
        for run in results.all { #expect(run.status == 0, "\(run.output)") }
        let final = try runClient("/usr/bin/php", [examples + "/php_session_counter.php", cluster.sockets[1], sid, "read", binary])
        #expect(final.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(2 * n), "\(final.output)")
        // Sealed at rest: no plaintext, no app key, no session id in any node's keys or values.
        for server in cluster.memcached {
            for key in server.rawKeys() {
                #expect(!key.contains("memc") && !key.contains(sid))
                let value = String(decoding: server.rawGet(key) ?? [], as: UTF8.self)
                #expect(!value.contains("4111111111111111") && !value.contains(sid))
            }
        }
    }

    /// SIGKILL of a memcached node in the middle of the PHP run loses no acknowledged increment;
    /// nor does SIGSTOP, then SIGCONT, of one.
    @Test(.enabled(if: hasPHP, "php-cli and php-memcached are not installed"), arguments: ["kill", "freeze"])
    func aMemcachedNodeKilledOrFrozenMidRunLosesNothing(fault: String) throws {
        let cluster = try FrontDoorCluster()
        let sid = "sm" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let n = 60
        let results = runCounters(cluster, sid: sid, n: n, binary: "1")
        usleep(500_000)
        if fault == "kill" {
            cluster.memcached[0].kill()
        } else {
            cluster.memcached[0].freeze()
            usleep(1_000_000)
            cluster.memcached[0].resume()
        }
        #expect(waitUntil(seconds: 180) { results.all.count == 2 })
        for run in results.all { #expect(run.status == 0, "\(run.output)") }
        let final = try runClient("/usr/bin/php", [examples + "/php_session_counter.php", cluster.sockets[0], sid, "read"])
        #expect(final.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(2 * n), "\(final.output)")
    }

    /// session_destroy() while a replica is frozen stays destroyed after the replica resumes with its old copy.
    @Test(.enabled(if: hasPHP, "php-cli and php-memcached are not installed"))
    func aDestroyWhileAReplicaIsFrozenStaysDestroyed() throws {
        let cluster = try FrontDoorCluster()
        let sids = (0..<12).map { _ in "sm" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }
        for sid in sids { #expect(try runClient("/usr/bin/php", [examples + "/php_session_counter.php", cluster.sockets[0], sid, "1"]).status == 0) }
        cluster.memcached[2].freeze()
        for sid in sids {
            let run = try runClient("/usr/bin/php", [examples + "/php_session_counter.php", cluster.sockets[0], sid, "destroy"])
            #expect(run.status == 0, "\(run.output)")
        }
        cluster.memcached[2].resume()
        usleep(700_000)
        for sid in sids {
            for socket in cluster.sockets {
                let read = try runClient("/usr/bin/php", [examples + "/php_session_counter.php", socket, sid, "read"])
                #expect(read.output.trimmingCharacters(in: .whitespacesAndNewlines) == "none", "\(sid): \(read.output)")
            }
        }
    }

    /// A client that pipelines gets of a 1 KiB item and never reads the answers: the front door
    /// stops answering (and reading) once the answers back up, instead of queueing 10 MB of them
    /// in memory, and answers every get once the client reads.
    @Test func aClientThatDoesNotReadItsAnswersIsNotServedAhead() async throws {
        let cluster = try FrontDoorCluster()
        let socket = cluster.sockets[0]
        func gets() -> Int {
            let stats = unixExchange(socket, Array("stats\r\n".utf8), until: "END\r\n").map { String(decoding: $0, as: UTF8.self) } ?? ""
            return stats.split(separator: "\r\n").first { $0.hasPrefix("STAT cmd_get ") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
        }
        let set = Array(("set cart 0 0 1024\r\n" + String(repeating: "x", count: 1024) + "\r\n").utf8)
        #expect(unixExchange(socket, set, until: "\r\n") == Array("STORED\r\n".utf8))
        let before = gets()
        try #require(before >= 0, "no cmd_get in the door's stats")
        let total = 10_000
        let pipeline = try #require(UnreadPipeline(socket: socket, stream: Array(String(repeating: "get cart\r\n", count: total).utf8)))
        let served = try await pipeline.sendUntilServerStops { gets() - before }
        // Some are answered (the socket buffers take them), then it stops well short of all.
        #expect(served > 0 && served < total / 2, "\(served) of \(total) gets answered with none read: answers were queued in memory")
        let answers = try await pipeline.readAnswers(counting: "END\r\n", upTo: total)
        #expect(pipeline.allSent && answers == total, "\(answers) answers of \(total)")
    }

    /// libmemcached's command-line tools, unchanged, in both protocols.
    @Test func libmemcachedToolsStoreReadAndRemove() throws {
        let cluster = try FrontDoorCluster()
        let file = cluster.dir.file("payment.txt")
        try "order 42 paid\n".write(toFile: file, atomically: true, encoding: .utf8)
        for binary in [[], ["--binary"]] {
            #expect(try runClient("/usr/bin/memccp", binary + ["--servers=\(cluster.sockets[0])", file]).status == 0)
            let cat = try runClient("/usr/bin/memccat", binary + ["--servers=\(cluster.sockets[1])", "payment.txt"])
            #expect(cat.status == 0 && cat.output.contains("order 42 paid"), "\(cat.output)")
            #expect(try runClient("/usr/bin/memcrm", binary + ["--servers=\(cluster.sockets[1])", "payment.txt"]).status == 0)
            #expect(try runClient("/usr/bin/memccat", binary + ["--servers=\(cluster.sockets[0])", "payment.txt"]).status != 0)
        }
    }
}

/// One PHP counter process per sidecar, on threads of their own.
func runCounters(_ cluster: FrontDoorCluster, sid: String, n: Int, binary: String) -> Collected<(status: Int32, output: String)> {
    let results = Collected<(status: Int32, output: String)>()
    for socket in cluster.sockets {
        Thread {
            results.append((try? runClient("/usr/bin/php", [examples + "/php_session_counter.php", socket, sid, String(n), binary]))
                ?? (-1, "did not start"))
        }.start()
    }
    return results
}

/// Results collected from threads.
final class Collected<T: Sendable>: Sendable {
    private let values = Mutex<[T]>([])
    func append(_ value: T) { values.withLock { $0.append(value) } }
    var all: [T] { values.withLock { $0 } }
}
