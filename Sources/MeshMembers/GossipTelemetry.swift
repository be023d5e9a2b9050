import Gossip
import GossipNIO
import Logging
import Metrics
import Synchronization

/// The gossip shell's metrics and log lines: member gauges and change counters, traffic
/// counters (exported by delta after each timer round), member changes (info only when
/// significant, `MemberChangeLog`) and dropped input (at most one line per 10 s).
public final class GossipTelemetry: GossipShellObserver {
    private let logger: Logger
    private let maxMembers: Int
    private let membersGauge = [
        "alive": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "alive")]),
        "suspect": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "suspect")]),
        "dead": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "dead")]),
        "left": Gauge(label: "sessionmesh_gossip_members", dimensions: [("state", "left")]),
    ]
    private let memberEvents = Counter(label: "sessionmesh_gossip_member_changes_total")
    private let probes = Counter(label: "sessionmesh_gossip_probes_total")
    private let suspicionsTotal = Counter(label: "sessionmesh_gossip_suspicions_total")
    private let suspicionsNow = Gauge(label: "sessionmesh_gossip_suspicions")
    private let traffic = [
        "bytes_sent": Counter(label: "sessionmesh_gossip_bytes_sent_total"),
        "bytes_received": Counter(label: "sessionmesh_gossip_bytes_received_total"),
        "packets_sent": Counter(label: "sessionmesh_gossip_packets_sent_total"),
        "packets_received": Counter(label: "sessionmesh_gossip_packets_received_total"),
        "packet_errors": Counter(label: "sessionmesh_gossip_packet_errors_total"),
        "refutations": Counter(label: "sessionmesh_gossip_refutations_total"),
    ]
    private let lastStats = Mutex<GossipStats?>(nil)
    /// What was last logged per member: only real changes go out at info.
    private let changeLog = Mutex(MemberChangeLog())
    private let rejectedLogged = Mutex<ContinuousClock.Instant?>(nil)

    public init(logger: Logger, maxMembers: Int) {
        self.logger = logger
        self.maxMembers = maxMembers
    }

    public func probeSent() { probes.increment() }

    public func memberChanged(_ member: GossipMember, members: [GossipMember]) {
        memberEvents.increment()
        if member.status == .suspect { suspicionsTotal.increment() }
        let significant = changeLog.withLock { $0.record(member) }
        logger.log(level: significant ? .info : .debug, "member changed",
                   metadata: ["node": "\(member.name)", "status": "\(member.serfStatus)", "address": "\(member.address)"])
        var counts: [String: Int] = [:]
        for m in members { counts[MeshMember.Status(m).rawValue, default: 0] += 1 }
        for (state, gauge) in membersGauge { gauge.record(counts[state] ?? 0) }
    }

    /// Mirrors the node's traffic counters into metrics (by delta since the last export).
    public func statsUpdated(_ stats: GossipStats, suspicions: Int) {
        guard let last = lastStats.withLock({ l in defer { l = stats }; return l }) else { return }
        let deltas = [("bytes_sent", stats.bytesSent - last.bytesSent), ("bytes_received", stats.bytesReceived - last.bytesReceived),
                      ("packets_sent", stats.packetsSent - last.packetsSent), ("packets_received", stats.packetsReceived - last.packetsReceived),
                      ("packet_errors", stats.packetErrors - last.packetErrors), ("refutations", stats.refutations - last.refutations)]
        for (name, delta) in deltas where delta > 0 { traffic[name]?.increment(by: delta) }
        suspicionsNow.record(suspicions)
        let rejected = [("invalid", stats.membersRejectedInvalid - last.membersRejectedInvalid),
                        ("table_full", stats.membersRejectedFull - last.membersRejectedFull),
                        ("decompress_budget", stats.decompressBudgetExceeded - last.decompressBudgetExceeded)]
        for (reason, delta) in rejected where delta > 0 { inputRejected(reason: reason, count: delta) }
    }

    public func inputRejected(reason: String, count: Int) {
        Counter(label: "sessionmesh_gossip_rejected_total", dimensions: [("reason", reason)]).increment(by: count)
        logRejected(reason: reason, count: count)
    }

    /// At most one line per 10 s: what gossip input was dropped and why.
    private func logRejected(reason: String, count: Int) {
        let allowed = rejectedLogged.withLock { last -> Bool in
            if let l = last, ContinuousClock.now - l < .seconds(10) { return false }
            last = .now
            return true
        }
        guard allowed else { return }
        let what = switch reason {
        case "invalid": "alive messages without a valid address, port or protocol version (or an over-long name or Meta)"
        case "table_full": "alive messages for new members: the member table is full (maxGossipMembers \(maxMembers))"
        default: "compressed gossip packets or streams: the decompression budget per packet or per second is spent"
        }
        logger.warning("gossip input dropped", metadata: ["dropped": "\(count)", "what": "\(what)"])
    }
}
