import Testing
@testable import Gossip

let sec = GossipConfig.second
let ms = GossipConfig.millisecond

func addr(_ i: Int) -> GossipAddress { GossipAddress(ip: [10, 0, 0, UInt8(i)], port: 7946) }

func state(_ name: String, _ i: Int, inc: UInt32 = 1, status: MemberStatus = .alive, vsn: [UInt8] = [1, 5, 2, 2, 5, 5]) -> PushNodeState {
    PushNodeState(name: name, addr: addr(i).ip, port: 7946, meta: [0xff, 0x80], incarnation: inc, state: Int64(status.rawValue), vsn: vsn)
}

/// All messages in the packets a node emitted.
func sentMessages(_ effects: [GossipEffect]) -> [GossipMessage] {
    effects.flatMap { e -> [GossipMessage] in
        if case .sendPacket(let b, _) = e { return PacketCodec.decode(b).messages }
        return []
    }
}

/// A node that knows `n` peers (node-1 … node-n), all alive.
func nodeWithPeers(_ n: Int, config: GossipConfig = .lan) -> GossipNode {
    var node = GossipNode(config: config, name: "node-0", address: addr(0), meta: [0xff, 0x80], now: 0, seed: 42)
    node.seedMembership((1...n).map { state("node-\($0)", $0) }, now: 0)
    return node
}

@Suite struct StateMachineTests {
    @Test func answersPingsWithAckToSourceAddress() {
        var node = nodeWithPeers(2)
        let ping = GossipMessage.ping(PingMessage(seqNo: 77, node: "node-0", sourceAddr: [10, 0, 0, 9], sourcePort: 9000, sourceNode: "x"))
        let eff = node.receivePacket(ping.encoded(), from: addr(5), now: 1 * ms)
        guard case .sendPacket(let b, let to)? = eff.first else { Issue.record("no ack"); return }
        #expect(to == GossipAddress(ip: [10, 0, 0, 9], port: 9000))
        #expect(PacketCodec.decode(b).messages.first == .ack(AckRespMessage(seqNo: 77, payload: nil)))
        // A ping for another name is ignored.
        let other = GossipMessage.ping(PingMessage(seqNo: 78, node: "someone-else"))
        #expect(node.receivePacket(other.encoded(), from: addr(5), now: 2 * ms).isEmpty)
        // TCP ping is answered on the stream.
        let (reply, _) = node.receiveStream(.ping(PingMessage(seqNo: 5, node: "node-0")), from: addr(5), now: 3 * ms)
        let r = try? StreamCodec.decode(reply ?? [])
        #expect(r?.0 == .ack(AckRespMessage(seqNo: 5, payload: nil)))
    }

    @Test func refutesSuspicionWithHigherIncarnation() {
        var node = nodeWithPeers(3)
        #expect(node.incarnation == 1)
        let s = GossipMessage.suspect(SuspectMessage(incarnation: 5, node: "node-0", from: "node-2"))
        _ = node.receivePacket(s.encoded(), from: addr(2), now: 10 * ms)
        #expect(node.incarnation == 6)
        #expect(node.member(named: "node-0")?.status == .alive)
        #expect(node.awareness.score == 1)
        // The refutation goes out with the next gossip.
        var msgs: [GossipMessage] = []
        var t = 10 * ms
        while t < 1 * sec { msgs += sentMessages(node.tick(now: t)); t += 50 * ms }
        #expect(msgs.contains { if case .alive(let a) = $0 { return a.node == "node-0" && a.incarnation == 6 } else { return false } })
        // A dead message about self is refuted too.
        _ = node.receivePacket(GossipMessage.dead(DeadMessage(incarnation: 6, node: "node-0", from: "node-1")).encoded(), from: addr(1), now: 2 * sec)
        #expect(node.incarnation == 7)
        #expect(node.member(named: "node-0")?.status == .alive)
    }

