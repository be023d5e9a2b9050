import Hummingbird
import NIOCore

/// `/healthz` (the process answers), `/readyz` (it can serve: store quorum, mesh joined) and `/metrics`.
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
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metricsText())))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
