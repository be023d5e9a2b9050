import Foundation
import Logging
import ServiceLifecycle
import Testing
import TestSupport
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

/// The agent-check responder over a real loopback socket: an `agent-send "zone=NAME\n"` line
/// reaches the reply function, and a balancer that sends nothing still gets a (zone-blind) line.
struct AgentCheckServerTests {
    @Test(.timeLimit(.minutes(1))) func zoneLineFromTheBalancerReachesTheReply() async throws {
        var logger = Logger(label: "test.agent")
        logger.logLevel = .error
        let port = freeLoopbackPort()
        let server = AgentCheckServer(host: "127.0.0.1", port: port, logger: logger) { zone in
            zone.map { "up 42%#zone \($0)" } ?? "up 100%"
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let running = Task { try await group.run() }
        // Wait (bounded) until it listens.
        var first: [UInt8]?
        for _ in 0..<100 {
            first = loopbackExchange(port, Array("zone=de\n".utf8), until: "\n")
            if first != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "up 42%#zone de\n")
        let blind = loopbackExchange(port, [], until: "\n")
        #expect(blind.map { String(decoding: $0, as: UTF8.self) } == "up 100%\n")
        let junk = loopbackExchange(port, Array("hello\n".utf8), until: "\n")
        #expect(junk.map { String(decoding: $0, as: UTF8.self) } == "up 100%\n")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
