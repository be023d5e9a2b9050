import Foundation

/// A real `sessionmesh run` process on a socket in a temp dir.
public final class SidecarProcess: @unchecked Sendable {
    public let socket: String
    public let process: ManagedProcess

    /// The built binary: $SESSIONMESH_BIN, else next to the test bundle, else .build/debug.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SESSIONMESH_BIN"] { return path }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sessionmesh").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return FileManager.default.currentDirectoryPath + "/.build/debug/sessionmesh"
    }

    public init(dir: TempDir, name: String, memcached: [String], keyring: String, extra: [String] = []) throws {
        socket = dir.file("\(name).sock")
        let args = ["run", "--socket", socket, "--memcached", memcached.joined(separator: ","), "--keyring", keyring,
                    "--log-level", "notice"] + extra
        process = try ManagedProcess(Self.binary, args, logPath: dir.file("\(name).log"))
        guard waitUntil(seconds: 20, { process.log.contains("sessionmesh ready") || !process.process.isRunning }),
              process.process.isRunning else {
            throw TestSupportError("sidecar \(name) did not start: \(process.log)")
        }
    }

    /// Writes a fresh keyring file with one key and returns its path.
    public static func makeKeyring(in dir: TempDir, keys: [String]? = nil) throws -> String {
        let path = dir.file("keyring")
        let lines = try keys ?? [Self.generateKey()]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func generateKey() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        return Data(bytes).base64EncodedString()
    }
}
