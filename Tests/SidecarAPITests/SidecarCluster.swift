import Foundation
import SessionMeshClient
import TestSupport

/// Three memcached nodes and `sidecars` real `sessionmesh run` processes sharing them and one keyring.
final class SidecarCluster: @unchecked Sendable {
    let dir = TempDir("api")
    let memcached: [MemcachedServer]
    let keyring: String
    var sidecars: [SidecarProcess] = []
    var clients: [SessionMeshClient] = []

    init(sidecars count: Int = 1, extra: [String] = []) throws {
        let dir = self.dir
        memcached = try (0..<3).map { _ in try MemcachedServer(dir: dir) }
        keyring = try SidecarProcess.makeKeyring(in: dir)
        for i in 0..<count {
            let s = try SidecarProcess(dir: dir, name: "sidecar\(i)", memcached: memcached.map(\.address), keyring: keyring,
                                       extra: ["--poll-timeout-ms", "200", "--connect-timeout-ms", "200", "--retry-interval-ms", "500"] + extra)
            sidecars.append(s)
            clients.append(SessionMeshClient(socketPath: s.socket, maxConnections: 32))
        }
    }

    deinit {
        for s in sidecars { s.process.killNow() }
        for m in memcached { m.kill() }
    }
}

struct Cart: Codable, Equatable, Sendable {
    var user: String
    var items: [String] = []
    var paid: Bool?
}

struct Counter: Codable, Sendable { var n: Int }
