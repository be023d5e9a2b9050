import Foundation
import Testing
import TestSupport
@testable import SidecarService

@Suite struct SidecarConfigTests {
    @Test func fileWithCommentsThenEnvironmentOverride() throws {
        let dir = TempDir("config")
        let path = dir.file("c.json")
        try """
        {
          // the nodes
          "memcached": ["10.0.0.1:11211", "10.0.0.2:11211"],
          // copies
          "replicas": 2,
          "pollTimeoutMs": 100,
          "keyring": "/etc/k"
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var config = try SidecarConfig.load(file: path)
        #expect(config.memcached == ["10.0.0.1:11211", "10.0.0.2:11211"])
        #expect(config.pollTimeoutMs == 100 && config.connectTimeoutMs == 250)
        try config.applyEnvironment(["SESSIONMESH_POLL_TIMEOUT_MS": "50", "SESSIONMESH_MEMCACHED": "a:1, b:2", "SESSIONMESH_SOCKET_MODE": "0600"])
        #expect(config.pollTimeoutMs == 50 && config.memcached == ["a:1", "b:2"] && config.socketModeValue == 0o600)
        #expect(config.validate() == nil)
        #expect(throws: ConfigError.self) { try config.applyEnvironment(["SESSIONMESH_REPLICAS": "two"]) }
    }

    @Test func unknownKeysAndBadValuesAreRejected() throws {
        let dir = TempDir("config")
        try #"{"replica": 2}"#.write(toFile: dir.file("a.json"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try SidecarConfig.load(file: dir.file("a.json")) }
        var c = SidecarConfig()
        c.keyring = "/k"
        c.idleTimeout = 100_000
        #expect(c.validate() == "idleTimeout must not exceed absoluteTimeout")
    }

    /// Issue 17's settings: file keys, environment variables, validation; gossip needs a keyring
    /// unless insecure is explicit.
    @Test func hardeningSettings() throws {
        let dir = TempDir("config")
        try #"{"keyring": "/k", "replicas": 1, "gossipBind": "127.0.0.1:7946", "maxConnections": 10, "httpIdleTimeoutMs": 5000, "httpHeaderTimeoutMs": 2000, "maxGossipMembers": 32, "strictKeyringPermissions": true}"#
            .write(toFile: dir.file("h.json"), atomically: true, encoding: .utf8)
        var c = try SidecarConfig.load(file: dir.file("h.json"))
        #expect(c.maxConnections == 10 && c.httpIdleTimeoutMs == 5000 && c.httpHeaderTimeoutMs == 2000 && c.maxGossipMembers == 32)
        #expect(c.strictKeyringPermissions && !c.gossipInsecure)
        #expect(c.validate()?.hasPrefix("gossip without a keyring") == true)
        try c.applyEnvironment(["SESSIONMESH_GOSSIP_INSECURE": "true", "SESSIONMESH_MAX_CONNECTIONS": "20"])
        #expect(c.gossipInsecure && c.maxConnections == 20 && c.validate() == nil)
        c.gossipInsecure = false
        c.gossipKeyring = "/gk"
        #expect(c.validate() == nil)
        #expect(throws: ConfigError.self) { try c.applyEnvironment(["SESSIONMESH_GOSSIP_INSECURE": "maybe"]) }
        c.maxGossipMembers = 1
        #expect(c.validate() == "maxGossipMembers must be between 2 and 65536")
    }

    /// Connection caps stay within the fd limit less the reserve.
    @Test func listenerLimitsKeepAReserve() {
        var c = SidecarConfig()
        c.gossipBind = "127.0.0.1:7946"
        c.agentCheckBind = "127.0.0.1:7947"
        c.adminBind = "127.0.0.1:7948"
        let small = ListenerLimits(config: c, fdLimit: 256)
        #expect(small.reserve >= 64)
        #expect(small.api + small.admin + small.agent + small.gossip + small.reserve <= 256)
        let large = ListenerLimits(config: c, fdLimit: 1_048_576)
        #expect(large.api == c.maxConnections && large.gossip == 64 && large.agent == 32 && large.admin == 64)
    }

    @Test func redisReplacesMemcachedFromFileOrEnvironmentButNeverBoth() throws {
        let dir = TempDir("config")
        try "  pass word \n".write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        try """
        {"redis": ["10.0.0.1:6379", "10.0.0.2:6379"], "redisPasswordFile": "\(dir.file("pw"))", "keyring": "/k"}
        """.write(toFile: dir.file("r.json"), atomically: true, encoding: .utf8)
        var config = try SidecarConfig.load(file: dir.file("r.json"))
        #expect(config.backend == .redis && config.storeNodes == ["10.0.0.1:6379", "10.0.0.2:6379"])
        #expect(config.validate() == nil)
        #expect(try config.readRedisPassword() == "pass word")
        #expect(config.redisStoreConfig(password: "x").ioTimeoutMs == config.pollTimeoutMs)
        try config.applyEnvironment(["SESSIONMESH_REDIS": "a:1, b:2, c:3", "SESSIONMESH_REDIS_PASSWORD_FILE": "/nonexistent"])
        #expect(config.redis == ["a:1", "b:2", "c:3"] && config.redisPasswordFile == "/nonexistent")
        #expect(throws: ConfigError.self) { try config.readRedisPassword() }
        try config.applyEnvironment(["SESSIONMESH_MEMCACHED": "m:11211"])
        #expect(config.validate()?.hasPrefix("memcached and redis are both set") == true)
        // Neither set: the local memcached, as before.
        var plain = SidecarConfig()
        plain.keyring = "/k"
        plain.replicas = 1
        #expect(plain.backend == .memcached && plain.storeNodes == ["127.0.0.1:11211"] && plain.validate() == nil)
    }
}
