import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Routing
import SidecarAPI
import Testing
@testable import LoadSampling
@testable import MeshMembers
@testable import MeshRouting
@testable import RoutingFrontends
@testable import SidecarService

@Suite struct MeshRoutesTests {
    struct ErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }

    /// The sidecar's router as `Sidecar.run` builds it (error middleware + the mesh routes).
    static func app(_ dir: FakeDirectory, monitor: LoadMonitor? = nil, maxBodyBytes: Int = 1024) -> some ApplicationProtocol {
        let clock = ManualClock(ms: Fixture.nowMs)
        let monitor = monitor ?? LoadMonitor(counters: LoadCounters(), activity: SessionActivity(), wallClockMs: { clock.nowMs })
        let engine = Fixture.engine("a", dir)
        let router = Router()
        router.add(middleware: ErrorMiddleware(maxBodyBytes: maxBodyBytes))
        MeshRoutes(engine: engine, monitor: monitor, maxBodyBytes: maxBodyBytes).register(on: router)
        return Application(router: router)
    }

    static func threeMembers() -> FakeDirectory {
        FakeDirectory([
            Fixture.member("a", load: Fixture.load(rate: 300, latencyMs: 10, sessions: 5), app: "10.1.0.1:8080", local: true),
            Fixture.member("b", load: Fixture.load(rate: 100, latencyMs: 20, sessions: 10), app: "10.1.0.2:8080"),
            Fixture.member("c", .left),
        ])
    }

    static func error(_ response: TestResponse) throws -> ErrorBody {
        #expect(response.headers[.contentType] == "application/json")
        return try JSONDecoder().decode(ErrorBody.self, from: Data(response.body.readableBytesView))
    }

    @Test func meshReturnsTheReport() async throws {
        try await Self.app(Self.threeMembers()).test(.router) { client in
            try await client.execute(uri: "/v1/mesh", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let report = try JSONDecoder().decode(MeshReport.self, from: Data(response.body.readableBytesView))
                #expect(report.members.map(\.name) == ["a", "b", "c"])
                #expect(abs(report.meanResponseTimeMs - 15) < 1e-9 && report.meanSessions == 7.5)
                #expect(abs(report.members[0].weight - 1.5) < 1e-12 && report.members[2].state == "excluded")
                #expect(report.members[1].appAddress == "10.1.0.2:8080")
            }
        }
    }

    @Test func routeReturnsTheDecision() async throws {
        try await Self.app(Self.threeMembers()).test(.router) { client in
            try await client.execute(uri: "/v1/route?policy=rr", method: .get) { response in
                #expect(response.status == .ok)
                let d = try JSONDecoder().decode(RouteDecision.self, from: Data(response.body.readableBytesView))
                #expect(d.policy == "round-robin" && d.reason == "policy" && ["a", "b"].contains(d.node))
                #expect(d.appAddress == (d.node == "a" ? "10.1.0.1:8080" : "10.1.0.2:8080"))
            }
            // Default policy is the mesh one; a key turns affinity on.
            let first = try await client.execute(uri: "/v1/route?key=session-1", method: .get) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(RouteDecision.self, from: Data(response.body.readableBytesView))
            }
            #expect(first.policy == "mesh" && first.reason == "affinity")
            for _ in 0..<5 {
                try await client.execute(uri: "/v1/route?key=session-1&policy=least-connections", method: .get) { response in
                    let d = try JSONDecoder().decode(RouteDecision.self, from: Data(response.body.readableBytesView))
                    #expect(d.node == first.node && d.reason == "affinity" && d.policy == "least-connections")
                }
            }
            try await client.execute(uri: "/v1/route?key=session-1&affinity=false&policy=p2c", method: .get) { response in
                let d = try JSONDecoder().decode(RouteDecision.self, from: Data(response.body.readableBytesView))
                #expect(d.reason == "policy" && d.policy == "p2c")
            }
        }
    }

    @Test func routeRejectsUnknownPolicyAndBadAffinity() async throws {
        try await Self.app(Self.threeMembers()).test(.router) { client in
            try await client.execute(uri: "/v1/route?policy=fastest", method: .get) { response in
                #expect(response.status == .badRequest)
                let e = try Self.error(response)
                #expect(e.error.code == "unknown_policy")
                for kind in RoutingPolicyKind.allCases { #expect(e.error.message.contains(kind.rawValue)) }
            }
            try await client.execute(uri: "/v1/route?affinity=maybe", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = try Self.error(response)
                #expect(body.error.code == "bad_request")
            }
        }
        // The same logic, directly.
        let engine = Fixture.engine("a", Self.threeMembers())
        #expect(throws: APIError.self) { try MeshAPI.route(.init(policy: "nope"), engine: engine) }
        #expect(try MeshAPI.route(.init(policy: "LEAST_CONN"), engine: engine).policy == "least-connections")
    }

    @Test func routeIs503WithRetryAfterWhenNothingIsRoutable() async throws {
        let dir = FakeDirectory([Fixture.member("a", load: Fixture.load(draining: true)), Fixture.member("b", .dead)])
        try await Self.app(dir).test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let body = try Self.error(response)
                #expect(body.error.code == "no_routable_peer")
            }
        }
    }

    @Test func postLoadRecordsTheAppSample() async throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let monitor = LoadMonitor(counters: LoadCounters(), activity: SessionActivity(), wallClockMs: { clock.nowMs })
        monitor.sample()
        try await Self.app(Self.threeMembers(), monitor: monitor).test(.router) { client in
            let body = ByteBuffer(string: #"{"inFlight":12,"latencyMs":33.5,"requestRate":250,"errorRate":0.01}"#)
            try await client.execute(uri: "/v1/load", method: .post, headers: [.contentType: "application/json; charset=utf-8"], body: body) { response in
                #expect(response.status == .noContent)
            }
        }
        #expect(monitor.appLoad == AppLoad(inFlight: 12, latencyMs: 33.5, requestRate: 250, errorRate: 0.01))
        #expect(monitor.latest.inFlight == 12 && monitor.latest.latencyMs == 33.5)
    }

    @Test(arguments: [
        (#"{"inFlight":1,"latencyMs":2,"requestRate":3,"errorRate":0}"#, "text/plain", 415, "unsupported_media_type"),
        (#"{"inFlight":1,"latencyMs":2,"#, "application/json", 400, "bad_request"),
        (#"[1,2,3]"#, "application/json", 400, "bad_request"),
        (#"{"inFlight":1,"latencyMs":2,"requestRate":3}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1,"latencyMs":2,"requestRate":3,"errorRate":1.5}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":-1,"latencyMs":2,"requestRate":3,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1.5,"latencyMs":2,"requestRate":3,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":"1","latencyMs":2,"requestRate":3,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1,"latencyMs":-2,"requestRate":3,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1,"latencyMs":2,"requestRate":1e300,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1,"latencyMs":2,"requestRate":3,"errorRate":0,"cpu":0.5}"#, "application/json", 422, "unprocessable"),
        (#"{"inFlight":1,"latencyMs":null,"requestRate":3,"errorRate":0}"#, "application/json", 422, "unprocessable"),
        (#"{"pad":""# + String(repeating: "x", count: 2000) + #""}"#, "application/json", 413, "payload_too_large"),
    ])
    func postLoadValidatesStrictly(body: String, contentType: String, status: Int, code: String) async throws {
        let clock = ManualClock(ms: Fixture.nowMs)
        let monitor = LoadMonitor(counters: LoadCounters(), activity: SessionActivity(), wallClockMs: { clock.nowMs })
        try await Self.app(Self.threeMembers(), monitor: monitor).test(.router) { client in
            try await client.execute(uri: "/v1/load", method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status)
                let body = try Self.error(response)
                #expect(body.error.code == code)
            }
        }
        #expect(monitor.appLoad == nil)
    }

    @Test func parseAppLoadAcceptsIntegralNumbersAndBounds() throws {
        let ok = try MeshAPI.parseAppLoad(Array(#"{"inFlight":0,"latencyMs":0,"requestRate":0,"errorRate":1}"#.utf8))
        #expect(ok == AppLoad(inFlight: 0, latencyMs: 0, requestRate: 0, errorRate: 1))
        let d = try MeshAPI.parseAppLoad(Array(#"{"inFlight":4.0,"latencyMs":1.25,"requestRate":7,"errorRate":0.5}"#.utf8))
        #expect(d.inFlight == 4 && d.latencyMs == 1.25 && d.requestRate == 7)
    }
}
