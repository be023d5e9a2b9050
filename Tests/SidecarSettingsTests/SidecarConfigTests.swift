import Foundation
import SidecarSettings
import TestSupport
import Testing

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
        let config = try SidecarConfig(file: path, environment: [:])
        #expect(config.memcached == [HostPort(host: "10.0.0.1", port: 11211), HostPort(host: "10.0.0.2", port: 11211)])
        #expect(config.pollTimeoutMs == 100 && config.connectTimeoutMs == 250)
        let overridden = try SidecarConfig(file: path, environment: [
            "SESSIONMESH_POLL_TIMEOUT_MS": "50", "SESSIONMESH_MEMCACHED": "a:1, b:2", "SESSIONMESH_SOCKET_MODE": "0600",
        ])
        #expect(overridden.pollTimeoutMs == 50 && overridden.memcachedNodes == ["a:1", "b:2"] && overridden.socketMode == FileMode(0o600))
        #expect(overridden.validate() == nil)
        #expect(throws: ConfigError.self) { try SidecarConfig(file: path, environment: ["SESSIONMESH_REPLICAS": "two"]) }
    }

    @Test func unknownKeysAndBadValuesAreRejected() throws {
        let dir = TempDir("config")
        try #"{"replica": 2}"#.write(toFile: dir.file("a.json"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try SidecarConfig(file: dir.file("a.json"), environment: [:]) }
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
        let error = #expect(throws: ConfigError.self) { try SidecarConfig(file: dir.file("h.json"), environment: [:]) }
        #expect(error?.description.hasPrefix("gossip without a keyring") == true)
        var c = try SidecarConfig(file: dir.file("h.json"), environment: ["SESSIONMESH_GOSSIP_INSECURE": "true", "SESSIONMESH_MAX_CONNECTIONS": "20"])
        #expect(c.maxConnections == 20 && c.httpIdleTimeoutMs == 5000 && c.httpHeaderTimeoutMs == 2000 && c.maxGossipMembers == 32)
        #expect(c.strictKeyringPermissions && c.gossipInsecure && c.validate() == nil)
        c.gossipInsecure = false
        c.gossipKeyring = "/gk"
        #expect(c.validate() == nil)
        #expect(throws: ConfigError.self) {
            try SidecarConfig(file: dir.file("h.json"), environment: ["SESSIONMESH_GOSSIP_INSECURE": "maybe"])
        }
        c.maxGossipMembers = 1
        #expect(c.validate() == "maxGossipMembers must be between 2 and 65536")
    }

    @Test func redisReplacesMemcachedFromFileOrEnvironmentButNeverBoth() throws {
        let dir = TempDir("config")
        try "  pass word \n".write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        try """
        {"redis": ["10.0.0.1:6379", "10.0.0.2:6379"], "redisPasswordFile": "\(dir.file("pw"))", "keyring": "/k"}
        """.write(toFile: dir.file("r.json"), atomically: true, encoding: .utf8)
        let config = try SidecarConfig(file: dir.file("r.json"), environment: [:])
        #expect(config.backend == .redis && config.storeNodes == ["10.0.0.1:6379", "10.0.0.2:6379"])
        #expect(try config.readRedisPassword() == "pass word")
        #expect(config.redisStoreConfig(password: "x").ioTimeoutMs == config.pollTimeoutMs)
        let fromEnvironment = try SidecarConfig(file: dir.file("r.json"), environment: [
            "SESSIONMESH_REDIS": "a:1, b:2, c:3", "SESSIONMESH_REDIS_PASSWORD_FILE": "/nonexistent",
        ])
        #expect(fromEnvironment.storeNodes == ["a:1", "b:2", "c:3"] && fromEnvironment.redisPasswordFile == "/nonexistent")
        #expect(throws: ConfigError.self) { try fromEnvironment.readRedisPassword() }
        let both = #expect(throws: ConfigError.self) {
            try SidecarConfig(file: dir.file("r.json"), environment: ["SESSIONMESH_MEMCACHED": "m:11211"])
        }
        #expect(both?.description.hasPrefix("memcached and redis are both set") == true)
        // Neither set: the local memcached, as before.
        var plain = SidecarConfig()
        plain.keyring = "/k"
        plain.replicas = 1
        #expect(plain.backend == .memcached && plain.storeNodes == ["127.0.0.1:11211"] && plain.validate() == nil)
    }
}
