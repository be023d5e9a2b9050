// SessionBench: the same session workload over three paths, side by side, on one 3-node
// memcached cluster started here:
//
//   (a) direct   — libmemcached from this process (ketama over the 3 nodes, ASCII), one handle per thread
//   (b) nutcracker — libmemcached to Debian's nutcracker (twemproxy, ketama/md5) on a Unix socket, in front of the 3 nodes
//   (c) sidecar  — HTTP/1.1 over the sidecar's Unix socket, one blocking keep-alive connection per
//                  client thread (`--client nio`: SessionMeshClient) (2 copies, CAS, AES-GCM)
//   (r) path (c) with the sidecar over 3 redis-server nodes (`--redis`) instead of memcached; after
//       the rounds, `redis-benchmark -t get,set` on one of those nodes as the reference
//
// Default workload: 16 concurrent clients, 10,000 sessions of ~1 KiB, 90% reads, 10% merge-patch
// writes, 1 s warm-up + 10 s measured per path; `--rounds K` interleaves a→b→c K times.
//
//   swift build -c release --product SessionBench   (in a package that has the target;
//   scripts/bench-sessions.sh does it) then
//   SessionBench --sidecar .build/release/sessionmesh --rounds 3
//
// Release builds only; it prints figures and is not a test. Every process it starts is stopped
// by PID on exit (also on Ctrl-C, and via PR_SET_PDEATHSIG if this process dies).
import Foundation
import NIOCore
import NIOPosix
import SessionCore
import SessionMeshClient
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var rounds = 1
    var duration = 10.0
    var warmup = 1.0
    var clients = 16
    var sessions = 10_000
    var valueBytes = 1024
    var writePercent = 10
    var paths = ["a", "b", "c"]
    var sidecars: [(label: String, binary: String, args: [String])] = []
    var sidecarArgs: [String] = []
    var connections: Int?
    var clientDecode = false
    /// (c)'s client: blocking keep-alive connections, one per client thread, like (a) and (b); or SessionMeshClient.
    var sidecarClient = SidecarClient.threads
    /// Diagnostic: (c) reads GET this path instead of a session (e.g. /healthz: the HTTP layer's ceiling).
    var readTarget: String?
    var pollTimeoutMs = 250
    var hash = "md5"
    var nutcrackerConnections = 1
    var memcachedThreads = 2
    var memcachedMB = 256
    var keepDir = false
    var pidFile: String?
    var nioExecutor = false

    static let usage = """
    usage: SessionBench [options]
      --rounds K               interleave a→b→c K times; print each round and the medians (default 1)
      --duration S             measured seconds per path per round (default 10)
      --warmup S               unmeasured seconds before each measurement (default 1)
      --clients N              concurrent clients per path (default 16)
      --sessions N             sessions preloaded per path (default 10000)
      --value-bytes N          session data size (default 1024)
      --write-percent P        merge-patch writes, percent of operations (default 10)
      --paths a,b,c,r          which paths, in this order each round (default a,b,c; r = path c over
                               3 redis-server nodes, the first --sidecar binary, plus redis-benchmark)
      --sidecar [LABEL=]PATH[@ARGS]
                               a sessionmesh binary for path c (repeatable: c:LABEL each, same cluster,
                               interleaved — compare builds in one run); ARGS = extra `run` flags,
                               space-separated. Default: sessionmesh beside this executable.
      --sidecar-args "ARGS"    extra `sessionmesh run` flags for every sidecar (e.g. "--store-threads 16")
      --client threads|nio     (c)'s client: one thread per client with a blocking keep-alive connection,
                               as (a) and (b) use blocking libmemcached (default), or SessionMeshClient
      --read-target PATH       diagnostic: (c)'s reads GET PATH instead of a session (e.g. /healthz, the
                               ceiling of the HTTP layer without the store); threads client only
      --connections N          SessionMeshClient maxConnections (default: --clients); nio client only
      --client-decode          (c) uses SessionMeshClient's typed API (JSON-decodes every response);
                               nio client only
      --poll-timeout-ms N      libmemcached POLL_TIMEOUT for (a)/(b) (default 250, as the sidecar)
      --hash md5|fnv1a_64      nutcracker key hash (default md5)
      --nutcracker-connections N  nutcracker server_connections (default 1, its default)
      --memcached-threads N    memcached -t (default 2)
      --nio-executor           install NIO's event loops as Swift Concurrency's global executor in this
                               process (fewer thread hops in the client of path c, as an app could do);
                               nio client only
      --pid-file PATH          write "label pid" lines of the sidecars (to attach a profiler)
      --keep-dir               keep the scratch directory (logs, configs)
    """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        func int() -> Int { let v = value(); guard let n = Int(v), n >= 0 else { fail("not a number: \(v)") }; return n }
        func double() -> Double { let v = value(); guard let d = Double(v), d >= 0 else { fail("not a number: \(v)") }; return d }
        while i < args.count {
            switch args[i] {
            case "--rounds": o.rounds = max(1, int())
            case "--duration": o.duration = double()
            case "--warmup": o.warmup = double()
            case "--clients": o.clients = max(1, int())
            case "--sessions": o.sessions = max(1, int())
            case "--value-bytes": o.valueBytes = max(200, int())
            case "--write-percent": o.writePercent = min(100, int())
            case "--paths": o.paths = value().split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            case "--sidecar":
                var spec = value()
                var extra: [String] = []
                if let at = spec.firstIndex(of: "@") {
                    extra = spec[spec.index(after: at)...].split(separator: " ").map(String.init)
                    spec = String(spec[..<at])
                }
                var label = "", binary = spec
                if let eq = spec.firstIndex(of: "=") { label = String(spec[..<eq]); binary = String(spec[spec.index(after: eq)...]) }
                o.sidecars.append((label, binary, extra))
            case "--sidecar-args": o.sidecarArgs = value().split(separator: " ").map(String.init)
            case "--connections": o.connections = max(1, int())
            case "--client-decode": o.clientDecode = true
            case "--read-target": o.readTarget = value()
            case "--client":
                guard let client = SidecarClient(rawValue: value()) else { fail("--client is threads or nio") }
                o.sidecarClient = client
            case "--poll-timeout-ms": o.pollTimeoutMs = max(1, int())
            case "--hash": o.hash = value()
            case "--nutcracker-connections": o.nutcrackerConnections = max(1, int())
            case "--memcached-threads": o.memcachedThreads = max(1, int())
            case "--pid-file": o.pidFile = value()
            case "--nio-executor": o.nioExecutor = true
            case "--keep-dir": o.keepDir = true
            case "-h", "--help": print(usage); exit(0)
            default: fail("unknown option \(args[i])\n\(usage)")
            }
            i += 1
        }
        if o.paths.contains(where: { !["a", "b", "c", "r"].contains($0) }) { fail("--paths takes a, b, c, r") }
        switch o.sidecarClient {
        case .threads:
            if o.clientDecode || o.connections != nil || o.nioExecutor {
                fail("--client-decode, --connections and --nio-executor apply to --client nio")
            }
        case .nio:
            if o.readTarget != nil { fail("--read-target applies to --client threads") }
        }
        if o.sidecars.isEmpty {
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("sessionmesh").path
            guard FileManager.default.isExecutableFile(atPath: beside) else { fail("no sessionmesh beside SessionBench; pass --sidecar PATH") }
            o.sidecars = [("", beside, [])]
        }
        for (n, s) in o.sidecars.enumerated() where s.label.isEmpty {
            o.sidecars[n].label = o.sidecars.count == 1 ? "sidecar" : "sidecar\(n + 1)"
        }
        return o
    }
}

