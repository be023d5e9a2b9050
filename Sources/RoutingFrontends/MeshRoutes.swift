import LoadSampling
import MeshMembers
import MeshRouting
import Foundation
import Hummingbird
import Metrics
import NIOCore
import Routing
import SessionCore
import SidecarAPI
import Synchronization

/// The mesh calls of brief §3 and §6:
///
/// - `GET /v1/mesh`: members, status, load, weights, Tᵢ and Sᵢ, the means T̄ and S̄ and the
///   imbalance (`MeshReport`);
/// - `GET /v1/route?policy=P&key=K&affinity=true|false`: the chosen member, its app address,
///   its weight and the policy used (`RouteDecision`). `policy` defaults to `mesh`; `affinity`
///   defaults to true when a key is given. 400 for an unknown policy (the message lists the
///   valid ones), 503 with `Retry-After` when no member is routable;
/// - `POST /v1/load` (`application/json`,
///   `{"inFlight":N,"latencyMs":X,"requestRate":R,"errorRate":E}`): the app pushes its own load
///   sample, which the load monitor publishes instead of the sidecar's own while it is fresh.
///   204 on success; 415 for another media type, 400 for a body that is not a JSON object,
///   413 beyond `maxBodyBytes`, 422 for a missing, unknown, mistyped or out-of-range field.
///
/// Errors use SidecarAPI's `APIError` (the one `{"error":{"code","message"}}` shape).
public struct MeshRoutes<Context: RequestContext>: Sendable {
    let engine: RoutingEngine
    let recordAppLoad: @Sendable (AppLoad) -> Void
    let maxBodyBytes: Int

    public init(engine: RoutingEngine, maxBodyBytes: Int = 16 * 1024, recordAppLoad: @escaping @Sendable (AppLoad) -> Void) {
        self.engine = engine
        self.maxBodyBytes = maxBodyBytes
        self.recordAppLoad = recordAppLoad
    }

    public init(engine: RoutingEngine, monitor: LoadMonitor, maxBodyBytes: Int = 16 * 1024) {
        self.init(engine: engine, maxBodyBytes: maxBodyBytes, recordAppLoad: { monitor.recordAppLoad($0) })
    }

    public func register(on router: Router<Context>) {
        router.get("v1/mesh") { _, _ in try MeshAPI.json(engine.meshReport()) }
        router.get("v1/route") { request, _ in
            let query = request.uri.queryParameters
            let q = MeshAPI.RouteQuery(policy: query["policy"].map(String.init), key: query["key"].map(String.init),
                               affinity: query["affinity"].map(String.init))
            return try MeshAPI.json(try MeshAPI.route(q, engine: engine))
        }
        router.post("v1/load") { request, _ in
            try MeshAPI.requireJSON(request)
            let bytes: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: maxBodyBytes)
                bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch is NIOTooManyBytesError {
                throw APIError(.contentTooLarge, "payload_too_large", "body exceeds \(maxBodyBytes) bytes")
            }
            recordAppLoad(try MeshAPI.parseAppLoad(bytes))
            return Response(status: .noContent)
        }
    }

}

/// The mesh calls' logic, independent of the request context (tested directly).
public enum MeshAPI {
    public struct RouteQuery: Sendable, Equatable {
        public var policy: String?
        public var key: String?
        public var affinity: String?
        public init(policy: String? = nil, key: String? = nil, affinity: String? = nil) {
            self.policy = policy
            self.key = key
            self.affinity = affinity
        }
    }

    /// The policy used when `/v1/route` names none.
    public static var defaultPolicy: RoutingPolicyKind { .meshWeighted }

