import LocalCluster
// Child processes of the benchmark (memcached ×3, nutcracker, sidecars): started with
// posix_spawn, tracked by PID, and stopped by PID on every exit path — normal return, error,
// exit(), SIGINT/SIGTERM/SIGHUP — and, through `setpriv --pdeathsig KILL`, even if the
// benchmark itself is killed.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// PIDs of live children, readable from a signal handler (fixed slots, no allocation there).
nonisolated(unsafe) private let childSlots: UnsafeMutablePointer<pid_t> = {
    let p = UnsafeMutablePointer<pid_t>.allocate(capacity: 64)
    p.initialize(repeating: 0, count: 64)
    return p
}()
private let childLock = NSLock()

enum Children {
    static func register(_ pid: pid_t) {
        childLock.lock(); defer { childLock.unlock() }
        for i in 0..<64 where childSlots[i] == 0 { childSlots[i] = pid; return }
        fatalError("more than 64 child processes")
    }

    static func unregister(_ pid: pid_t) {
        childLock.lock(); defer { childLock.unlock() }
        for i in 0..<64 where childSlots[i] == pid { childSlots[i] = 0 }
    }

    static var all: [pid_t] {
        childLock.lock(); defer { childLock.unlock() }
        return (0..<64).map { childSlots[$0] }.filter { $0 > 0 }
    }

    /// SIGTERM, wait up to `grace` seconds, then SIGKILL; always reaps.
    static func stop(_ pid: pid_t, grace: Double = 3) {
        guard pid > 0 else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let deadline = monotonicNanos() + UInt64(grace * 1e9)
        var status: Int32 = 0
        while monotonicNanos() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { unregister(pid); return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        unregister(pid)
    }

    /// Stops every child, newest first.
    static func stopAll() {
        for pid in all.reversed() { stop(pid) }
    }

    static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Installs handlers that SIGKILL every child (async-signal-safe: kill, waitpid, _exit)
    /// and an atexit hook that stops them politely.
    static func installCleanup() {
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { sig in
                for i in 0..<64 {
                    let pid = childSlots[i]
                    if pid > 0 { kill(pid, SIGCONT); kill(pid, SIGKILL) }
                }
                for i in 0..<64 {
                    let pid = childSlots[i]
                    if pid > 0 { var st: Int32 = 0; waitpid(pid, &st, 0) }
                }
                _exit(128 + sig)
            }
        }
        signal(SIGPIPE, SIG_IGN)
        atexit { Children.stopAll() }
    }
}

struct SpawnError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

private let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Starts `executable` with stdout+stderr to `log` and stdin from /dev/null, in its own process
/// group (a terminal's Ctrl-C reaches only the benchmark, which then stops the children).
/// Must be called from the main thread (the parent-death signal follows the spawning thread).
@discardableResult
func spawnChild(_ executable: String, _ arguments: [String], log: String, tracked: Bool = true) throws -> pid_t {
    var argv = [executable] + arguments
    var path = executable
    if tracked, let setpriv {
        argv = [setpriv, "--pdeathsig", "KILL", "--"] + argv
        path = setpriv
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attr, 0)
    let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, cArgs, environ)
    guard rc == 0 else { throw SpawnError("cannot start \(executable): \(String(cString: strerror(rc)))") }
    if tracked { Children.register(pid) }
    return pid
}

/// Runs a short command to completion and returns its output (stdout+stderr).
func runToCompletion(_ executable: String, _ arguments: [String], scratch: String) throws -> (status: Int32, output: String) {
    let pid = try spawnChild(executable, arguments, log: scratch, tracked: false)
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    let output = (try? String(contentsOfFile: scratch, encoding: .utf8)) ?? ""
    return ((status >> 8) & 0xff, output)
}

// MARK: Clocks, CPU time, ports

@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// CPU seconds (user+system) a process has used so far, from /proc/PID/stat.
func cpuSeconds(of pid: pid_t) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // After "(comm)": state is field 3, utime 14, stime 15 → indices 11 and 12 here.
    guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
    return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func selfCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// One ASCII command to 127.0.0.1:port, read until `terminator` (readiness checks and `stats`,
/// not the measured paths).
func rawExchange(port: Int, _ command: String, until terminator: String, timeoutSeconds: Int = 2) -> String? {
    loopbackExchange(port, Array(command.utf8), until: terminator, timeoutSeconds: timeoutSeconds).map { String(decoding: $0, as: UTF8.self) }
}

