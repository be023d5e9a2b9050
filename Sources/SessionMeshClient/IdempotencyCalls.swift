import Foundation

/// What reserving an idempotency key returned.
public enum IdempotencyReservation: Sendable, Equatable {
    /// This caller holds the key: run the request, then `complete` with this fence.
    case started(fence: UInt64)
    /// The request already ran: replay its stored response.
    case completed(StoredResponse)
}

/// A response stored under an idempotency key, replayed byte for byte.
public struct StoredResponse: Codable, Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: String

    public init(status: Int, headers: [String: String] = [:], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension SessionMeshClient {
    /// Reserves `key` for a request whose parameters hash to `fingerprint`. Another caller's live
    /// lease is `.http(status: 409, code: "idempotency_in_progress")`; another fingerprint is 422.
    public func reserve(idempotencyKey key: String, fingerprint: String, leaseSeconds: Int = 30) async throws -> IdempotencyReservation {
        let body = try JSONEncoder().encode(ReserveBody(fingerprint: fingerprint, leaseSeconds: leaseSeconds))
        let response = try await send(.POST, "/v1/idempotency/\(key)", headers: [("Content-Type", "application/json")], body: Array(body))
        do {
            switch response.status {
            case 201: return .started(fence: try JSONDecoder().decode(Started.self, from: Data(response.body)).fence)
            case 200: return .completed(try JSONDecoder().decode(Completed.self, from: Data(response.body)).response)
            default: throw Self.error(from: response)
            }
        } catch let error as DecodingError {
            throw SessionMeshError.badResponse("cannot decode the reservation: \(error)")
        }
    }

    /// Stores the response of the request that holds `fence`. A stale fence (the key was taken
    /// over) is `.http(status: 409, code: "stale_fence")`.
    public func complete(idempotencyKey key: String, fence: UInt64, response stored: StoredResponse) async throws {
        let body = try JSONEncoder().encode(CompleteBody(fence: fence, status: stored.status, headers: stored.headers, body: stored.body))
        let response = try await send(.PUT, "/v1/idempotency/\(key)", headers: [("Content-Type", "application/json")], body: Array(body))
        guard response.status == 204 || response.status == 200 else { throw Self.error(from: response) }
    }

    private struct ReserveBody: Encodable { var fingerprint: String; var leaseSeconds: Int }
    private struct CompleteBody: Encodable { var fence: UInt64; var status: Int; var headers: [String: String]; var body: String }
    private struct Started: Decodable { var fence: UInt64 }
    private struct Completed: Decodable { var response: StoredResponse }
}
