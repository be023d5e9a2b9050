// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SessionMesh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sessionmesh", targets: ["sessionmesh"]),
        .library(name: "SessionMeshClient", targets: ["SessionMeshClient"]),
        .library(name: "SessionCore", targets: ["SessionCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
    ],
    targets: [
        // The C library, wrapped once. Only MemcachedStore imports it.
        .systemLibrary(
            name: "CLibMemcached",
            path: "Sources/CLibMemcached",
            pkgConfig: "libmemcached",
            providers: [.apt(["libmemcached-dev"])]
        ),
        // hiredis, wrapped once. Only RedisStore imports it.
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // Pure: the record model, placement ring, node health and the replication core (which copy
        // is newest, repair, quorum, honest not-found) over the node-I/O interface. No I/O, no clock.
        .target(name: "Replication"),
        // Pure: session records, ids, sealing, key derivation, TTL rules, merge patch, SessionManager.
        .target(
            name: "SessionCore",
            dependencies: ["Replication", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Shell: runs the replication core on threads of its own (coalesced reads, writes, repairs), metrics, logs.
        .target(
            name: "StoreShell",
            dependencies: [
                "Replication",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Shell: the memcached node driver (libmemcached handle pools).
        .target(
            name: "MemcachedStore",
            dependencies: [
                "CLibMemcached", "Replication", "StoreShell",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shell: an event loop as a TaskExecutor (connection tasks that stay on their loop).
        .target(name: "NIOLoopExecutor", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Shell: the memcached-protocol front door (text, binary, meta) on the record store.
        .target(
            name: "MemcacheFrontDoor",
            dependencies: [
                "MemcacheProtocol", "Replication", "SessionCore", "NIOLoopExecutor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shell: the Redis node driver (hiredis connection pools, one Lua script for conditional writes).
        .target(
            name: "RedisStore",
            dependencies: [
                "CHiredis", "Replication", "StoreShell",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shell: the Hummingbird app on the Unix socket.
        .target(
            name: "SidecarAPI",
            dependencies: [
                "SessionCore",
                "NIOLoopExecutor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Configuration: every setting of `sessionmesh run` declared once (file, environment, flags,
        // --help), parsed into typed values at startup; the log handlers the settings pick.
        .target(
            name: "SidecarSettings",
            dependencies: [
                "SessionCore", "MemcachedStore", "RedisStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shell: store readiness (quorum hysteresis, the gate on a clock, the node probe).
        .target(
            name: "StoreHealth",
            dependencies: [
                "Replication",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shell: the HTTP server plumbing: requests on their connection's event loop, connection
        // caps, header timeout and close rules, the Unix socket file, the fd limit, the drain signal.
        .target(
            name: "HTTPServing",
            dependencies: [
                "NIOLoopExecutor",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shell: this host's load (API counters, /proc), sampled for the gossip load report.
        .target(
            name: "LoadSampling",
            dependencies: [
                "SidecarAPI", "Routing",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shell: the mesh as the sidecar sees it, fed by the gossip shell's published views.
        .target(
            name: "MeshMembers",
            dependencies: [
                "Gossip", "GossipNIO", "Routing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Shell: one routing snapshot (Routing's weight table) per mesh snapshot; route picks.
        .target(name: "MeshRouting", dependencies: ["Routing", "MeshMembers"]),
        // Shell: the routing's consumers: /v1/route, /v1/mesh, /ui, HAProxy agent check, nginx file.
        .target(
            name: "RoutingFrontends",
            dependencies: [
                "MeshRouting", "MeshMembers", "LoadSampling", "Routing", "SidecarAPI", "SessionCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Composition: builds the services and runs them in one ServiceGroup.
        .target(
            name: "SidecarService",
            dependencies: [
                "SessionCore", "Replication", "StoreShell", "MemcachedStore", "RedisStore", "SidecarAPI", "SidecarSettings", "StoreHealth",
                "HTTPServing", "Gossip", "GossipNIO", "Routing", "MemcacheFrontDoor",
                "LoadSampling", "MeshMembers", "MeshRouting", "RoutingFrontends",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Pure: the load model (`HostLoad`, one host's load), deterministic weights, balancing policies.
        .target(name: "Routing", dependencies: ["SeededRandom"]),
        // Pure: the one seeded generator (xoshiro256**, SplitMix64) and the draws made from it.
        .target(name: "SeededRandom"),
        // Pure: what both simulators share: the timed event queue and Foundation-free number formatting.
        .target(name: "SimulationSupport"),
        // Pure: the routing simulator (discrete-event, the real policies), its scenarios and benchmark tables.
        .target(name: "RoutingSimulation", dependencies: ["Routing", "SeededRandom", "SimulationSupport"]),
        // Pure: the gossip simulator (N real GossipNode state machines on a simulated lossy network).
        .target(name: "GossipSimulation", dependencies: ["Gossip", "SeededRandom", "SimulationSupport"]),
        // Session-path benchmark: direct libmemcached vs nutcracker vs the sidecar (release build).
        .executableTarget(
            name: "SessionBench",
            dependencies: [
                "CLibMemcached", "SessionMeshClient", "SessionCore", "LocalCluster", "SeededRandom",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/SessionBench"
        ),
        // Pick-cost benchmark and the simulator's benchmark tables (release build).
        .executableTarget(
            name: "RoutingBench", dependencies: ["Routing", "RoutingSimulation", "SeededRandom"], path: "Benchmarks/RoutingBench"),
        // Pure: memcached text and binary protocol codecs (bounded decoder state machines, response encoders).
        .target(name: "MemcacheProtocol"),
        // Pure: memberlist 0.2.2 wire (msgpack, framing, LZW), SWIM/Lifeguard state machine.
        .target(name: "Gossip", dependencies: ["SeededRandom"]),
        // Shell: memberlist UDP+TCP transport on one port, serf-compatible keyring encryption, and the
        // actor that owns the GossipNode and runs its effects (GossipShell).
        .target(
            name: "GossipNIO",
            dependencies: [
                "Gossip",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Library for apps: HTTP/1.1 over the Unix socket with connection reuse.
        .target(
            name: "SessionMeshClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Shell: memcached and sidecar processes on loopback, for the demo, the benchmark and the tests.
        .target(name: "LocalCluster"),
        .executableTarget(
            name: "sessionmesh",
            dependencies: [
                "SessionCore", "MemcachedStore", "SidecarService", "SidecarSettings", "SessionMeshClient", "LocalCluster",
                "GossipSimulation", "RoutingSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sidecar"
        ),
        // Shared by the tests: real memcached and sidecar processes on loopback.
        .target(name: "TestSupport", dependencies: ["LocalCluster"], path: "Tests/TestSupport"),
        // Example payment app on the client library (run by ExamplesTests against a live cluster).
        .executableTarget(
            name: "PaymentApp",
            dependencies: ["SessionMeshClient", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/PaymentApp"
        ),
        .testTarget(name: "ExamplesTests", dependencies: ["SessionMeshClient", "TestSupport"], path: "Tests/ExamplesTests"),
        // Shared by the tests of the logic above the store: an in-memory RecordStorage and a manual clock.
        .target(name: "TestDoubles", dependencies: ["Replication"], path: "Tests/TestDoubles"),
        .testTarget(name: "SessionCoreTests", dependencies: ["SessionCore", "Replication", "SeededRandom", "TestDoubles"]),
        // The replication core against an in-memory node I/O and a manual clock: no process started.
        .testTarget(name: "ReplicationCoreTests", dependencies: ["Replication", "SessionCore"]),
        // Live: real haproxy 2.6 + three sidecars + backends on loopback (stats socket, agent-check).
        .testTarget(name: "RoutingLiveTests", dependencies: ["SessionMeshClient", "TestSupport"]),
        // The /ui page in headless Chromium, and the metric families.
        .testTarget(name: "DashboardTests", dependencies: ["SessionMeshClient", "TestSupport"]),
        // Interop with the real peer: Debian's serf agent, on loopback.
        .testTarget(name: "MeshInteropTests", dependencies: ["SessionMeshClient", "TestSupport"]),
        // Hostile input against real sidecars: HTTP edge cases, connection and fd exhaustion, forged gossip.
        .testTarget(name: "HardeningTests", dependencies: ["Gossip", "TestSupport"]),
        .testTarget(
            name: "MemcachedStoreTests",
            dependencies: [
                "MemcachedStore", "RedisStore", "StoreShell", "Replication", "SessionCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "SeededRandom"]),
        .testTarget(name: "RoutingSimulationTests", dependencies: ["RoutingSimulation", "Routing", "SeededRandom"]),
        .testTarget(name: "SimulationSupportTests", dependencies: ["SimulationSupport", "SeededRandom"]),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        // Live: stock memcached clients (php-memcached, pymemcache, libmemcached tools) through two sidecars' front doors.
        .testTarget(name: "FrontDoorTests", dependencies: ["TestSupport"]),
        // Live: the served OpenAPI document is the checked-in one, and schemathesis fuzzes every operation.
        .testTarget(name: "OpenAPITests", dependencies: ["TestSupport"]),
        .testTarget(name: "GossipTests", dependencies: ["Gossip", "SeededRandom"]),
        .testTarget(name: "GossipSimulationTests", dependencies: ["GossipSimulation", "Gossip"]),
        .testTarget(name: "MemcacheProtocolTests", dependencies: ["MemcacheProtocol"]),
        .testTarget(
            name: "SidecarServiceTests",
            dependencies: [
                "SidecarService", "SidecarSettings", "TestSupport", "Routing", "Gossip", "GossipNIO", "SeededRandom",
                "LoadSampling", "MeshMembers", "MeshRouting", "RoutingFrontends",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SidecarSettingsTests",
            dependencies: ["SidecarSettings", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "StoreHealthTests", dependencies: ["StoreHealth"]),
        .testTarget(
            name: "HTTPServingTests",
            dependencies: [
                "HTTPServing",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GossipNIOTests",
            dependencies: [
                "GossipNIO", "Gossip",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Live: three hosts as network namespaces on a bridge (root only; skipped elsewhere).
        .testTarget(
            name: "PartitionTests",
            dependencies: ["SessionMeshClient", "TestSupport", .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .testTarget(
            name: "SidecarAPITests",
            dependencies: ["SessionMeshClient", "SessionCore", "Replication", "TestSupport"]
        ),
        // In process: the API router (sessions, tokens, idempotency keys) under HummingbirdTesting, in-memory store.
        .testTarget(
            name: "APIRoutesTests",
            dependencies: [
                "SidecarAPI", "SessionCore", "Replication", "TestDoubles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
