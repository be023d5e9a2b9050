import Foundation
import SessionMeshClient
import Testing
import TestSupport

/// Three sidecars in a gossip mesh over one memcached; the first also serves a loopback admin port.
final class MeshTrio: @unchecked Sendable {
    let dir = TempDir("ui")
    let memcached: MemcachedServer
    var sidecars: [SidecarProcess] = []
    let adminPort = freeLoopbackPort()
    let client: SessionMeshClient

    init(zones: [String]? = nil) throws {
        let dir = self.dir
        memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let ports = (0..<3).map { _ in freeLoopbackPort() }
        for i in 0..<3 {
            var extra = ["--replicas", "1", "--node-name", "host\(i + 1)", "--gossip-bind", "127.0.0.1:\(ports[i])", "--gossip-keyring", keyring,
                         "--app-address", "127.0.0.1:\(9001 + i)"]
            if let zones { extra += ["--zone", zones[i]] }
            if i > 0 { extra += ["--join", "127.0.0.1:\(ports[0])"] } else { extra += ["--admin-bind", "127.0.0.1:\(adminPort)"] }
            sidecars.append(try SidecarProcess(dir: dir, name: "host\(i + 1)", memcached: [memcached.address], keyring: keyring, extra: extra))
        }
        client = SessionMeshClient(socketPath: sidecars[0].socket)
    }

    func aliveMembers() async -> Set<String> {
        guard let mesh = try? await client.mesh(), let members = mesh["members"] as? [[String: Any]] else { return [] }
        return Set(members.filter { $0["status"] as? String == "alive" }.compactMap { $0["name"] as? String })
    }
}

func runChromium(_ arguments: [String], dir: TempDir) throws -> (status: Int32, output: String) {
    let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let binary else { throw LocalClusterError("chromium is not installed (`make deps` installs it)") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   "--user-data-dir=\(dir.file("chromium-profile"))", "--window-size=1200,800"] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    killer.cancel()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct DashboardTests {
    @Test func theDashboardShowsEveryMemberOfARunningMesh() async throws {
        let trio = try MeshTrio()
        #expect(await eventually(seconds: 10) { await trio.aliveMembers() == ["host1", "host2", "host3"] })
        let url = "http://127.0.0.1:\(trio.adminPort)/ui"
        // The rendered DOM, after the page's script fetched /v1/mesh.
        let dom = try runChromium(["--virtual-time-budget=5000", "--dump-dom", url], dir: trio.dir)
        #expect(dom.status == 0)
        for name in ["host1", "host2", "host3"] {
            #expect(dom.output.contains("<td>\(name)"), "member \(name) missing from the rendered page")
        }
        #expect(dom.output.contains("class=\"l alive\">alive</td>"))
        #expect(dom.output.contains("id=\"sub\">view of host1"), "the page did not render the mesh view")
        // And a screenshot of it (kept next to the test log when SESSIONMESH_UI_SCREENSHOT is set).
        let png = ProcessInfo.processInfo.environment["SESSIONMESH_UI_SCREENSHOT"] ?? trio.dir.file("ui.png")
        let shot = try runChromium(["--virtual-time-budget=5000", "--screenshot=\(png)", url], dir: trio.dir)
        #expect(shot.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 20_000)
        // The page is self-contained: no external scripts, styles or fetches.
        let page = String(decoding: try await trio.client.send(.GET, "/ui").body, as: UTF8.self)
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src="))
    }

    @Test func theDashboardGroupsMembersByZone() async throws {
        let trio = try MeshTrio(zones: ["de", "de", "fr"])
        #expect(await eventually(seconds: 10) { await trio.aliveMembers() == ["host1", "host2", "host3"] })
        let dom = try runChromium(["--virtual-time-budget=5000", "--dump-dom", "http://127.0.0.1:\(trio.adminPort)/ui"], dir: trio.dir)
        #expect(dom.status == 0)
        let out = dom.output
        let de = try #require(out.range(of: "<td colspan=\"11\">zone de · 2 members · weight share "), "\(out)")
        let fr = try #require(out.range(of: "<td colspan=\"11\">zone fr · 1 member · weight share "), "\(out)")
        let rows = ["host1", "host2", "host3"].map { out.range(of: "<td>\($0)")?.lowerBound }
        #expect(rows.allSatisfy { $0 != nil })
        // host1 and host2 under de, host3 under fr.
        #expect(de.upperBound < rows[0]! && rows[0]! < fr.lowerBound && rows[1]! < fr.lowerBound && fr.upperBound < rows[2]!)
    }

    @Test func metricsCoverRequestsStoreGossipAndRouting() async throws {
        let trio = try MeshTrio()
        #expect(await eventually(seconds: 10) { await trio.aliveMembers().count == 3 })
        struct Data: Codable, Sendable { var n: Int }
        let s = try await trio.client.create(Data(n: 1))
        let _: Session<Data> = try await trio.client.get(s.id)
        _ = try await trio.client.route(policy: "mesh")
        _ = try await trio.client.route(policy: "round-robin")
        let text = String(decoding: try await trio.client.send(.GET, "/metrics").body, as: UTF8.self)
        let families = [
            "sessionmesh_http_requests_total", "sessionmesh_http_request_duration_seconds", "sessionmesh_http_requests_in_flight",
            "sessionmesh_store_operations_total", "sessionmesh_store_operation_duration_seconds", "sessionmesh_store_failovers_total",
            "sessionmesh_store_read_repairs_total", "sessionmesh_store_read_batches_total", "sessionmesh_gossip_members", "sessionmesh_gossip_probes_total",
            "sessionmesh_gossip_suspicions_total", "sessionmesh_gossip_bytes_sent_total", "sessionmesh_routing_picks_total",
        ]
        for family in families {
            #expect(text.contains("# TYPE \(family) "), "missing metric family \(family)")
        }
        #expect(text.contains(#"sessionmesh_gossip_members{state="alive"} 3"#))
        #expect(text.contains(#"sessionmesh_routing_picks_total{policy="round-robin""#))
        // The read made above went out in a coalesced batch: at least one batch, never more than loads.
        func value(_ prefix: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix(prefix + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
        }
        let batches = try #require(value("sessionmesh_store_read_batches_total"))
        let loads = try #require(value(#"sessionmesh_store_operations_total{op="load"}"#))
        #expect(batches >= 1 && batches <= loads, "\(batches) batches for \(loads) loads")
    }
}