    @Test func peerAcceptsRefutationAndClearsSuspicion() {
        var node = nodeWithPeers(5)
        _ = node.receivePacket(GossipMessage.suspect(SuspectMessage(incarnation: 1, node: "node-3", from: "node-1")).encoded(), from: addr(1), now: 0)
        #expect(node.member(named: "node-3")?.status == .suspect)
        #expect(node.suspicions["node-3"] != nil)
        // Same incarnation alive does not clear it; a higher one does.
        let a1 = AliveMessage(incarnation: 1, node: "node-3", addr: addr(3).ip, port: 7946, meta: [0xff, 0x80], vsn: [1, 5, 2, 2, 5, 5])
        _ = node.receivePacket(GossipMessage.alive(a1).encoded(), from: addr(3), now: 1 * sec)
        #expect(node.member(named: "node-3")?.status == .suspect)
        var a2 = a1
        a2.incarnation = 2
        let eff = node.receivePacket(GossipMessage.alive(a2).encoded(), from: addr(3), now: 2 * sec)
        #expect(node.member(named: "node-3")?.status == .alive)
        #expect(node.suspicions["node-3"] == nil)
        #expect(eff.contains { if case .memberChanged(let m) = $0 { return m.name == "node-3" && m.status == .alive } else { return false } })
        // And no death follows when the old timer would have fired.
        _ = node.tick(now: 30 * sec)
        #expect(node.member(named: "node-3")?.status == .alive)
    }

    @Test func suspicionTimeoutFormulaMatchesMemberlist() {
        // n = 10: min = 4 s, max = 24 s, k = 2.
        let minT = Suspicion.timeout(suspicionMult: 4, n: 10, interval: sec)
        #expect(minT == 4 * sec)
        #expect(Suspicion.timeout(suspicionMult: 4, n: 1000, interval: sec) == 12 * sec)
        #expect(Suspicion.timeout(suspicionMult: 4, n: 100, interval: sec) == 8 * sec)
        var s = Suspicion(from: "a", k: 2, min: 4 * sec, max: 24 * sec, now: 0)
        #expect(s.deadline == 24 * sec)
        let c1 = s.confirm(from: "b", now: 1 * sec)
        #expect(c1)
        // 24 - ln(2)/ln(3) * 20 = 11.381 s (floored to ms) from the start.
        #expect(s.deadline == 11_381 * ms)
        let dup = s.confirm(from: "b", now: 2 * sec)
        #expect(!dup) // duplicate
        let c2 = s.confirm(from: "c", now: 2 * sec)
        #expect(c2)
        #expect(s.deadline == 4 * sec)
        let c3 = s.confirm(from: "d", now: 3 * sec)
        #expect(!c3) // k reached
        // k = 0 (tiny cluster): starts at min.
        #expect(Suspicion(from: "a", k: 0, min: 4 * sec, max: 24 * sec, now: 0).deadline == 4 * sec)
        #expect(retransmitLimit(mult: 4, n: 10) == 8)
        #expect(retransmitLimit(mult: 4, n: 1000) == 16)
        #expect(pushPullScale(30 * sec, n: 1000) == 180 * sec)
    }

    @Test func confirmationsShortenTheTimeoutInTheNode() {
        var lone = nodeWithPeers(9)
        var confirmed = nodeWithPeers(9)
        let s1 = GossipMessage.suspect(SuspectMessage(incarnation: 1, node: "node-5", from: "node-1")).encoded()
        _ = lone.receivePacket(s1, from: addr(1), now: 0)
        _ = confirmed.receivePacket(s1, from: addr(1), now: 0)
        for from in ["node-2", "node-3"] {
            let s = GossipMessage.suspect(SuspectMessage(incarnation: 1, node: "node-5", from: from)).encoded()
            _ = confirmed.receivePacket(s, from: addr(2), now: 1 * sec)
        }
        #expect(lone.suspicions["node-5"]?.deadline == 24 * sec)
        #expect(confirmed.suspicions["node-5"]?.deadline == 4 * sec)
        _ = confirmed.tick(now: 4 * sec)
        _ = lone.tick(now: 4 * sec)
        #expect(confirmed.member(named: "node-5")?.status == .dead)
        #expect(lone.member(named: "node-5")?.status == .suspect)
        _ = lone.tick(now: 24 * sec)
        #expect(lone.member(named: "node-5")?.status == .dead)
    }

