// swift-tools-version:6.0
// A benchmark instrument, not part of SessionMesh: the cheapest NIO doors this machine can run,
// to measure what any NIO-based front door costs per request before it does any work of its own.
// scripts/bench-frontdoor.sh runs it in the same rounds as nutcracker and the sidecar (FLOOR=...).
import PackageDescription

let package = Package(
    name: "nio-floor",
    dependencies: [.package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0")],
    targets: [
        .executableTarget(name: "nio-floor", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ])
    ]
)
