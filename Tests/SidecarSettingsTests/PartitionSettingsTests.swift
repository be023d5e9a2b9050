import Foundation
import SidecarSettings
import TestSupport
import Testing

/// readyHoldMs, storeProbeIntervalMs and zone: file, environment, validation.
struct PartitionSettingsTests {
    @Test func fileEnvironmentAndDefaults() throws {
        var c = SidecarConfig()
        #expect(c.readyHoldMs == 3000 && c.storeProbeIntervalMs == 500 && c.zone == nil)
        let dir = TempDir("config")
        try #"{"keyring": "/k", "replicas": 1, "readyHoldMs": 1500, "storeProbeIntervalMs": 250, "zone": "de-fra"}"#
            .write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        c = try SidecarConfig(file: dir.file("c.json"), environment: [:])
        #expect(c.readyHoldMs == 1500 && c.storeProbeIntervalMs == 250 && c.zone == "de-fra")
        c = try SidecarConfig(file: dir.file("c.json"), environment: [
            "SESSIONMESH_READY_HOLD_MS": "0", "SESSIONMESH_STORE_PROBE_INTERVAL_MS": "1000", "SESSIONMESH_ZONE": "fr",
        ])
        #expect(c.readyHoldMs == 0 && c.storeProbeIntervalMs == 1000 && c.zone == "fr")
        #expect(c.validate() == nil)
    }

    @Test func badValuesAreRejected() {
        var c = SidecarConfig()
        c.keyring = "/k"
        c.replicas = 1
        c.readyHoldMs = -1
        #expect(c.validate() == "readyHoldMs must be between 0 and 600000")
        c.readyHoldMs = 0
        c.storeProbeIntervalMs = 10
        #expect(c.validate() == "storeProbeIntervalMs must be between 50 and 60000")
        c.storeProbeIntervalMs = 500
        c.zone = "de fra"
        #expect(c.validate()?.hasPrefix("zone must be") == true)
        c.zone = ""
        #expect(c.validate()?.hasPrefix("zone must be") == true)
        c.zone = "eu-west_1.a"
        #expect(c.validate() == nil)
    }
}