enum SidecarClient: String {
    case threads, nio
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("SessionBench: \(message)\n".utf8))
    exit(2)
}

/// Runs an async body to completion from synchronous code (the main thread is not part of the
/// cooperative pool on Linux, so blocking it here is fine).
final class Box<T>: @unchecked Sendable { var value: T?; init() {} }
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Box<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

// MARK: Formatting

func f(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return "-" }
    return String(format: "%.\(decimals)f", x)
}
func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
    s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count) : String(repeating: " ", count: n - s.count) + s)
}

let columns = ["ops/s", "reads/s", "p50 ms", "p99 ms", "p99.9 ms", "rd p50", "rd p99", "wr p50", "wr p99", "errors", "cas-retry"]
func header() -> String {
    pad("path", 16, left: true) + columns.map { pad($0, 10) }.joined() + "   CPU s/s (bench | servers | proxy)"
}
func row(_ r: PathResult) -> String {
    let cells = [f(r.opsPerSecond, 0), f(r.readsPerSecond, 0),
                 f(percentileMs(r.all, 50), 3), f(percentileMs(r.all, 99), 3), f(percentileMs(r.all, 99.9), 3),
                 f(percentileMs(r.reads, 50), 3), f(percentileMs(r.reads, 99), 3),
                 f(percentileMs(r.writes, 50), 3), f(percentileMs(r.writes, 99), 3),
                 String(r.errors), String(r.casRetries)]
    let cpu = r.cpu.map { "\($0.0) \(f($0.1 / r.seconds, 2))" }.joined(separator: " | ")
    return pad(r.path, 16, left: true) + cells.map { pad($0, 10) }.joined() + "   " + cpu
}

