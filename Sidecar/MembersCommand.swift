import ArgumentParser
import Foundation
import SessionMeshClient

struct MembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List the mesh members with their weights and load (GET /v1/mesh).",
        discussion: """
        Columns: name (* = this sidecar), gossip address, status, incarnation, mesh weight (mean 1 over \
        routable members), Tᵢ (response-time EWMA, ms), Sᵢ (sessions), age of the load report, the app \
        address. The last line has the mesh means T̄ and S̄ and the imbalance (max/mean).
        """
    )

    @Option(help: "Unix socket of the sidecar's API.") var socket: String = "/run/sessionmesh/sessionmesh.sock"
    @Flag(help: "Print the raw JSON instead of a table.") var json: Bool = false

    func run() async throws {
        let body = try await MeshCLI.get(socket: socket, path: "/v1/mesh")
        if json {
            print(String(decoding: body, as: UTF8.self))
            return
        }
        let report: MeshCLI.Mesh
        do { report = try JSONDecoder().decode(MeshCLI.Mesh.self, from: Data(body)) } catch {
            MeshCLI.fail("unexpected /v1/mesh response: \(error)")
        }
        print(MeshCLI.render(report), terminator: "")
    }
}

/// What `members` and `route` share: the socket call, error reporting and the table layout.
enum MeshCLI {
    struct Mesh: Decodable {
        struct Member: Decodable {
            var name: String
            var address: String
            var status: String
            var incarnation: UInt32
            var isLocal: Bool?
            var appAddress: String?
            var loadAge: Double?
            var weight: Double
            var responseTimeMs: Double?
            var sessions: Double?
            var state: String
        }
        struct Imbalance: Decodable {
            var responseTime: Double
            var sessions: Double
            var utilization: Double
        }
        var members: [Member]
        var meanResponseTimeMs: Double
        var responseTimeCount: Int
        var meanSessions: Double
        var sessionsCount: Int
        var imbalance: Imbalance
    }

    struct APIErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }

    /// GET `path` on the sidecar's socket; prints the API error and exits 1 on a non-200.
    static func get(socket: String, path: String) async throws -> [UInt8] {
        let client = SessionMeshClient(socketPath: socket)
        let response: SidecarHTTPResponse
        do {
            response = try await client.send(.GET, path)
        } catch {
            fail("cannot reach the sidecar at \(socket): \(error)")
        }
        guard response.status == 200 else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body)) {
                var text = "error \(response.status) \(e.error.code): \(e.error.message)"
                if let retry = response.header("Retry-After") { text += " (retry after \(retry) s)" }
                fail(text)
            }
            fail("error \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return response.body
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }

    static func number(_ x: Double?, _ decimals: Int) -> String {
        guard let x else { return "-" }
        return String(format: "%.\(decimals)f", x)
    }

    /// The members table plus the means line.
    static func render(_ report: Mesh) -> String {
        let header = ["NAME", "ADDRESS", "STATUS", "INC", "WEIGHT", "Tᵢ MS", "Sᵢ", "LOAD AGE", "APP", "STATE"]
        var rows = [header]
        for m in report.members {
            rows.append([
                m.name + (m.isLocal == true ? " *" : ""),
                m.address.isEmpty ? "-" : m.address,
                m.status,
                String(m.incarnation),
                number(m.weight, 2),
                number(m.responseTimeMs, 1),
                m.sessions.map { number($0, 0) } ?? "-",
                m.loadAge.map { number($0, 1) + "s" } ?? "-",
                m.appAddress ?? "-",
                m.state,
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            out += cells.joined(separator: "  ") + "\n"
        }
        out += "T̄ = \(number(report.meanResponseTimeMs, 1)) ms (N=\(report.responseTimeCount))"
            + "  S̄ = \(number(report.meanSessions, 1)) (M=\(report.sessionsCount))"
            + "  imbalance max/mean: T \(number(report.imbalance.responseTime, 2))"
            + "  S \(number(report.imbalance.sessions, 2))"
            + "  util \(number(report.imbalance.utilization, 2))\n"
        return out
    }

    /// `application/x-www-form-urlencoded`-safe query value.
    static func queryEscape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
