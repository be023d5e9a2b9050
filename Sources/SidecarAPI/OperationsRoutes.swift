import Hummingbird
import NIOCore

/// `/healthz` (the process answers), `/readyz` (it can serve: store quorum, mesh joined), `/metrics`
/// and the `/ui` dashboard.
public struct OperationsRoutes<Context: RequestContext>: Sendable {
    /// Returns nil when ready, or the reason it is not.
    let notReadyReason: @Sendable () -> String?
    let metricsText: @Sendable () -> [UInt8]

    public init(notReadyReason: @escaping @Sendable () -> String?, metricsText: @escaping @Sendable () -> [UInt8]) {
        self.notReadyReason = notReadyReason
        self.metricsText = metricsText
    }

    public func register(on router: Router<Context>) {
        router.get("healthz") { _, _ in Self.json(.ok, #"{"status":"ok"}"#) }
        router.get("readyz") { _, _ in
            if let reason = notReadyReason() {
                throw APIError(.serviceUnavailable, "not_ready", reason, headers: [.retryAfter: "1"])
            }
            return Self.json(.ok, #"{"status":"ready"}"#)
        }
        router.get("ui") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                            .contentSecurityPolicy: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"],
                     body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("openapi.json") { _, _ in Self.json(.ok, OpenAPIDocument.json) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metricsText())))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        json(status, Array(text.utf8))
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
