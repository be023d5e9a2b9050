import Routing
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

@Suite struct ProcFileAndSummaryTests {
    @Test func procStatIsReadWithoutFoundation() throws {
        let text = try #require(ProcFile.read("/proc/stat"))
        #expect(text.hasPrefix("cpu "))
        #expect(CPUUsage(procStat: text) != nil)
        #expect(ProcFile.read("/proc/no-such-file") == nil)
    }

    @Test func loadSummaryPrintsOneDecimalLikePrintf() {
        #expect(LoadSummary.oneDecimal(0) == "0.0")
        #expect(LoadSummary.oneDecimal(1.04) == "1.0")
        #expect(LoadSummary.oneDecimal(12.36) == "12.4")
        #expect(LoadSummary.oneDecimal(250) == "250.0")
        #expect(LoadSummary.oneDecimal(.nan) == "0.0")
        #expect(LoadSummary.oneDecimal(-3) == "0.0")
        let load = HostLoad(inFlight: 3, latencyMs: 1.24, sessions: 40, utilization: 0.12, errorRate: 0, requestRate: 5, timestamp: 0)
        #expect(LoadSummary.text(load) == "if=3 lat=1.2ms s=40 cpu=12% err=0%")
    }
}
