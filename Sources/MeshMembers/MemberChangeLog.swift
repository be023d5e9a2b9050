import Gossip

/// Decides which member changes are worth an info line: the gossip layer reports every Meta
/// update as a change, and every sidecar refreshes its Meta (the `load` summary tag) every few
/// seconds, which would log each member at info every 5 s. A change is significant when the
/// member is new or its status, address or a tag other than the summary tags differs from what
/// was last seen; anything else is a refresh (debug).
struct MemberChangeLog: Sendable {
    /// Tags that are periodic summaries, not identity or configuration.
    static let summaryTags: Set<String> = ["load"]

    private struct Seen: Equatable {
        var status: String
        var address: String
        var tags: [String: String]
    }

    private var seen: [String: Seen] = [:]

    /// Records a member's state and returns true if the change is significant. A member that
    /// is `gone` (dead or left) is forgotten after this call, so the map holds only live members
    /// (bounded like the member list) and a return is logged as the change it is.
    mutating func record(name: String, status: String, address: String, tags: [String: String]?, gone: Bool = false) -> Bool {
        var kept = tags ?? [:]
        for t in Self.summaryTags { kept[t] = nil }
        let now = Seen(status: status, address: address, tags: kept)
        let changed = seen[name] != now
        seen[name] = gone ? nil : now
        return changed
    }

    /// Status here is the SWIM status (alive, suspect, dead, left) plus serf's leave intent, so a
    /// suspicion is a change even though serf shows a suspect member as alive.
    mutating func record(_ member: GossipMember) -> Bool {
        record(name: member.name, status: member.leaving ? "\(member.status) leaving" : "\(member.status)",
               address: "\(member.address)", tags: member.tags, gone: member.isDeadOrLeft)
    }
}