func median(_ xs: [Double]) -> Double {
    let s = xs.filter(\.isFinite).sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: Main

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if options.nioExecutor, !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
    fail("could not install NIO as the global executor")
}
Children.installCleanup()

let dir = NSTemporaryDirectory() + "sessionbench-\(getpid())"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

let workload = Workload(clients: options.clients, warmupSeconds: options.warmup, durationSeconds: options.duration,
                        writePercent: options.writePercent, valueBytes: options.valueBytes)

print("SessionBench — \(Date())")
print("command: \(CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))")
print("machine: nproc=\(sysconf(Int32(_SC_NPROCESSORS_ONLN))), \(toolVersion("/usr/bin/memcached", "-V", dir: dir)), "
      + "\(toolVersion("/usr/sbin/nutcracker", "-V", dir: dir).replacingOccurrences(of: "This is ", with: ""))")
print("workload: \(options.clients) clients, \(options.sessions) sessions × \(options.valueBytes) B, \(100 - options.writePercent)% reads / "
      + "\(options.writePercent)% merge-patch writes, \(f(options.warmup, 1)) s warm-up + \(f(options.duration, 1)) s per path, "
      + "\(options.rounds) round(s), order \(options.paths.joined(separator: "→"))")
print("scratch: \(dir)")
fflush(nil)

