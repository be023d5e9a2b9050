import Foundation
import Testing
import TestSupport

let schemathesis = ["/usr/local/bin/schemathesis", "/usr/bin/schemathesis"].first { FileManager.default.isExecutableFile(atPath: $0) }
    ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/schemathesis" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

/// The checked-in OpenAPI document is what a live sidecar serves, and schemathesis fuzzes every
/// operation in it against that sidecar: no 5xx (the store is up), every status, content type and
/// body as documented.
@Suite(.serialized) struct OpenAPITests {
    @Test(.enabled(if: schemathesis != nil, "schemathesis is not installed (make deps installs it)"))
    func everyDocumentedOperationHoldsUnderSchemathesis() throws {
        let dir = TempDir("openapi")
        let memcached = try (0..<3).map { _ in try MemcachedServer(dir: dir) }
        defer { for m in memcached { m.kill() } }
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        let admin = freeLoopbackPort()
        let sidecar = try SidecarProcess(dir: dir, name: "api", memcached: memcached.map(\.address), keyring: keyring,
                                         extra: ["--admin-bind", "127.0.0.1:\(admin)"])
        defer { sidecar.process.killNow() }
        let fetch = try ManagedProcess("/usr/bin/curl", ["-sS", "-o", dir.file("served.json"), "http://127.0.0.1:\(admin)/openapi.json"],
                                       logPath: dir.file("curl.log"))
        fetch.process.waitUntilExit()
        let served = try Data(contentsOf: URL(fileURLWithPath: dir.file("served.json")))
        let checkedIn = try Data(contentsOf: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/docs/openapi.json"))
        #expect(served == checkedIn, "docs/openapi.json and the served document differ")

        let log = dir.file("schemathesis.log")
        let run = try ManagedProcess(schemathesis!, [
            "run", "http://127.0.0.1:\(admin)/openapi.json",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", "25", "--seed", "20261202",
        ], logPath: log)
        run.process.waitUntilExit()
        let output = run.log
        #expect(run.process.terminationStatus == 0, "\(output)")
        #expect(output.contains(" passed"), "\(output)")
        #expect(!output.contains("failed"), "\(output)")
    }
}
