import Gossip
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
@testable import GossipNIO

/// Two gossip shells on loopback: the actor that owns each node joins, spreads each host's load
/// (decoded once, into the published view), and leaves so the other shows it `left`.
@Suite(.timeLimit(.minutes(1))) struct GossipShellTests {
    /// A load that is just a number: 8 bytes big-endian on the wire.
    static let codec = GossipShell<Int>.LoadCodec(
        encode: { n in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(n)) >> (56 - 8 * $0)) } },
        decode: { b in b.count == 8 ? Int(Int64(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })) : nil })

    struct Node {
        let shell: GossipShell<Int>
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let views: LockedBox<[GossipView<Int>]>
        var latest: GossipView<Int>? { views.withLock { $0.last } }
    }

    static func start(_ name: String, load: Int, seeds: [(host: String, port: Int)]) -> Node {
        var logger = Logger(label: "test.shell.\(name)")
        logger.logLevel = .error
        let views = LockedBox<[GossipView<Int>]>([])
        var settings = GossipShellSettings(name: name, bindHost: "127.0.0.1", bindPort: 0, seeds: seeds, keyring: nil,
                                           tags: ["role": "test"])
        settings.metaUpdateInterval = .milliseconds(300)
        let shell = GossipShell<Int>(settings: settings, codec: codec, logger: logger, localLoad: { load },
                                     refreshedTags: { ["role": "test", "load": "\($0)"] },
                                     publish: { view in views.withLock { $0.append(view) } })
        let group = ServiceGroup(configuration: .init(services: [shell], logger: logger))
        return Node(shell: shell, group: group, task: Task { try await group.run() }, views: views)
    }

    @Test func twoShellsJoinShareTheirLoadsAndLeave() async throws {
        let a = Self.start("a", load: 7, seeds: [])
        #expect(await eventually { a.shell.transport.localAddress?.port != nil })
        let port = try #require(a.shell.transport.localAddress?.port)
        let b = Self.start("b", load: 9, seeds: [("127.0.0.1", port)])

        // Both see both alive, with each other's load decoded; b has joined; a's Meta carries the tag.
        #expect(await eventually {
            guard let va = a.latest, let vb = b.latest else { return false }
            return va.members.map(\.name) == ["a", "b"] && va.members.allSatisfy { $0.status == .alive }
                && va.loads == ["a": 7, "b": 9] && vb.loads == ["a": 7, "b": 9] && vb.joined
                && vb.members.first { $0.name == "a" }?.tags?["load"] == "7"
        })
        // Versions only grow; a load-only change keeps the members' version.
        let versions = a.views.withLock { $0.map(\.version) }
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)

        // b leaves on graceful shutdown: a shows it left (not failed) and drops its load.
        await b.group.triggerGracefulShutdown()
        try await b.task.value
        #expect(await eventually {
            guard let m = a.latest?.members.first(where: { $0.name == "b" }) else { return false }
            return m.serfStatus == "left" && a.latest?.loads["b"] == nil
        })
        await a.group.triggerGracefulShutdown()
        try await a.task.value
    }
}
