import Foundation

/// A stock `serf agent` (Debian's serf 0.9.4) on 127.0.0.1, started here and stopped by PID.
public final class SerfAgent: @unchecked Sendable {
    public let name: String
    public let bindPort: Int
    public let rpcPort: Int
    public let process: ManagedProcess
    public var address: String { "127.0.0.1:\(bindPort)" }

    public init(dir: TempDir, name: String, encryptKey: String? = nil, join: String? = nil) throws {
        self.name = name
        bindPort = freeLoopbackPort()
        rpcPort = freeLoopbackPort()
        var args = ["agent", "-node=\(name)", "-bind=127.0.0.1:\(bindPort)", "-rpc-addr=127.0.0.1:\(rpcPort)", "-log-level=debug"]
        if let encryptKey { args.append("-encrypt=\(encryptKey)") }
        if let join { args.append("-join=\(join)") }
        process = try ManagedProcess("/usr/bin/serf", args, logPath: dir.file("serf-\(name).log"))
        guard waitUntil(seconds: 10, { (try? self.members()) != nil }) else {
            throw LocalClusterError("serf agent \(name) did not start: \(process.log)")
        }
    }

    public struct Member: Decodable, Sendable {
        public struct ProtocolRange: Decodable, Sendable { public var min: Int; public var max: Int; public var version: Int }
        public var name: String
        public var addr: String
        public var status: String
        public var tags: [String: String]
        public var `protocol`: ProtocolRange
    }

    /// `serf members -format json`, as this agent sees the mesh.
    public func members() throws -> [Member] {
        let out = try Self.serf(["members", "-rpc-addr=127.0.0.1:\(rpcPort)", "-format=json"])
        struct Reply: Decodable { var members: [Member] }
        return try JSONDecoder().decode(Reply.self, from: Data(out.utf8)).members
    }

    public func status(of node: String) -> String? {
        (try? members())?.first { $0.name == node }?.status
    }

    /// Runs the serf CLI and returns its standard output (throws on a non-zero exit).
    public static func serf(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/serf")
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw LocalClusterError("serf \(arguments.first ?? "") failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A serf `-encrypt` key: 32 random bytes, base64.
    public static func makeKey() -> String {
        var rng = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }).base64EncodedString()
    }
}
