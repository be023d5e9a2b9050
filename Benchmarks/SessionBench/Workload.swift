// The workload: `clients` closed-loop clients, each picking a uniformly random session and doing a
// read (probability 1 − writeFraction) or a merge-patch write. Latency is recorded per operation
// in nanoseconds; only operations that start after the warm-up and end before the deadline count.
import Foundation
import LocalCluster
import NIOCore
import SeededRandom
import SessionMeshClient
#if canImport(Glibc)
import Glibc
#endif

struct Workload: Sendable {
    var clients: Int
    var warmupSeconds: Double
    var durationSeconds: Double
    var writePercent: Int
    var valueBytes: Int
}

extension SplitMix64 {
    /// A small fast draw in 0..<n (one PRNG per client; the modulo bias is irrelevant here).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// What one client recorded.
struct ClientRecord: Sendable {
    var reads: [UInt64] = []
    var writes: [UInt64] = []
    var errors = 0
    var casRetries = 0
    var firstError: String?

    mutating func error(_ message: String) {
        errors += 1
        if firstError == nil { firstError = message }
    }
}

/// One path's result in one round.
struct PathResult: Sendable {
    var path: String
    var seconds: Double
    var reads: [UInt64]   // sorted ns
    var writes: [UInt64]  // sorted ns
    var all: [UInt64]     // sorted ns
    var errors: Int
    var casRetries: Int
    var firstError: String?
    /// CPU seconds used during the measured window, per process group.
    var cpu: [(String, Double)]

    init(path: String, seconds: Double, records: [ClientRecord], cpu: [(String, Double)]) {
        self.path = path
        self.seconds = seconds
        reads = records.flatMap(\.reads).sorted()
        writes = records.flatMap(\.writes).sorted()
        all = (reads + writes).sorted()
        errors = records.reduce(0) { $0 + $1.errors }
        casRetries = records.reduce(0) { $0 + $1.casRetries }
        firstError = records.compactMap(\.firstError).first
        self.cpu = cpu
    }

    var opsPerSecond: Double { Double(all.count) / seconds }
    var readsPerSecond: Double { Double(reads.count) / seconds }
}

/// Percentile of a sorted array, nearest rank, in ms.
func percentileMs(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
    return Double(sorted[min(sorted.count, rank) - 1]) / 1e6
}

// MARK: Session values

/// A ~`size`-byte JSON object: what an app would keep in a session.
func sessionData(index: Int, size: Int) -> [UInt8] {
    let head = #"{"user":"user-\#(100_000 + index)","roles":["customer","beta"],"cart":{"items":3,"currency":"EUR"},"counter":0,"blob":""#
    let tail = "\"}"
    let pad = max(0, size - head.utf8.count - tail.utf8.count)
    var blob = ""
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    var rng = SplitMix64(state: UInt64(index) &+ 17)
    for _ in 0..<pad { blob.append(alphabet[rng.below(alphabet.count)]) }
    return Array((head + blob + tail).utf8)
}

/// The memcached-level "merge patch": rewrite the 10-digit counter field in place, keeping the size.
/// Raw values for (a)/(b) carry a fixed-width counter at `counterOffset`.
let rawCounterTag = Array(#""counter":"#.utf8)
func rawSessionValue(index: Int, size: Int) -> [UInt8] {
    var v = sessionData(index: index, size: size)
    // Make the counter fixed width: "counter":0000000000 (replace the "0" and trim the blob).
    if let r = firstRange(of: rawCounterTag, in: v) {
        v.replaceSubrange(r.upperBound..<(r.upperBound + 1), with: Array("0000000000".utf8))
        if let blobEnd = v.lastIndex(of: UInt8(ascii: "\"")) { v.removeSubrange((blobEnd - 9)..<blobEnd) }
    }
    return v
}

func firstRange(of needle: [UInt8], in hay: [UInt8]) -> Range<Int>? {
    guard needle.count <= hay.count else { return nil }
    for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
        if Array(hay[i..<(i + needle.count)]) == needle { return i..<(i + needle.count) }
    }
    return nil
}

func bumpCounter(_ value: inout [UInt8], by n: UInt64) -> Bool {
    guard let r = firstRange(of: rawCounterTag, in: value), r.upperBound + 10 <= value.count else { return false }
    var current: UInt64 = 0
    for i in r.upperBound..<(r.upperBound + 10) {
        let c = value[i]
        guard c >= 48, c <= 57 else { return false }
        current = current * 10 + UInt64(c - 48)
    }
    var next = (current &+ n) % 10_000_000_000
    for i in stride(from: r.upperBound + 9, through: r.upperBound, by: -1) {
        value[i] = UInt8(48 + next % 10)
        next /= 10
    }
    return true
}

// MARK: (a) and (b): blocking libmemcached clients on threads

final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [ClientRecord] = []
    func add(_ r: ClientRecord) { lock.lock(); records.append(r); lock.unlock() }
    var all: [ClientRecord] { lock.lock(); defer { lock.unlock() }; return records }
}

