import Foundation
import SessionMeshClient
import TestSupport

/// Three store nodes (memcached or redis-server) and `sidecars` real `sessionmesh run` processes
/// sharing them and one keyring.
final class SidecarCluster: @unchecked Sendable {
    let dir = TempDir("api")
    let backend: StoreBackend
    let nodes: [any StoreServer]
    let keyring: String
    var sidecars: [SidecarProcess] = []
    var clients: [SessionMeshClient] = []

    init(_ backend: StoreBackend = .memcached, sidecars count: Int = 1, extra: [String] = []) throws {
        let dir = self.dir
        self.backend = backend
        nodes = try startStoreServers(backend, count: 3, dir: dir)
        keyring = try SidecarProcess.makeKeyring(in: dir)
        for i in 0..<count {
            let s = try SidecarProcess(dir: dir, name: "sidecar\(i)", backend: backend, nodes: nodes.map(\.address), keyring: keyring,
                                       extra: ["--poll-timeout-ms", "200", "--connect-timeout-ms", "200", "--retry-interval-ms", "500"] + extra)
            sidecars.append(s)
            clients.append(SessionMeshClient(socketPath: s.socket, maxConnections: 32))
        }
    }

    deinit {
        for s in sidecars { s.process.killNow() }
        for m in nodes { m.kill() }
    }
}

struct Cart: Codable, Equatable, Sendable {
    var user: String
    var items: [String] = []
    var paid: Bool?
}

struct Counter: Codable, Sendable { var n: Int }
