import Foundation
import Testing
import TestSupport

/// `--log-format json`: the built binary writes every log line as one JSON object.
@Suite struct LogFormatTests {
    @Test func jsonLogLinesFromTheRunningSidecar() throws {
        let dir = TempDir("logformat")
        let keyring = try SidecarProcess.makeKeyring(in: dir)
        // No memcached needed: the sidecar serves (and logs that the node does not answer).
        let p = try ManagedProcess(SidecarProcess.defaultBinary, [
            "run", "--socket", dir.file("s.sock"), "--memcached", "127.0.0.1:1", "--replicas", "1", "--keyring", keyring,
            "--log-format", "json", "--log-level", "info",
        ], logPath: dir.file("log"))
        #expect(waitUntil(seconds: 20) { p.log.contains("sessionmesh ready") || !p.process.isRunning })
        #expect(p.terminate() == 0)
        let lines = p.log.split(separator: "\n")
        #expect(lines.count >= 3, "\(p.log)")
        var messages = [String]()
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["timestamp"] is String && object["level"] is String && object["label"] is String)
            #expect(object["metadata"] is [String: Any])
            messages.append(try #require(object["message"] as? String))
        }
        #expect(messages.contains("sessionmesh ready") && messages.contains("sessionmesh stopped"))
    }
}
