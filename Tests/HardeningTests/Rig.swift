import Foundation
import Testing
import TestSupport

/// All hardening suites, one at a time: each loads a sidecar (and the machine) on purpose, and
/// the suites beside them in the test run have timing assertions of their own.
@Suite(.serialized) enum Hardening {}

/// One memcached and one real sidecar on loopback, for an attack and a check that it still serves.
final class Rig: @unchecked Sendable {
    let dir = TempDir("hardening")
    let memcached: MemcachedServer
    let keyring: String
    let sidecar: SidecarProcess
    let gossipPort: Int

    /// `gossip`: gossip on, plaintext (`--gossip-insecure`) unless `encrypted` (the session key
    /// file doubles as the gossip keyring: the same base64 32-byte key format).
    init(extra: [String] = [], gossip: Bool = false, encrypted: Bool = false, launcher: [String] = []) throws {
        let dir = self.dir
        memcached = try MemcachedServer(dir: dir)
        keyring = try SidecarProcess.makeKeyring(in: dir)
        gossipPort = freeLoopbackPort()
        var flags = ["--replicas", "1", "--node-name", "target"]
        if gossip {
            flags += ["--gossip-bind", "127.0.0.1:\(gossipPort)", "--app-address", "127.0.0.1:18080"]
            flags += encrypted ? ["--gossip-keyring", keyring] : ["--gossip-insecure"]
        }
        sidecar = try SidecarProcess(dir: dir, name: "target", memcached: [memcached.address], keyring: keyring,
                                     extra: flags + extra, launcher: launcher)
    }

    var pid: pid_t { sidecar.process.pid }
    var socket: String { sidecar.socket }
    var log: String { sidecar.process.log }

    /// A real request succeeds: the sidecar is up and serving.
    var serves: Bool {
        RawPeer.unix(socket, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").statuses == [200]
    }

    /// A session round trip through the store (create, then read), over raw HTTP.
    var storesSessions: Bool {
        let body = #"{"data":{"cart":["sku-1"]}}"#
        let created = RawPeer.unix(socket, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        guard created.statuses == [201], let range = created.text.range(of: #""id":""#) else { return false }
        let id = created.text[range.upperBound...].prefix(43)
        return RawPeer.unix(socket, "GET /v1/sessions/\(id) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").statuses == [200]
    }

    deinit {
        sidecar.process.killNow()
        memcached.kill()
    }
}