final class StartSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64 = 0
    func set(_ v: UInt64) { lock.lock(); value = v; lock.unlock() }
    func get() -> UInt64 { lock.lock(); defer { lock.unlock() }; return value }
}

/// Preloads `keys` with `threads` threads, each with its own client. Returns the number of failures.
func preloadMemcached(servers: [String], distribution: DirectMemcachedClient.Distribution, keys: [String], valueBytes: Int,
                      pollTimeoutMs: Int, threads: Int = 4) -> Int {
    let group = DispatchGroup()
    let failures = Collector()
    for t in 0..<threads {
        group.enter()
        Thread {
            defer { group.leave() }
            var rec = ClientRecord()
            do {
                let client = try DirectMemcachedClient(servers: servers, distribution: distribution, pollTimeoutMs: pollTimeoutMs)
                for i in stride(from: t, to: keys.count, by: threads) {
                    let status = client.set(keys[i], rawSessionValue(index: i, size: valueBytes), ttl: 0)
                    if status != .stored { rec.error("set: \(status)") }
                }
            } catch { rec.error("\(error)") }
            failures.add(rec)
        }.start()
    }
    group.wait()
    let errs = failures.all.reduce(0) { $0 + $1.errors }
    if errs > 0 { print("  preload errors: \(errs), first: \(failures.all.compactMap(\.firstError).first ?? "")") }
    return errs
}

/// One blocking client's operation: picks its key with `rng`, performs a read or a write, notes
/// failures in `record`, and returns whether it succeeded. Throwing ends the client (its connection
/// is in an unknown state).
typealias BlockingOperation = (_ isWrite: Bool, _ rng: inout SplitMix64, _ record: inout ClientRecord) throws -> Bool

/// Runs the workload on `workload.clients` threads, one blocking client each (`connect` makes it
/// and does one warm-up call before the clock starts). Latencies count only operations that start
/// after the warm-up and finish inside the measured window.
func runBlockingClients(path: String, workload: Workload, cpuPIDs: [(String, [pid_t])],
                        connect: @escaping @Sendable (_ client: Int) throws -> BlockingOperation) -> PathResult {
    let collector = Collector()
    let group = DispatchGroup()
    let start = StartSignal()
    let ready = Collector()
    for c in 0..<workload.clients {
        group.enter()
        Thread {
            defer { group.leave() }
            var rec = ClientRecord()
            rec.reads.reserveCapacity(1 << 16)
            let operation: BlockingOperation
            do {
                operation = try connect(c)
            } catch {
                rec.error("\(error)")
                ready.add(ClientRecord())
                collector.add(rec)
                return
            }
            ready.add(ClientRecord())
            var t0 = start.get()
            while t0 == 0 { usleep(200); t0 = start.get() }
            let measureFrom = t0 + UInt64(workload.warmupSeconds * 1e9)
            let end = measureFrom + UInt64(workload.durationSeconds * 1e9)
            var rng = SplitMix64(state: UInt64(c) &* 104_729 &+ t0)
            while true {
                let begin = monotonicNanos()
                if begin >= end { break }
                let isWrite = rng.below(100) < workload.writePercent
                let ok: Bool
                do {
                    ok = try operation(isWrite, &rng, &rec)
                } catch {
                    rec.error("\(isWrite ? "write" : "read"): \(error)")
                    break
                }
                let done = monotonicNanos()
                if ok, begin >= measureFrom, done <= end {
                    if isWrite { rec.writes.append(done - begin) } else { rec.reads.append(done - begin) }
                }
            }
            collector.add(rec)
        }.start()
    }
    _ = waitUntil(seconds: 30) { ready.all.count == workload.clients }
    let t0 = monotonicNanos() + 1_000_000
    let cpu = CPUWindow(cpuPIDs, from: t0 + UInt64(workload.warmupSeconds * 1e9))
    start.set(t0)
    cpu.sampleStart()
    group.wait()
    return PathResult(path: path, seconds: workload.durationSeconds, records: collector.all, cpu: cpu.finish())
}

