import Testing
@testable import Gossip

/// Forged and oversized `alive` messages, and the member table's cap (issue 17).
@Suite struct GossipBoundsTests {
    static let from = GossipAddress(ip: [127, 0, 0, 9], port: 7946)

    static func node(maxMembers: Int = 1024) -> GossipNode {
        var config = GossipConfig.lan
        config.maxMembers = maxMembers
        return GossipNode(config: config, name: "self", address: GossipAddress(ip: [127, 0, 0, 1], port: 7946), meta: nil, now: 0, seed: 1)
    }

    @Test func forgedAliveWithoutAddressPortOrVersionIsDropped() {
        var n = Self.node()
        let forged: [AliveMessage] = [
            AliveMessage(incarnation: 1, node: "ghost2", addr: nil, port: 0, meta: nil, vsn: nil),          // the datagram
            AliveMessage(incarnation: 1, node: "ghost3", addr: [127, 0, 0, 3], port: 7946, meta: nil, vsn: nil),
            AliveMessage(incarnation: 1, node: "ghost4", addr: [127, 0, 0, 4], port: 0, meta: nil, vsn: [1, 5, 2, 2, 5, 5]),
            AliveMessage(incarnation: 1, node: "ghost5", addr: [0, 0, 0, 0], port: 7946, meta: nil, vsn: [1, 5, 2, 2, 5, 5]),
            AliveMessage(incarnation: 1, node: "ghost6", addr: [127, 0, 0, 6, 1], port: 7946, meta: nil, vsn: [1, 5, 2, 2, 5, 5]),
            AliveMessage(incarnation: 1, node: "ghost7", addr: [127, 0, 0, 7], port: 7946, meta: nil, vsn: [1, 5, 0, 2, 5, 5]),
            AliveMessage(incarnation: 1, node: String(repeating: "g", count: 4096), addr: [127, 0, 0, 8], port: 7946, meta: nil,
                         vsn: [1, 5, 2, 2, 5, 5]),
            AliveMessage(incarnation: 1, node: "ghost9", addr: [127, 0, 0, 9], port: 7946, meta: [UInt8](repeating: 0, count: 513),
                         vsn: [1, 5, 2, 2, 5, 5]),
        ]
        for a in forged { _ = n.receivePacket(GossipMessage.alive(a).encoded(), from: Self.from, now: 1) }
        #expect(n.members.map(\.name) == ["self"])
        #expect(n.stats.membersRejectedInvalid == forged.count)
        // A well-formed one is taken.
        let good = AliveMessage(incarnation: 1, node: "peer", addr: [127, 0, 0, 2], port: 7946, meta: nil, vsn: [1, 5, 2, 2, 5, 5])
        _ = n.receivePacket(GossipMessage.alive(good).encoded(), from: Self.from, now: 2)
        #expect(n.member(named: "peer")?.status == .alive)
    }

    @Test func memberTableIsCapped() {
        var n = Self.node(maxMembers: 50)
        for i in 0..<5000 {
            let a = AliveMessage(incarnation: 1, node: "ghost-\(i)", addr: [10, 0, UInt8(i >> 8 & 0xff), UInt8(i & 0xff)], port: 7946,
                                 meta: nil, vsn: [1, 5, 2, 2, 5, 5])
            _ = n.receivePacket(GossipMessage.alive(a).encoded(), from: Self.from, now: Int64(i))
        }
        #expect(n.memberMap.count == 50)
        #expect(n.stats.membersRejectedFull == 5000 - 49)
        // Known members still update (a refresh of an existing name is not a new entry).
        let again = AliveMessage(incarnation: 2, node: "ghost-0", addr: [10, 0, 0, 0], port: 7946, meta: nil, vsn: [1, 5, 2, 2, 5, 5])
        _ = n.receivePacket(GossipMessage.alive(again).encoded(), from: Self.from, now: 6000)
        #expect(n.member(named: "ghost-0")?.incarnation == 2)
    }
}
