// A payment app on SessionMeshClient: login (with session id rotation) → cart → pay → logout.
// Every step goes to the next sidecar, as a load balancer spreads one user's requests over
// hosts, and checks that the session holds exactly what the previous steps wrote.
//
//   PaymentApp --socket /run/a/sessionmesh.sock --socket /run/b/sessionmesh.sock
//   PaymentApp --socket a.sock,b.sock,c.sock
//
// Exits 0 after "payment flow OK", non-zero on any mismatch or error.
import ArgumentParser
import SessionMeshClient

/// What the app keeps in the session's `data`.
struct Cart: Codable, Equatable, Sendable {
    var user: String
    var items: [String]
    var paid: Bool
}

struct Mismatch: Error, CustomStringConvertible {
    let description: String
}

/// Round robin over the sidecars.
struct Hosts {
    let clients: [(name: String, client: SessionMeshClient)]
    private var turn = 0

    init(_ sockets: [String]) {
        clients = sockets.enumerated().map { ("host\($0.offset + 1)", SessionMeshClient(socketPath: $0.element)) }
    }

    mutating func next() -> (name: String, client: SessionMeshClient) {
        defer { turn += 1 }
        return clients[turn % clients.count]
    }
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    guard condition else { throw Mismatch(description: "MISMATCH: " + message()) }
}

/// The session must be gone (404) on this sidecar.
func expectGone(_ id: String, on host: (name: String, client: SessionMeshClient)) async throws {
    do {
        let s: Session<Cart> = try await host.client.get(id)
        throw Mismatch(description: "MISMATCH: \(id) is still readable on \(host.name) at version \(s.version)")
    } catch SessionMeshError.notFound {
        print("  \(host.name): \(id.prefix(8))… → 404, as expected")
    }
}

@main
struct PaymentApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Login → cart → pay → logout across SessionMesh sidecars.")

    @Option(name: .customLong("socket"), help: "A sidecar's socket; repeat it or give a comma-separated list.")
    var sockets: [String]

    @Option(help: "The user who logs in.")
    var user = "alice"

    func run() async throws {
        let paths = sockets.flatMap { $0.split(separator: ",").map(String.init) }
        guard !paths.isEmpty else { throw ValidationError("give at least one --socket") }
        var hosts = Hosts(paths)
        var expected = Cart(user: user, items: [], paid: false)

        // 1. Login: create the session, then give it a new id (anti session fixation).
        var host = hosts.next()
        let login = try await host.client.create(expected, idleTimeout: 600)
        print("login    [\(host.name)] session \(login.id) version \(login.version)")
        try check(login.data == expected, "created \(login.data), expected \(expected)")

        host = hosts.next()
        let session: Session<Cart> = try await host.client.rotate(login.id)
        print("rotate   [\(host.name)] new id \(session.id)")
        try check(session.id != login.id && session.data == expected, "rotated to \(session.id) with \(session.data)")
        try await expectGone(login.id, on: hosts.next())
        let id = session.id

        // 2. Cart: read-modify-write with If-Match; `update` re-reads and retries on a 412.
        for sku in ["sku-1", "sku-2"] {
            host = hosts.next()
            let s = try await host.client.update(id, as: Cart.self) { cart in ["items": cart.items + [sku]] }
            expected.items.append(sku)
            print("cart     [\(host.name)] + \(sku) → \(s.data.items) version \(s.version)")
            try check(s.data == expected, "cart is \(s.data), expected \(expected)")
        }
        // Two browser tabs add an item at the same moment through two sidecars: one of them gets
        // a 412, re-reads and retries, so both items land.
        let (tab1, tab2) = (hosts.next(), hosts.next())
        async let a = tab1.client.update(id, as: Cart.self) { cart in ["items": cart.items + ["sku-3"]] }
        async let b = tab2.client.update(id, as: Cart.self) { cart in ["items": cart.items + ["sku-4"]] }
        _ = try await (a, b)
        host = hosts.next()
        let cart: Session<Cart> = try await host.client.get(id)
        print("cart     [\(host.name)] after two concurrent adds: \(cart.data.items) version \(cart.version)")
        try check(cart.data.items.sorted() == ["sku-1", "sku-2", "sku-3", "sku-4"], "cart is \(cart.data.items) after concurrent adds")
        expected.items = cart.data.items

        // 3. Pay: replace the data, conditional on the version the checkout page showed.
        var paid = expected
        paid.paid = true
        host = hosts.next()
        let receipt = try await host.client.replace(id, data: paid, ifMatch: cart.version)
        print("pay      [\(host.name)] paid \(receipt.data.items.count) items, version \(receipt.version)")
        try check(receipt.data == paid && receipt.version > cart.version, "after paying: \(receipt.data) version \(receipt.version)")
        expected = paid
        // The same checkout submitted twice (same If-Match) is refused: no double payment.
        host = hosts.next()
        do {
            _ = try await host.client.replace(id, data: paid, ifMatch: cart.version)
            throw Mismatch(description: "MISMATCH: a second payment with a stale If-Match was accepted")
        } catch SessionMeshError.versionMismatch(let current) {
            print("pay      [\(host.name)] second submit refused with 412, current version \(current.map(String.init) ?? "?")")
            try check(current == receipt.version, "412 names version \(String(describing: current)), expected \(receipt.version)")
        }
        host = hosts.next()
        let after: Session<Cart> = try await host.client.get(id)
        print("verify   [\(host.name)] \(after.data) version \(after.version)")
        try check(after.data == expected && after.version == receipt.version, "session is \(after.data) v\(after.version)")

        // 4. Logout: a tombstone; the session must be gone on every sidecar.
        host = hosts.next()
        try await host.client.delete(id)
        print("logout   [\(host.name)] deleted \(id)")
        for h in hosts.clients { try await expectGone(id, on: h) }

        print("payment flow OK: session \(id) paid and logged out across \(hosts.clients.count) sidecar(s)")
    }
}
