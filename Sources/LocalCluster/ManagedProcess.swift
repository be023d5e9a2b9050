import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started here and always stopped by PID (SIGKILL at the latest in deinit).
public final class ManagedProcess: @unchecked Sendable {
    public let process: Process
    public let logPath: String
    public var pid: pid_t { process.processIdentifier }

    public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        self.logPath = logPath
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public func signal(_ sig: Int32) { if process.isRunning || sig == SIGCONT { kill(pid, sig) } }
    public func freeze() { signal(SIGSTOP) }
    public func resume() { signal(SIGCONT) }

    /// SIGKILL and wait (at most 10 s) until it is gone. Not `Process.waitUntilExit()`: Foundation
    /// sometimes loses a child's exit notification, and then that call never returns (a test run
    /// hung on it); the process's state in /proc says whether it is dead.
    public func killNow() {
        guard process.isRunning else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGKILL)
        for _ in 0..<1000 where process.isRunning && !Self.hasExited(pid) { usleep(10_000) }
    }

    /// True once `pid` is a zombie or gone.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state == "Z" || state == "X"
    }

    /// Sends SIGTERM and waits up to `seconds` for the exit; SIGKILL after that. Returns the exit status.
    @discardableResult
    public func terminate(waitSeconds seconds: Double = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { killNow(); return -9 }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { killNow() }
}

/// A scratch directory, removed at deinit.
public final class TempDir: @unchecked Sendable {
    public let path: String
    public init(_ prefix: String = "sessionmesh-test") {
        let p = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        path = p
    }
    public func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls an async `condition` every `interval` until it holds or `seconds` pass. Returns whether it held.
public func eventually(seconds: Double, every interval: Duration = .milliseconds(100),
                       _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return await condition()
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass. Returns whether it held.
public func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
