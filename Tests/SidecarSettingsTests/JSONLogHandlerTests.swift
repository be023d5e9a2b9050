import Foundation
import Logging
import SidecarSettings
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        func write(_ line: String) { all.withLock { $0.append(line) } }
    }

    @Test func eachLineIsOneJSONObjectWithTheCallsMetadata() throws {
        let lines = Lines()
        var logger = Logger(label: "sessionmesh.test") { label in
            var handler = JSONLogHandler(label: label) { lines.write($0) }
            handler.logLevel = .debug
            return handler
        }
        logger[metadataKey: "node"] = "a"
        logger.trace("not written")
        logger.info("quote \" backslash \\ newline \n tab \t bell \u{7} done", metadata: [
            "node": "b", "peers": ["x", "y"], "load": ["cpu": "0.5"], "count": .stringConvertible(3),
        ])
        logger.warning("second")
        let written = lines.all.withLock { $0 }
        #expect(written.count == 2 && written.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info" && first["label"] as? String == "sessionmesh.test")
        #expect(first["message"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7} done")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["node"] as? String == "b")  // the call's own metadata wins
        #expect(metadata["peers"] as? [String] == ["x", "y"] && (metadata["load"] as? [String: String]) == ["cpu": "0.5"])
        #expect(metadata["count"] as? String == "3")
        let timestamp = try #require(first["timestamp"] as? String)
        let parsed = try Date(timestamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSinceNow) < 60 && timestamp.hasSuffix("Z"))
        let second = try #require(try JSONSerialization.jsonObject(with: Data(written[1].utf8)) as? [String: Any])
        #expect(second["level"] as? String == "warning" && (second["metadata"] as? [String: String]) == ["node": "a"])
    }

    @Test func theLogFormatSettingPicksTheHandler() throws {
        let json = try SidecarConfig(file: nil, environment: ["SESSIONMESH_LOG_FORMAT": "json"], arguments: [
            "--keyring", "/k", "--replicas", "1", "--log-level", "notice",
        ])
        #expect(json.logHandler(label: "x") is JSONLogHandler && json.logHandler(label: "x").logLevel == .notice)
        #expect(SidecarConfig().logHandler(label: "x") is LazyMetadataLogHandler)
    }
}