    @Test func failedProbeLeadsToSuspicionAndAwareness() {
        var node = nodeWithPeers(4)
        var t: Int64 = 0
        var indirect = 0, tcpPings = 0
        // Nobody answers: each probe sends indirect pings + a TCP ping, then suspects.
        while t < 3 * sec {
            for e in node.tick(now: t) {
                if case .sendPacket(let b, _) = e {
                    indirect += PacketCodec.decode(b).messages.filter { if case .indirectPing = $0 { true } else { false } }.count
                }
                if case .openStream(let r) = e, case .ping = r.purpose {
                    tcpPings += 1
                    _ = node.streamFailed(id: r.id, now: t)
                }
            }
            t += 10 * ms
        }
        #expect(indirect >= 3)
        #expect(tcpPings >= 1)
        #expect(node.members.contains { $0.status == .suspect })
        // Peers are pMax 5 ⇒ nacks were expected and none came: the score rose.
        #expect(node.awareness.score > 0)
    }

    @Test func awarenessScalesTheProbeInterval() {
        var node = nodeWithPeers(4)
        var pingTimes: [Int64] = []
        var t: Int64 = 0
        while t < 12 * sec {
            for e in node.tick(now: t) {
                if case .sendPacket(let b, _) = e,
                   PacketCodec.decode(b).messages.contains(where: { if case .ping(let p) = $0 { p.sourceNode == "node-0" } else { false } }) {
                    pingTimes.append(t)
                }
                if case .openStream(let r) = e { _ = node.streamFailed(id: r.id, now: t) }
            }
            t += 10 * ms
        }
        // First probe fails with 3 expected nacks and none received: score 0 → 3, so the
        // next probe comes 1 s later but lasts (3+1) × 1 s.
        #expect(pingTimes.count >= 3)
        if pingTimes.count >= 3 {
            #expect(pingTimes[1] - pingTimes[0] == 1 * sec)
            #expect(pingTimes[2] - pingTimes[1] == 4 * sec)
        }
        // Two failed probes, +3 each.
        #expect(node.awareness.score == 6)
    }

    @Test func gracefulLeaveGossipsIntentThenDeadFromSelf() {
        var node = nodeWithPeers(3)
        var msgs: [GossipMessage] = sentMessages(node.leave(now: 0))
        var t: Int64 = 0
        var intentAt: Int64?, deadAt: Int64?
        while t < 3 * sec {
            let m = sentMessages(node.tick(now: t))
            for x in m {
                if case .user(let p) = x, (try? SerfLeaveIntent.decode(p))?.node == "node-0", intentAt == nil { intentAt = t }
                if case .dead(let d) = x, d.node == "node-0", d.from == "node-0", deadAt == nil { deadAt = t }
            }
            msgs += m
            t += 10 * ms
        }
        #expect(intentAt != nil && deadAt != nil)
        #expect((intentAt ?? .max) < (deadAt ?? .min))
        #expect(node.hasLeft)
        #expect(node.member(named: "node-0")?.status == .left)
        // A peer receiving that dead marks it left (Node == From), not dead.
        var peer = GossipNode(name: "node-1", address: addr(1), meta: nil, now: 0, seed: 1)
        peer.seedMembership([state("node-0", 0)], now: 0)
        _ = peer.receivePacket(GossipMessage.dead(DeadMessage(incarnation: 1, node: "node-0", from: "node-0")).encoded(), from: addr(0), now: 0)
        #expect(peer.member(named: "node-0")?.status == .left)
        #expect(peer.member(named: "node-0")?.serfStatus == "left")
    }

    @Test func pushPullWithBadDelegateVersionIsRejected() {
        var node = nodeWithPeers(2)
        // A plain memberlist node (delegate versions 0,0,0) would poison a serf mesh.
        let bad = state("plain-3", 3, vsn: [1, 5, 2, 0, 0, 0])
        let (reply, _) = node.receiveStream(.pushPull(header: PushPullHeader(nodes: 1, userStateLen: 0, join: true), nodes: [bad], userState: []),
                                            from: addr(3), now: 0)
        #expect(reply != nil) // the responder still sends its state first
        #expect(node.member(named: "plain-3") == nil)
        #expect(node.stats.pushPullRejected == 1)
        // Our own advertised versions are serf's.
        #expect(node.member(named: "node-0")?.vsn.bytes == [1, 5, 2, 2, 5, 5])
        // Alive messages with 1–5 Vsn bytes or pmin > pmax are ignored.
        for v: [UInt8] in [[1, 5, 2], [6, 5, 2, 2, 5, 5], [0, 5, 2, 2, 5, 5]] {
            let a = AliveMessage(incarnation: 1, node: "odd", addr: addr(7).ip, port: 7946, meta: nil, vsn: v)
            _ = node.receivePacket(GossipMessage.alive(a).encoded(), from: addr(7), now: 0)
        }
        #expect(node.member(named: "odd") == nil)
    }

