import Foundation
import SessionMeshClient
import Synchronization

/// The demo's payment app: each virtual user logs in, rotates its session id (anti-fixation),
/// fills a cart, pays and logs out, hopping to a different sidecar on every step, as a load
/// balancer would send it. Every step checks the session holds exactly what was acknowledged.
struct PaymentFlow: Sendable {
    struct CartData: Codable, Sendable, Equatable {
        var user: String
        var items: [String]
        var paid: Bool
    }

    let clients: [SessionMeshClient]
    let stats: DemoStats

    /// Runs flows for one user until `deadline`.
    func runUser(_ user: Int, until deadline: ContinuousClock.Instant) async {
        var hop = user
        var flow = 0
        while ContinuousClock.now < deadline {
            flow += 1
            do {
                try await onePayment(user: "user-\(user)-\(flow)", hop: &hop)
                stats.flowsCompleted.add(1, ordering: .relaxed)
            } catch is CancellationError {
                return
            } catch {
                stats.note("flow failed: \(error)")
            }
        }
    }

    private func onePayment(user: String, hop: inout Int) async throws {
        // login + anti-fixation rotation
        let login = try await retrying(&hop) { c in try await c.create(CartData(user: user, items: [], paid: false)) }
        stats.sessionsCreated.add(1, ordering: .relaxed)
        stats.sessionsAlive.add(1, ordering: .relaxed)
        defer { stats.sessionsAlive.subtract(1, ordering: .relaxed) }
        // If a rotate's answer is lost in a failover, the new id is unknown and the old one is
        // dead by design: the user logs in again (the flow is aborted, nothing is lost).
        let session: Session<CartData> = try await retrying(&hop) { c in try await c.rotate(login.id) }
        var expected = CartData(user: user, items: [], paid: false)
        // cart: three items, each on the next host, CAS read-modify-write (idempotent on retry)
        for n in 1...3 {
            let sku = "sku-\(n)"
            _ = try await retrying(&hop) { c in
                try await c.update(session.id, as: CartData.self) { (cart: CartData) -> [String: [String]] in
                    ["items": cart.items.contains(sku) ? cart.items : cart.items + [sku]]
                }
            }
            expected.items.append(sku)
            try await verify(session.id, expected, &hop)
        }
        // pay
        _ = try await retrying(&hop) { c in try await c.patch(session.id, ["paid": true], as: CartData.self) }
        expected.paid = true
        try await verify(session.id, expected, &hop)
        // logout: must stay logged out everywhere
        try await retrying(&hop) { c in
            do { try await c.delete(session.id) } catch SessionMeshError.notFound {}
        }
        for _ in 0..<2 {
            let c = next(&hop)
            do {
                let _: Session<CartData> = try await c.get(session.id)
                stats.lost.add(1, ordering: .relaxed)
                stats.note("LOST: logged-out session \(session.id.prefix(8))… came back")
            } catch SessionMeshError.notFound {
            } catch {
                stats.requestsFailed.add(1, ordering: .relaxed)
            }
        }
    }

    private func verify(_ id: String, _ expected: CartData, _ hop: inout Int) async throws {
        do {
            let got: Session<CartData> = try await retrying(&hop) { c in try await c.get(id) }
            if got.data != expected {
                stats.lost.add(1, ordering: .relaxed)
                stats.note("LOST: session \(id.prefix(8))… has \(got.data.items), expected \(expected.items)")
            }
        } catch SessionMeshError.notFound {
            stats.lost.add(1, ordering: .relaxed)
            stats.note("LOST: session \(id.prefix(8))… disappeared")
            throw SessionMeshError.notFound
        }
    }

    private func next(_ hop: inout Int) -> SessionMeshClient {
        hop += 1
        return clients[hop % clients.count]
    }

    /// Sends the step to the next sidecar; on a dead sidecar or a 503 the step moves to the next
    /// one, like a load balancer's retry. Those attempts count as failed requests.
    private func retrying<T>(_ hop: inout Int, _ step: (SessionMeshClient) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            let client = next(&hop)
            stats.requests.add(1, ordering: .relaxed)
            do {
                return try await step(client)
            } catch let error as SessionMeshError {
                switch error {
                case .transport, .timeout, .unavailable:
                    stats.requestsFailed.add(1, ordering: .relaxed)
                    attempt += 1
                    if attempt > 20 { throw error }
                    try await Task.sleep(for: .milliseconds(50 * min(attempt, 4)))
                default:
                    throw error
                }
            }
        }
    }
}

/// Counters the demo prints.
final class DemoStats: Sendable {
    let sessionsCreated = Atomic<Int>(0)
    let sessionsAlive = Atomic<Int>(0)
    let flowsCompleted = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let requestsFailed = Atomic<Int>(0)
    let lost = Atomic<Int>(0)
    private let notes = Mutex<[String]>([])

    func note(_ s: String) { notes.withLock { if $0.count < 1000 { $0.append(s) } } }
    func drainNotes() -> [String] { notes.withLock { n in defer { n.removeAll() }; return n } }
}
