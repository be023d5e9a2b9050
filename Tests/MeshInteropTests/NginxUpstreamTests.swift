import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct NginxUpstreamTests {
    /// A sidecar renders the mesh weights as an nginx upstream block that real nginx accepts.
    @Test func theRenderedUpstreamFilePassesNginxConfigTest() async throws {
        let dir = TempDir("nginx")
        let memcached = try MemcachedServer(dir: dir)
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let upstream = dir.file("sessionmesh-upstream.conf")
        let first = try MeshSidecar(dir: dir, name: "host1", memcached: memcached, keyring: keyring,
                                    extraFlags: ["--nginx-upstream-file", upstream])
        // Kept in a variable: a discarded MeshSidecar is deinitialized at once, which kills host2,
        // and then host1 lists it only if its join won the race with that kill.
        let second = try MeshSidecar(dir: dir, name: "host2", memcached: memcached, keyring: keyring, join: ["127.0.0.1:\(first.gossipPort)"])
        // Bounded generously: on a loaded 2-core CI machine the join and first render can take seconds.
        #expect(waitUntil(seconds: 30) {
            ((try? String(contentsOfFile: upstream, encoding: .utf8)) ?? "").components(separatedBy: "server ").count == 3
        })
        let text = try String(contentsOfFile: upstream, encoding: .utf8)
        #expect(text.hasPrefix("upstream sessionmesh_apps {"))
        #expect(text.contains("# host1") && text.contains("# host2") && text.contains("weight="))
        #expect((try FileManager.default.attributesOfItem(atPath: upstream)[.posixPermissions] as? Int) == 0o644)

        // The shipped example config, pointed at this file, passes `nginx -t`.
        let example = try String(contentsOfFile: "Examples/nginx/nginx.conf", encoding: .utf8)
            .replacingOccurrences(of: "/etc/nginx/sessionmesh-upstream.conf", with: upstream)
            .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(freeLoopbackPort());")
        let conf = dir.file("nginx.conf")
        try (example + "\npid \(dir.file("nginx.pid"));\nerror_log \(dir.file("error.log"));\n").write(toFile: conf, atomically: true, encoding: .utf8)
        let nginx = try ManagedProcess("/usr/sbin/nginx", ["-t", "-q", "-c", conf, "-p", dir.path, "-e", dir.file("error.log")],
                                       logPath: dir.file("nginx-t.log"))
        nginx.process.waitUntilExit()
        #expect(nginx.process.terminationStatus == 0, "\(nginx.log)")
        withExtendedLifetime(second) {}
    }
}
