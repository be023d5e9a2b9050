import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// N hosts as Linux network namespaces on one bridge, each with its own memcached and
/// `sessionmesh run`, for partition tests. Everything it creates lives in namespaces of its own:
/// the bridge in `smp<pid>br`, host i in `smp<pid>h<i>` with `eth0` = 10.213.0.(11+i)/24, wired
/// to port `p<i>` of the bridge. Nothing is added to the root namespace, so concurrent runs
/// (other PIDs) do not collide and the addresses are never routed anywhere else.
///
/// Faults: `cut` (bridge port down, both ways), `blockInbound` (nft drop in the host's namespace,
/// one way), `freezeMemcached` (SIGSTOP). `shutdown()` (also from deinit) kills every process by PID
/// and deletes the namespaces; `removeStale()` removes namespaces of earlier runs whose process died.
public final class NetnsBed: @unchecked Sendable {
    public struct Host: @unchecked Sendable {
        public let index: Int
        public let name: String
        public let namespace: String
        public let address: String
        public let socket: String
        public var memcached: ManagedProcess
        public var sidecar: ManagedProcess
    }

    public static let ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
    public static let nftTool = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let prefix = "smp"
    public static let memcachedPort = 11211
    public static let gossipPort = 7946

    public let dir = TempDir("netns")
    public let bridgeNamespace: String
    public private(set) var hosts: [Host] = []
    private var namespaces: [String] = []
    private var stopped = false

    // MARK: Permission

