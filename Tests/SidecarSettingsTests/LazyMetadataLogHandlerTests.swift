import Logging
import SidecarSettings
import Synchronization
import Testing

@Suite struct LazyMetadataLogHandlerTests {
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func metadataSetOnTheLoggerAppearsInTheLinesItWrites() {
        let lines = Lines()
        var logger = Logger(label: "test") { label in
            LazyMetadataLogHandler(StreamLogHandler(label: label, stream: lines, metadataProvider: nil))
        }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "42"
        logger[metadataKey: "route"] = "a"
        logger.debug("below the level")
        logger.info("first", metadata: ["route": "b", "extra": "1"])
        logger[metadataKey: "route"] = nil
        logger.warning("second")
        let written = lines.all
        #expect(written.count == 2)
        #expect(written[0].contains("extra=1 hb.request.id=42 route=b [") && written[0].hasSuffix("first\n"))
        #expect(written[1].contains(" warning test: hb.request.id=42 [") && written[1].hasSuffix("second\n"))
        #expect(logger[metadataKey: "hb.request.id"] == "42" && logger.logLevel == .info)
    }
}
