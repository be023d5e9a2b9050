import LoadSampling
import MeshMembers
import MeshRouting
import Foundation

/// What an HAProxy may send to the agent with `agent-send "zone=NAME\n"`: the zone the balancer
/// runs in, so the agent can answer with this server's zone-aware weight for that zone.
/// Pure; anything else (or nothing) means "zone unknown" and the zone-blind weight.
enum AgentZoneRequest {
    /// The longest line read before answering zone-blind.
    static let maxLength = 256

    /// The zone in `text` (`zone=NAME`, surrounding whitespace and a CR/LF ignored), or nil.
    static func zone(in text: String) -> String? {
        let line = text.split(whereSeparator: { $0 == "\n" }).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("zone=") else { return nil }
        let name = String(trimmed.dropFirst(5))
        guard !name.isEmpty, name.count <= 128, name.allSatisfy({ !$0.isWhitespace && $0 != "\0" }) else { return nil }
        return name
    }
}