/// Paths (a) and (b): one blocking libmemcached client per thread. A read is `gets`; a write is
/// `gets` + counter bump + `cas`, retried on EXISTS (read-modify-write, merge-patch semantics at
/// the memcached level).
func runThreaded(path: String, servers: [String], distribution: DirectMemcachedClient.Distribution, keys: [String],
                 workload: Workload, pollTimeoutMs: Int, cpuPIDs: [(String, [pid_t])]) -> PathResult {
    runBlockingClients(path: path, workload: workload, cpuPIDs: cpuPIDs) { c in
        let client = try DirectMemcachedClient(servers: servers, distribution: distribution, pollTimeoutMs: pollTimeoutMs)
        _ = try client.get(keys[c % keys.count])  // connect before the clock starts
        return { isWrite, rng, rec in
            let key = keys[rng.below(keys.count)]
            guard isWrite else {
                do {
                    if try client.get(key) == nil { rec.error("read: missing \(key)"); return false }
                    return true
                } catch { rec.error("gets: \(error)"); return false }
            }
            for _ in 1...100 {
                do {
                    guard var item = try client.get(key) else { rec.error("write: missing \(key)"); return false }
                    guard bumpCounter(&item.value, by: 1) else { rec.error("write: bad value"); return false }
                    let status = client.cas(key, item.value, cas: item.cas)
                    if status == .stored { return true }
                    guard status == .exists else { rec.error("cas: \(status)"); return false }
                    rec.casRetries += 1
                } catch { rec.error("gets: \(error)"); return false }
            }
            rec.error("cas: EXISTS 100 times in a row"); return false
        }
    }
}

/// Samples CPU time of the benchmark process and of the given children over the measured window.
final class CPUWindow: @unchecked Sendable {
    private let groups: [(String, [pid_t])]
    private let from: UInt64
    private var before: [Double] = []
    private var selfBefore = 0.0

    init(_ groups: [(String, [pid_t])], from: UInt64) {
        self.groups = groups
        self.from = from
    }

    /// Sleeps until the window opens, then takes the first sample (called from the driving thread).
    func sampleStart() {
        let now = monotonicNanos()
        if from > now { usleep(useconds_t((from - now) / 1000)) }
        selfBefore = selfCPUSeconds()
        before = groups.map { $0.1.reduce(0) { $0 + cpuSeconds(of: $1) } }
    }

    func finish() -> [(String, Double)] {
        var out = [("bench", selfCPUSeconds() - selfBefore)]
        for (i, g) in groups.enumerated() {
            out.append((g.0, g.1.reduce(0) { $0 + cpuSeconds(of: $1) } - before[i]))
        }
        return out
    }
}

// MARK: (c): the sidecar through SessionMeshClient

/// A session's `data` as the typed client decodes it (when `--client-decode` is on).
struct BenchSessionData: Codable, Sendable {
    var user: String
    var roles: [String]
    var counter: Int
    var blob: String
}

struct CounterPatch: Encodable, Sendable { var counter: Int }