    @Test func joinViaPushPullExchange() throws {
        var seed = GossipNode(name: "seed", address: addr(1), meta: try SerfTags.encode(["role": "web"]), now: 0, seed: 1)
        var joiner = GossipNode(name: "joiner", address: addr(2), meta: try SerfTags.encode(["role": "sidecar"]), now: 0, seed: 2)
        let eff = joiner.join(seeds: [addr(1)], now: 0)
        guard case .openStream(let req)? = eff.first, case .pushPull(join: true) = req.purpose else {
            Issue.record("no push/pull"); return
        }
        let (msg, _) = try #require(try StreamCodec.decode(req.bytes))
        let (reply, _) = seed.receiveStream(msg, from: addr(2), now: 5 * ms)
        let replyBytes = try #require(reply)
        let (rmsg, _) = try #require(try StreamCodec.decode(replyBytes))
        guard case .pushPull(let h, _, _) = rmsg else { Issue.record("bad reply"); return }
        #expect(h.join) // echoed
        _ = joiner.receiveStreamReply(id: req.id, rmsg, now: 10 * ms)
        #expect(seed.member(named: "joiner")?.status == .alive)
        #expect(joiner.member(named: "seed")?.tags == ["role": "web"])
        #expect(seed.member(named: "joiner")?.tags == ["role": "sidecar"])
    }

    @Test func updateMetaBumpsIncarnationAndGossipsAlive() throws {
        var node = nodeWithPeers(2)
        let meta = try SerfTags.encode(["load": "0.75"])
        _ = node.updateMeta(meta, now: 0)
        #expect(node.incarnation == 2)
        var carrying: [DecodedPacket] = []
        var t: Int64 = 0
        while t < 1 * sec {
            for e in node.tick(now: t) {
                guard case .sendPacket(let b, _) = e else { continue }
                let d = PacketCodec.decode(b)
                if d.messages.contains(where: { if case .alive(let a) = $0 { return a.node == "node-0" && a.incarnation == 2 && a.meta == meta } else { return false } }) {
                    carrying.append(d)
                }
            }
            t += 20 * ms
        }
        #expect(!carrying.isEmpty)
        // Gossip to pMax-5 peers carries a CRC.
        #expect(carrying.allSatisfy { $0.hadCRC })
    }

    @Test func indirectPingIsRelayedAndNacked() {
        var relay = nodeWithPeers(3)
        let ind = IndirectPingMessage(seqNo: 900, target: addr(3).ip, port: 7946, node: "node-3", nack: true,
                                      sourceAddr: addr(1).ip, sourcePort: 7946, sourceNode: "node-1")
        let eff = relay.receivePacket(GossipMessage.indirectPing(ind).encoded(), from: addr(1), now: 0)
        guard case .sendPacket(let b, let to)? = eff.first, case .ping(let p)? = PacketCodec.decode(b).messages.first else {
            Issue.record("no ping to target"); return
        }
        #expect(to == addr(3) && p.node == "node-3")
        // The target acks: the relay forwards an ack with the requester's seq.
        let fwd = relay.receivePacket(GossipMessage.ack(AckRespMessage(seqNo: p.seqNo)).encoded(), from: addr(3), now: 100 * ms)
        #expect(sentMessages(fwd).first == .ack(AckRespMessage(seqNo: 900)))
        // Second request with no answer: a nack after ProbeTimeout.
        var ind2 = ind
        ind2.seqNo = 901
        _ = relay.receivePacket(GossipMessage.indirectPing(ind2).encoded(), from: addr(1), now: 1 * sec)
        let later = relay.tick(now: 1 * sec + 500 * ms)
        #expect(sentMessages(later).contains(.nack(NackRespMessage(seqNo: 901))))
    }
}