    /// Why namespaces cannot be used here, or nil when they can (root, and `ip netns add` works).
    public static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "network-namespace tests need root (`ip netns add`); skipped" }
        guard FileManager.default.isExecutableFile(atPath: ipTool) else { return "iproute2 `ip` not installed; skipped" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/memcached") else { return "memcached not installed; skipped" }
        let probe = "\(prefix)\(getpid())probe"
        let (rc, out) = run([ipTool, "netns", "add", probe])
        _ = run([ipTool, "netns", "del", probe])
        return rc == 0 ? nil : "`ip netns add` is not permitted here (\(out.trimmingCharacters(in: .whitespacesAndNewlines))); skipped"
    }()

    // MARK: Setup

    /// Creates the bridge, `count` hosts with their memcached (every sidecar lists all of them) and
    /// sidecars joined into one gossip mesh. `sidecarArgs` are appended to every `sessionmesh run`.
    public init(hosts count: Int, sidecarArgs: [String] = [], binary: String = SidecarProcess.defaultBinary) throws {
        Self.removeStale()
        let tag = "\(Self.prefix)\(getpid())"
        bridgeNamespace = "\(tag)br"
        do {
            try setUp(count: count, tag: tag, sidecarArgs: sidecarArgs, binary: binary)
        } catch {
            shutdown()
            throw error
        }
    }

    private func setUp(count: Int, tag: String, sidecarArgs: [String], binary: String) throws {
        let ip = Self.ipTool
        try addNamespace(bridgeNamespace)
        try Self.must([ip, "-n", bridgeNamespace, "link", "set", "lo", "up"])
        try Self.must([ip, "-n", bridgeNamespace, "link", "add", "br0", "type", "bridge"])
        try Self.must([ip, "-n", bridgeNamespace, "link", "set", "br0", "up"])
        let addresses = (0..<count).map { "10.213.0.\(11 + $0)" }
        for i in 0..<count {
            let ns = "\(tag)h\(i)"
            try addNamespace(ns)
            try Self.must([ip, "-n", ns, "link", "set", "lo", "up"])
            // The pair is born in the bridge namespace; one end moves into the host's.
            try Self.must([ip, "-n", bridgeNamespace, "link", "add", "p\(i)", "type", "veth", "peer", "name", "eth0", "netns", ns])
            try Self.must([ip, "-n", bridgeNamespace, "link", "set", "p\(i)", "master", "br0"])
            try Self.must([ip, "-n", bridgeNamespace, "link", "set", "p\(i)", "up"])
            try Self.must([ip, "-n", ns, "addr", "add", "\(addresses[i])/24", "dev", "eth0"])
            try Self.must([ip, "-n", ns, "link", "set", "eth0", "up"])
        }
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let memcachedList = addresses.map { "\($0):\(Self.memcachedPort)" }.joined(separator: ",")
        var started: [(String, String, ManagedProcess)] = []
        for i in 0..<count {
            let ns = "\(tag)h\(i)"
            let mc = try ManagedProcess(ip, ["netns", "exec", ns, "/usr/bin/memcached", "-l", addresses[i], "-p", String(Self.memcachedPort),
                                             "-U", "0", "-m", "64", "-t", "2", "-u", "root"], logPath: dir.file("memcached-h\(i).log"))
            started.append((ns, addresses[i], mc))
            hosts.append(Host(index: i, name: "h\(i)", namespace: ns, address: addresses[i], socket: dir.file("h\(i).sock"),
                              memcached: mc, sidecar: mc))
        }
        for i in 0..<count {
            guard waitUntil(seconds: 5, { self.tcpAnswers(from: self.hosts[i].namespace, to: addresses[i], port: Self.memcachedPort) }) else {
                throw LocalClusterError("memcached in \(hosts[i].namespace) did not start: \(hosts[i].memcached.log)")
            }
        }
        for i in 0..<count {
            var args = ["netns", "exec", hosts[i].namespace, binary, "run", "--socket", hosts[i].socket, "--memcached", memcachedList,
                        "--keyring", keyring, "--log-level", "notice", "--node-name", hosts[i].name,
                        "--gossip-bind", "\(addresses[i]):\(Self.gossipPort)", "--gossip-keyring", keyring]
            for j in 0..<count where j != i { args += ["--join", "\(addresses[j]):\(Self.gossipPort)"] }
            let p = try ManagedProcess(ip, args + sidecarArgs, logPath: dir.file("sidecar-h\(i).log"))
            hosts[i].sidecar = p
            guard waitUntil(seconds: 30, { p.log.contains("sessionmesh ready") || !p.process.isRunning }), p.process.isRunning else {
                throw LocalClusterError("sidecar h\(i) did not start: \(p.log)")
            }
        }
    }

    private func addNamespace(_ name: String) throws {
        try Self.must([Self.ipTool, "netns", "add", name])
        namespaces.append(name)
    }

    /// Whether `ip netns exec ns` can open a TCP connection to address:port (bash's /dev/tcp).
    public func tcpAnswers(from ns: String, to address: String, port: Int) -> Bool {
        Self.run([Self.ipTool, "netns", "exec", ns, "/bin/bash", "-c", "exec 3<>/dev/tcp/\(address)/\(port)"]).0 == 0
    }

    // MARK: Faults

    /// Disables (or re-enables) host i's bridge port: the host is cut off both ways.
    public func cut(_ i: Int, _ down: Bool = true) throws {
        try Self.must([Self.ipTool, "-n", bridgeNamespace, "link", "set", "p\(i)", down ? "down" : "up"])
    }

    /// Whether one-way cuts can be made here (nft installed and usable in a namespace).
    public var oneWayUnavailableReason: String? {
        guard let nft = Self.nftTool else { return "nft (Debian package nftables) not installed" }
        let (rc, out) = Self.run([Self.ipTool, "netns", "exec", bridgeNamespace, nft, "list", "tables"])
        return rc == 0 ? nil : "nft does not work in a namespace here: \(out)"
    }

    /// Drops every packet host i receives on its bridge link (it still sends): a one-way cut.
    public func blockInbound(_ i: Int, _ on: Bool = true) throws {
        guard let nft = Self.nftTool else { throw LocalClusterError("nft not installed") }
        let ns = hosts[i].namespace
        if on {
            try Self.must([Self.ipTool, "netns", "exec", ns, nft,
                           "add table inet smp; add chain inet smp in { type filter hook input priority 0; policy accept; }; add rule inet smp in iifname eth0 drop"])
        } else {
            try Self.must([Self.ipTool, "netns", "exec", ns, nft, "delete table inet smp"])
        }
    }

    public func freezeMemcached(_ i: Int) { hosts[i].memcached.freeze() }
    public func resumeMemcached(_ i: Int) { hosts[i].memcached.resume() }

    // MARK: Cleanup

    /// Stops every process this bed started (by PID) and deletes its namespaces. Idempotent.
    public func shutdown() {
        if stopped { return }
        stopped = true
        for h in hosts {
            h.sidecar.killNow()
            h.memcached.killNow()
        }
        for ns in namespaces.reversed() { Self.deleteNamespace(ns) }
        namespaces = []
    }

    deinit { shutdown() }

    /// Deletes `smp<pid>…` namespaces left by runs whose process is gone (a crash or SIGKILL),
    /// killing what still runs inside them. Namespaces of live runs are left alone.
    public static func removeStale() {
        let (_, out) = run([ipTool, "netns", "list"])
        for line in out.split(separator: "\n") {
            guard let name = line.split(separator: " ").first.map(String.init), name.hasPrefix(prefix) else { continue }
            let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = Int32(digits), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // its owner still runs
            deleteNamespace(name)
        }
    }

    static func deleteNamespace(_ name: String) {
        let (_, pids) = run([ipTool, "netns", "pids", name])
        for p in pids.split(separator: "\n").compactMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }) {
            kill(p, SIGCONT)
            kill(p, SIGKILL)
        }
        _ = run([ipTool, "netns", "del", name])
    }

    // MARK: Commands

    /// Runs a command to its end; returns its exit status and combined output.
    @discardableResult
    public static func run(_ argv: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func must(_ argv: [String]) throws {
        let (rc, out) = run(argv)
        guard rc == 0 else { throw LocalClusterError("\(argv.joined(separator: " ")) failed (\(rc)): \(out)") }
    }
}
