import Foundation
import HTTPServing
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOPosix
import Testing

@Suite struct EventLoopPinnedHTTP1Tests {
    /// A route that reports whether it runs on an event loop, and on the same one after a
    /// suspension resumed from a plain thread (as the store's read and write threads resume it).
    static func app(server: HTTPServerBuilder) -> some ApplicationProtocol {
        let router = Router()
        router.get("where") { _, _ -> String in
            let before = MultiThreadedEventLoopGroup.currentEventLoop
            await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
                Thread { resume.resume() }.start()
            }
            let after = MultiThreadedEventLoopGroup.currentEventLoop
            guard let before else { return "off the event loops" }
            return before === after ? "pinned" : "moved"
        }
        return Application(router: router, server: server)
    }

    @Test func handlersRunOnTheirConnectionsEventLoopAcrossSuspensions() async throws {
        try await Self.app(server: .eventLoopPinnedHTTP1()).test(.live) { client in
            for _ in 0..<5 {
                try await client.execute(uri: "/where", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "pinned")
                }
            }
        }
    }

    /// The control: Hummingbird's own HTTP/1 server runs handlers on the concurrency pool.
    @Test func plainHTTP1RunsHandlersOffTheEventLoops() async throws {
        try await Self.app(server: .http1()).test(.live) { client in
            try await client.execute(uri: "/where", method: .get) { response in
                #expect(String(buffer: response.body) == "off the event loops")
            }
        }
    }
}