/// Creates `count` sessions through the sidecar; returns their ids.
func preloadSidecar(client: SessionMeshClient, count: Int, valueBytes: Int, concurrency: Int = 16) async -> (ids: [String], errors: Int, firstError: String?) {
    await withTaskGroup(of: (ids: [(Int, String)], errors: Int, firstError: String?).self) { group in
        for c in 0..<concurrency {
            group.addTask {
                var ids = [(Int, String)](), errors = 0
                var firstError: String?
                for i in stride(from: c, to: count, by: concurrency) {
                    let body = Array(#"{"data":"#.utf8) + sessionData(index: i, size: valueBytes) + Array("}".utf8)
                    do {
                        let r = try await client.send(.POST, "/v1/sessions", headers: [("Content-Type", "application/json")], body: body)
                        if r.status == 201, let id = extractID(r.body) { ids.append((i, id)) } else {
                            errors += 1
                            if firstError == nil { firstError = "create: HTTP \(r.status) \(String(decoding: r.body.prefix(200), as: UTF8.self))" }
                        }
                    } catch {
                        errors += 1
                        if firstError == nil { firstError = "create: \(error)" }
                    }
                }
                return (ids, errors, firstError)
            }
        }
        var all = [(Int, String)](), errors = 0
        var firstError: String?
        for await part in group {
            all += part.ids
            errors += part.errors
            firstError = firstError ?? part.firstError
        }
        return (all.sorted { $0.0 < $1.0 }.map(\.1), errors, firstError)
    }
}

/// `{"id":"…"` at the start of a session response.
func extractID(_ body: [UInt8]) -> String? {
    let tag = Array(#""id":""#.utf8)
    guard let r = firstRange(of: tag, in: body) else { return nil }
    guard let end = body[r.upperBound...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
    return String(decoding: body[r.upperBound..<end], as: UTF8.self)
}

/// Runs the workload with `workload.clients` concurrent tasks sharing one SessionMeshClient.
/// A read is GET /v1/sessions/{id}; a write is PATCH with `application/merge-patch+json`
/// (no If-Match: the sidecar applies it atomically). With `decode`, the typed API is used
/// (`get`/`patch` decode the JSON into `BenchSessionData`), as an app would.
func runSidecar(path: String, client: SessionMeshClient, ids: [String], workload: Workload, decode: Bool,
                cpuPIDs: [(String, [pid_t])]) async -> PathResult {
    // Warm every pooled connection before the clock starts.
    await withTaskGroup(of: Void.self) { group in
        for c in 0..<workload.clients {
            group.addTask { _ = try? await client.send(.GET, "/v1/sessions/\(ids[c % ids.count])") }
        }
    }
    let t0 = monotonicNanos() + 1_000_000
    let measureFrom = t0 + UInt64(workload.warmupSeconds * 1e9)
    let end = measureFrom + UInt64(workload.durationSeconds * 1e9)
    let cpu = CPUWindow(cpuPIDs, from: measureFrom)
    // The first CPU sample waits for the window to open: on a thread, not on the cooperative pool.
    async let sampled: Void = withCheckedContinuation { (k: CheckedContinuation<Void, Never>) in
        Thread { cpu.sampleStart(); k.resume() }.start()
    }
    let patchHeaders = [("Content-Type", "application/merge-patch+json")]
    let records = await withTaskGroup(of: ClientRecord.self) { group in
        for c in 0..<workload.clients {
            group.addTask {
                var rec = ClientRecord()
                rec.reads.reserveCapacity(1 << 15)
                var rng = SplitMix64(state: UInt64(c) &* 104_729 &+ t0)
                var n = 0
                while true {
                    let begin = monotonicNanos()
                    if begin >= end { break }
                    let id = ids[rng.below(ids.count)]
                    let isWrite = rng.below(100) < workload.writePercent
                    n += 1
                    var ok = true
                    do {
                        if decode {
                            if isWrite {
                                let _: Session<BenchSessionData> = try await client.patch(id, CounterPatch(counter: n))
                            } else {
                                let _: Session<BenchSessionData> = try await client.get(id)
                            }
                        } else if isWrite {
                            let body = Array(#"{"counter":\#(n)}"#.utf8)
                            let r = try await client.send(.PATCH, "/v1/sessions/\(id)", headers: patchHeaders, body: body)
                            if r.status != 200 { ok = false; rec.error("PATCH: HTTP \(r.status) \(String(decoding: r.body.prefix(200), as: UTF8.self))") }
                        } else {
                            let r = try await client.send(.GET, "/v1/sessions/\(id)")
                            if r.status != 200 { ok = false; rec.error("GET: HTTP \(r.status) \(String(decoding: r.body.prefix(200), as: UTF8.self))") }
                        }
                    } catch {
                        ok = false
                        rec.error("\(isWrite ? "PATCH" : "GET"): \(error)")
                    }
                    let done = monotonicNanos()
                    if ok, begin >= measureFrom, done <= end {
                        if isWrite { rec.writes.append(done - begin) } else { rec.reads.append(done - begin) }
                    }
                }
                return rec
            }
        }
        var all = [ClientRecord]()
        for await r in group { all.append(r) }
        return all
    }
    await sampled
    return PathResult(path: path, seconds: workload.durationSeconds, records: records, cpu: cpu.finish())
}

/// Path (c) with one blocking keep-alive connection per thread (`BlockingHTTPClient`), as paths
/// (a) and (b) use one blocking libmemcached client per thread. A read is GET /v1/sessions/{id}
/// (or `readTarget`); a write is a merge-patch PATCH without If-Match.
func runSidecarThreaded(path: String, socket: String, ids: [String], workload: Workload, readTarget: String? = nil,
                        cpuPIDs: [(String, [pid_t])]) -> PathResult {
    runBlockingClients(path: path, workload: workload, cpuPIDs: cpuPIDs) { c in
        let client = try BlockingHTTPClient(socketPath: socket)
        _ = try client.send("GET", "/v1/sessions/\(ids[c % ids.count])")  // connect before the clock starts
        var n = 0
        return { isWrite, rng, rec in
            let id = ids[rng.below(ids.count)]
            n += 1
            let r = isWrite
                ? try client.send("PATCH", "/v1/sessions/\(id)", contentType: "application/merge-patch+json",
                                  body: Array(#"{"counter":\#(n)}"#.utf8))
                : try client.send("GET", readTarget ?? "/v1/sessions/\(id)")
            guard r.status == 200 else {
                rec.error("\(isWrite ? "PATCH" : "GET"): HTTP \(r.status) \(String(decoding: r.body.prefix(200), as: UTF8.self))")
                return false
            }
            return true
        }
    }
}