    /// Parses the query and routes; throws the API's 400 or 503.
    public static func route(_ query: RouteQuery, engine: RoutingEngine) throws(APIError) -> RouteDecision {
        let policy: RoutingPolicyKind
        if let text = query.policy, !text.isEmpty {
            guard let kind = RoutingPolicyKind(parsing: text) else {
                let valid = RoutingPolicyKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError(.badRequest, "unknown_policy", "unknown policy '\(text)'; valid policies: \(valid)")
            }
            policy = kind
        } else {
            policy = defaultPolicy
        }
        let key = query.key.flatMap { $0.isEmpty ? nil : $0 }
        if let key, key.utf8.count > 1024 {
            throw APIError(.badRequest, "bad_request", "key must be at most 1024 bytes")
        }
        var affinity = key != nil
        if let text = query.affinity {
            switch text.lowercased() {
            case "", "true", "1", "yes", "on": affinity = true
            case "false", "0", "no", "off": affinity = false
            default: throw APIError(.badRequest, "bad_request", "affinity must be true or false, got '\(text)'")
            }
        }
        guard let decision = engine.route(policy: policy, key: key, affinity: affinity) else {
            throw APIError(.serviceUnavailable, "no_routable_peer", "no mesh member can take traffic now",
                           headers: [.retryAfter: "1"])
        }
        Counter(label: "sessionmesh_routing_picks_total",
                dimensions: [("policy", decision.policy), ("peer", routingPeerLabels.label(decision.node)), ("reason", decision.reason)]).increment()
        return decision
    }

    /// Upper bounds that only a broken sender exceeds.
    static let maxInFlight: Int64 = 10_000_000
    static let maxLatencyMs = 3_600_000.0
    static let maxRequestRate = 1e9

    /// Validates a `POST /v1/load` body strictly: a JSON object with the four required fields and an
/// optional `utilization` (0…1).
    public static func parseAppLoad(_ bytes: [UInt8]) throws(APIError) -> AppLoad {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw APIError(.badRequest, "bad_request", "body is not valid JSON")
        }
        guard case .object(let members) = value else {
            throw APIError(.badRequest, "bad_request", "body must be a JSON object")
        }
        let known = ["inFlight", "latencyMs", "requestRate", "errorRate", "utilization"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw unprocessable("unknown field '\(unknown)'; expected \(known.joined(separator: ", "))")
        }
        guard let raw = members["inFlight"] else { throw unprocessable("inFlight is required") }
        guard let inFlight = raw.integer else { throw unprocessable("inFlight must be an integer") }
        guard (0...maxInFlight).contains(inFlight) else { throw unprocessable("inFlight must be between 0 and \(maxInFlight)") }
        let latencyMs = try number(members, "latencyMs", 0...maxLatencyMs)
        let requestRate = try number(members, "requestRate", 0...maxRequestRate)
        let errorRate = try number(members, "errorRate", 0...1)
        let utilization = members["utilization"] == nil ? nil : try number(members, "utilization", 0...1)
        return AppLoad(inFlight: Int(inFlight), latencyMs: latencyMs, requestRate: requestRate, errorRate: errorRate,
                       utilization: utilization)
    }

    private static func number(_ members: [String: JSONValue], _ name: String, _ range: ClosedRange<Double>) throws(APIError) -> Double {
        let v: Double
        switch members[name] {
        case nil: throw unprocessable("\(name) is required")
        case .int(let i)?: v = Double(i)
        case .double(let d)?: v = d
        default: throw unprocessable("\(name) must be a number")
        }
        guard v.isFinite, range.contains(v) else {
            throw unprocessable("\(name) must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))")
        }
        return v
    }

    private static func format(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    private static func unprocessable(_ message: String) -> APIError {
        APIError(.unprocessableContent, "unprocessable", message)
    }

    static func requireJSON(_ request: Request) throws(APIError) {
        let value = request.headers[.contentType] ?? ""
        let mediaType = value.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json, got '\(value)'")
        }
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Bounds the `peer` label of the routing metrics: the first `limit` peer names get their own
/// series, later ones share `other` (names come from gossip; a label per forged name would grow
/// the metrics without bound).
let routingPeerLabels = PeerLabels(limit: 256)

final class PeerLabels: Sendable {
    private let seen = Mutex(Set<String>())
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func label(_ peer: String) -> String {
        seen.withLock { names in
            if names.contains(peer) { return peer }
            guard names.count < limit else { return "other" }
            names.insert(peer)
            return peer
        }
    }
}
