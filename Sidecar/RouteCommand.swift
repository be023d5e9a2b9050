import ArgumentParser
import Foundation
import SessionMeshClient

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Ask the sidecar which member should take a request (GET /v1/route).",
        discussion: """
        Prints the chosen member, its app address, its mesh weight, the policy used and why \
        (affinity: the key's rendezvous owner; policy: the policy chose). Policies: mesh (default), \
        round-robin, random, weighted-random, swrr, least-connections, least-response-time, p2c.
        """
    )

    @Option(help: "Unix socket of the sidecar's API.") var socket: String = "/run/sessionmesh/sessionmesh.sock"
    @Option(help: "Routing policy. Default: mesh.") var policy: String?
    @Option(help: "Affinity key (e.g. a session id): the same key prefers the same member while it is healthy.") var key: String?
    @Flag(help: "Ignore the key's affinity; let the policy choose.") var noAffinity: Bool = false
    @Flag(help: "Print the raw JSON.") var json: Bool = false

    func run() async throws {
        var query: [String] = []
        if let policy { query.append("policy=" + MeshCLI.queryEscape(policy)) }
        if let key { query.append("key=" + MeshCLI.queryEscape(key)) }
        if noAffinity { query.append("affinity=false") }
        let path = "/v1/route" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let body = try await MeshCLI.get(socket: socket, path: path)
        if json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        struct Decision: Decodable {
            var node: String
            var appAddress: String?
            var weight: Double
            var policy: String
            var reason: String
        }
        let d: Decision
        do { d = try JSONDecoder().decode(Decision.self, from: Data(body)) } catch {
            MeshCLI.fail("unexpected /v1/route response: \(error)")
        }
        print("node \(d.node)  app \(d.appAddress ?? "-")  weight \(MeshCLI.number(d.weight, 2))  policy \(d.policy)  reason \(d.reason)")
    }
}
