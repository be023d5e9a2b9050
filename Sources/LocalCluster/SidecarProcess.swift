import Foundation

/// A real `sessionmesh run` process on a socket in a scratch directory.
public final class SidecarProcess: @unchecked Sendable {
    public let socket: String
    public private(set) var process: ManagedProcess

    public let name: String
    private let binary: String
    private let arguments: [String]
    private let logPath: String

    /// The `sessionmesh` binary to run: $SESSIONMESH_BIN, else this process's own executable
    /// (when it is `sessionmesh`), else next to the running binary, else .build/debug.
    public static var defaultBinary: String {
        if let path = ProcessInfo.processInfo.environment["SESSIONMESH_BIN"] { return path }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        if (me as NSString).lastPathComponent == "sessionmesh" { return me }
        let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("sessionmesh").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return FileManager.default.currentDirectoryPath + "/.build/debug/sessionmesh"
    }

    /// Starts `sessionmesh run` and waits for its "ready" line.
    public convenience init(dir: TempDir, name: String, memcached: [String], keyring: String, extra: [String] = [],
                            binary: String = SidecarProcess.defaultBinary, launcher: [String] = []) throws {
        try self.init(dir: dir, name: name, backend: .memcached, nodes: memcached, keyring: keyring, extra: extra,
                      binary: binary, launcher: launcher)
    }

    /// Starts `sessionmesh run` over `nodes` of `backend` and waits for its "ready" line. With
    /// `launcher` (e.g. `["/usr/bin/prlimit", "--nofile=256:256", "--"]`), that command runs the binary.
    public init(dir: TempDir, name: String, backend: StoreBackend, nodes: [String], keyring: String, extra: [String] = [],
                binary: String = SidecarProcess.defaultBinary, launcher: [String] = []) throws {
        self.name = name
        socket = dir.file("\(name).sock")
        logPath = dir.file("\(name).log")
        let run = ["run", "--socket", socket, backend.flag, nodes.joined(separator: ","), "--keyring", keyring,
                   "--log-level", "notice"] + extra
        self.binary = launcher.first ?? binary
        arguments = launcher.isEmpty ? run : Array(launcher.dropFirst()) + [binary] + run
        process = try Self.launch(self.binary, arguments, logPath)
    }

    private static func launch(_ binary: String, _ arguments: [String], _ logPath: String) throws -> ManagedProcess {
        let process = try ManagedProcess(binary, arguments, logPath: logPath)
        guard waitUntil(seconds: 20, { process.log.contains("sessionmesh ready") || !process.process.isRunning }),
              process.process.isRunning else {
            throw LocalClusterError("sidecar did not start: \(process.log)")
        }
        return process
    }

    /// Starts the same sidecar again after it stopped (same socket, same settings).
    public func restart() throws {
        process.killNow()
        process = try Self.launch(binary, arguments, logPath)
    }

    /// Writes a fresh keyring file with one key and returns its path.
    public static func makeKeyring(in dir: TempDir, keys: [String]? = nil) throws -> String {
        let path = dir.file("keyring")
        let lines = try keys ?? [Self.generateKey()]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)  // keys are private
        return path
    }

    static func generateKey() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        return Data(bytes).base64EncodedString()
    }
}