var exitCode: Int32 = 0
do {
    // Cluster
    let nodes = try (0..<3).map { _ in try startMemcached(dir: dir, threads: options.memcachedThreads, memoryMB: options.memcachedMB) }
    let servers = nodes.map(\.address)
    print("memcached: \(servers.joined(separator: ", ")) (pids \(nodes.map { String($0.pid) }.joined(separator: " ")); -t \(options.memcachedThreads) -m \(options.memcachedMB))")
    var nut: Nutcracker?
    if options.paths.contains("b") {
        let n = try startNutcracker(dir: dir, servers: nodes, hash: options.hash, serverConnections: options.nutcrackerConnections)
        print("nutcracker: \(n.address) (pid \(n.pid); ketama/\(options.hash), auto_eject_hosts false, server_connections \(options.nutcrackerConnections); config \(n.config))")
        nut = n
    }
    var sidecars: [SidecarInstance] = []
    if options.paths.contains("c") {
        let keyring = try makeKeyring(binary: options.sidecars[0].binary, dir: dir)
        for s in options.sidecars {
            let inst = try startSidecar(label: s.label, binary: s.binary, dir: dir, memcached: nodes, keyring: keyring,
                                        extra: options.sidecarArgs + s.args)
            print("sidecar \(s.label): \(s.binary) run --socket \(inst.socket) --memcached \(servers.joined(separator: ",")) "
                  + "--keyring \(keyring) --log-level notice \((options.sidecarArgs + s.args).joined(separator: " ")) (pid \(inst.pid))")
            sidecars.append(inst)
        }
        if let pidFile = options.pidFile {
            try sidecars.map { "\($0.label) \($0.pid)" }.joined(separator: "\n").appending("\n").write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
    }
    let memcachedPIDs = nodes.map(\.pid)
    var redisNodes: [MemcachedNode] = []
    var redisSidecar: SidecarInstance?
    if options.paths.contains("r") {
        redisNodes = try (0..<3).map { _ in try startRedis(dir: dir) }
        let keyring = try makeKeyring(binary: options.sidecars[0].binary, dir: dir)
        let s = options.sidecars[0]
        let inst = try startSidecar(label: "redis", binary: s.binary, dir: dir, memcached: redisNodes, keyring: keyring,
                                    extra: options.sidecarArgs + s.args, storeFlag: "--redis")
        print("redis-server: \(redisNodes.map(\.address).joined(separator: ", ")) (pids \(redisNodes.map { String($0.pid) }.joined(separator: " ")); "
              + "\(toolVersion("/usr/bin/redis-server", "--version", dir: dir)))")
        print("sidecar redis: \(s.binary) run --socket \(inst.socket) --redis \(redisNodes.map(\.address).joined(separator: ",")) "
              + "--keyring \(keyring) --log-level notice \((options.sidecarArgs + s.args).joined(separator: " ")) (pid \(inst.pid))")
        redisSidecar = inst
    }

    // Preload
    let directKeys = (0..<options.sessions).map { _ in SessionID.random().storageKey }
    let nutKeys = (0..<options.sessions).map { _ in SessionID.random().storageKey }
    if options.paths.contains("a") {
        let errs = preloadMemcached(servers: servers, distribution: .ketama, keys: directKeys, valueBytes: options.valueBytes, pollTimeoutMs: options.pollTimeoutMs)
        if errs > 0 { throw SpawnError("preload (a) failed") }
    }
    let afterA = nodes.map { currItems($0) ?? -1 }
    if let nut {
        let errs = preloadMemcached(servers: [nut.address], distribution: .modula, keys: nutKeys, valueBytes: options.valueBytes, pollTimeoutMs: options.pollTimeoutMs)
        if errs > 0 { throw SpawnError("preload (b) failed") }
    }
    let afterB = nodes.map { currItems($0) ?? -1 }
    let connections = options.connections ?? options.clients
    let clients = sidecars.map { SessionMeshClient(socketPath: $0.socket, maxConnections: connections, timeout: .seconds(10)) }
    var sidecarIDs: [[String]] = []
    for (i, client) in clients.enumerated() {
        let (ids, errs, first) = blocking { await preloadSidecar(client: client, count: options.sessions, valueBytes: options.valueBytes) }
        if errs > 0 { throw SpawnError("preload (c) \(sidecars[i].label): \(errs) errors, first: \(first ?? "")") }
        sidecarIDs.append(ids)
    }
    var redisIDs: [String] = []
    let redisClient = redisSidecar.map { SessionMeshClient(socketPath: $0.socket, maxConnections: connections, timeout: .seconds(10)) }
    if let redisClient {
        let (ids, errs, first) = blocking { await preloadSidecar(client: redisClient, count: options.sessions, valueBytes: options.valueBytes) }
        if errs > 0 { throw SpawnError("preload (r): \(errs) errors, first: \(first ?? "")") }
        redisIDs = ids
    }
    let afterC = nodes.map { currItems($0) ?? -1 }
    print("preloaded items per memcached node: (a) \(zip(afterA, [0, 0, 0]).map { String($0.0 - $0.1) }.joined(separator: "/"))"
          + ", (b) \(zip(afterB, afterA).map { String($0.0 - $0.1) }.joined(separator: "/"))"
          + ", (c) \(zip(afterC, afterB).map { String($0.0 - $0.1) }.joined(separator: "/")) (2 copies each)")
    if options.sidecarClient == .threads {
        print("client (c): \(options.clients) threads, each with one blocking HTTP/1.1 keep-alive connection (status checked, body not decoded)")
    } else {
        print("client (c): SessionMeshClient maxConnections \(connections), \(options.clientDecode ? "typed get/patch (JSON-decoded)" : "raw send (status checked, body not decoded)")"
          + (options.nioExecutor ? ", NIO event loops as the global executor" : ", default global executor"))
    }

    // Rounds
    var results: [[PathResult]] = []
    for round in 1...options.rounds {
        var roundResults: [PathResult] = []
        for p in options.paths {
            switch p {
            case "a":
                roundResults.append(runThreaded(path: "a direct", servers: servers, distribution: .ketama, keys: directKeys,
                                                workload: workload, pollTimeoutMs: options.pollTimeoutMs,
                                                cpuPIDs: [("memcached", memcachedPIDs)]))
            case "b":
                roundResults.append(runThreaded(path: "b nutcracker", servers: [nut!.address], distribution: .modula, keys: nutKeys,
                                                workload: workload, pollTimeoutMs: options.pollTimeoutMs,
                                                cpuPIDs: [("memcached", memcachedPIDs), ("nutcracker", [nut!.pid])]))
            case "r":
                let inst = redisSidecar!
                let cpuPIDs = [("redis", redisNodes.map(\.pid)), ("sidecar", [inst.pid])]
                switch options.sidecarClient {
                case .threads:
                    roundResults.append(runSidecarThreaded(path: "c redis", socket: inst.socket, ids: redisIDs, workload: workload,
                                                           readTarget: options.readTarget, cpuPIDs: cpuPIDs))
                case .nio:
                    let decode = options.clientDecode, ids = redisIDs, client = redisClient!
                    roundResults.append(blocking {
                        await runSidecar(path: "c redis", client: client, ids: ids, workload: workload, decode: decode, cpuPIDs: cpuPIDs)
                    })
                }
            default:
                for i in sidecars.indices {
                    let ids = sidecarIDs[i], label = "c \(sidecars[i].label)", client = clients[i], decode = options.clientDecode
                    let cpuPIDs = [("memcached", memcachedPIDs), ("sidecar", [sidecars[i].pid])]
                    switch options.sidecarClient {
                    case .threads:
                        roundResults.append(runSidecarThreaded(path: label, socket: sidecars[i].socket, ids: ids, workload: workload,
                                                               readTarget: options.readTarget, cpuPIDs: cpuPIDs))
                    case .nio:
                        roundResults.append(blocking {
                            await runSidecar(path: label, client: client, ids: ids, workload: workload, decode: decode, cpuPIDs: cpuPIDs)
                        })
                    }
                }
            }
            if let last = roundResults.last, last.errors > 0 { print("  \(last.path): \(last.errors) errors, first: \(last.firstError ?? "")") }
            fflush(nil)
        }
        results.append(roundResults)
        print("\nround \(round)/\(options.rounds)")
        print(header())
        for r in roundResults { print(row(r)) }
        printRatios(roundResults)
        fflush(nil)
    }

    if options.rounds > 1 {
        print("\nmedians over \(options.rounds) rounds")
        print(pad("path", 16, left: true) + ["ops/s", "reads/s", "p50 ms", "p99 ms", "p99.9 ms", "rd p99", "wr p99", "errors"].map { pad($0, 10) }.joined())
        for (i, path) in results[0].map(\.path).enumerated() {
            let rs = results.map { $0[i] }
            let cells = [f(median(rs.map(\.opsPerSecond)), 0), f(median(rs.map(\.readsPerSecond)), 0),
                         f(median(rs.map { percentileMs($0.all, 50) }), 3), f(median(rs.map { percentileMs($0.all, 99) }), 3),
                         f(median(rs.map { percentileMs($0.all, 99.9) }), 3), f(median(rs.map { percentileMs($0.reads, 99) }), 3),
                         f(median(rs.map { percentileMs($0.writes, 99) }), 3), String(rs.reduce(0) { $0 + $1.errors })]
            print(pad(path, 16, left: true) + cells.map { pad($0, 10) }.joined())
        }
        printMedianRatios(results)
    }
    if let node = redisNodes.first {
        // The reference: Redis's own client against one of the nodes path (r) used, same clients and value size.
        let args = ["-h", "127.0.0.1", "-p", String(node.port), "-t", "get,set", "-c", String(options.clients), "-n", "200000",
                    "-d", String(options.valueBytes), "-r", "100000", "-q"]
        let out = try runToCompletion("/usr/bin/redis-benchmark", args, scratch: "\(dir)/redis-benchmark.out")
        print("\nreference: redis-benchmark \(args.joined(separator: " "))")
        for line in out.output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where line.contains("requests per second") {
            print("  " + line.trimmingCharacters(in: .whitespaces))
        }
    }
} catch {
    print("SessionBench: \(error)")
    exitCode = 1
}

Children.stopAll()
if !options.keepDir && exitCode == 0 { try? FileManager.default.removeItem(atPath: dir) }
exit(exitCode)

// MARK: Ratios and targets

func ratios(_ rs: [PathResult]) -> [(sidecar: String, vsNut: Double?, vsDirect: Double?, opsVsNut: Double?, opsVsDirect: Double?, p99: Double, readP99: Double)] {
    let a = rs.first { $0.path == "a direct" }, b = rs.first { $0.path == "b nutcracker" }
    return rs.filter { $0.path.hasPrefix("c ") }.map { c in
        (c.path, b.map { c.readsPerSecond / $0.readsPerSecond }, a.map { c.readsPerSecond / $0.readsPerSecond },
         b.map { c.opsPerSecond / $0.opsPerSecond }, a.map { c.opsPerSecond / $0.opsPerSecond },
         percentileMs(c.all, 99), percentileMs(c.reads, 99))
    }
}

func verdict(_ ok: Bool) -> String { ok ? "MET" : "MISSED" }

func printRatios(_ rs: [PathResult]) {
    for r in ratios(rs) {
        var parts: [String] = []
        if let x = r.vsNut { parts.append("reads/s vs nutcracker \(f(x, 2))× (target ≥ 1.00: \(verdict(x >= 1.0)))") }
        if let x = r.vsDirect { parts.append("vs direct \(f(x, 2))× (target ≥ 0.60: \(verdict(x >= 0.6)))") }
        parts.append("p99 \(f(r.p99, 3)) ms (target < 2: \(verdict(r.p99 < 2)))")
        if let x = r.opsVsNut { parts.append("all ops vs nutcracker \(f(x, 2))×") }
        if let x = r.opsVsDirect { parts.append("vs direct \(f(x, 2))×") }
        print("  \(r.sidecar): " + parts.joined(separator: "; "))
    }
}

func printMedianRatios(_ results: [[PathResult]]) {
    let per = results.map(ratios)
    guard let first = per.first else { return }
    for (i, r) in first.enumerated() {
        let vsNut = median(per.compactMap { $0[i].vsNut }), vsDirect = median(per.compactMap { $0[i].vsDirect })
        let p99 = median(per.map { $0[i].p99 })
        var parts: [String] = []
        if vsNut.isFinite { parts.append("reads/s vs nutcracker \(f(vsNut, 2))× [\(per.compactMap { $0[i].vsNut }.map { f($0, 2) }.joined(separator: " "))] \(verdict(vsNut >= 1.0))") }
        if vsDirect.isFinite { parts.append("vs direct \(f(vsDirect, 2))× [\(per.compactMap { $0[i].vsDirect }.map { f($0, 2) }.joined(separator: " "))] \(verdict(vsDirect >= 0.6))") }
        parts.append("p99 \(f(p99, 3)) ms [\(per.map { f($0[i].p99, 3) }.joined(separator: " "))] \(verdict(p99 < 2))")
        print("  \(r.sidecar) (median of per-round ratios): " + parts.joined(separator: "; "))
    }
}
