// nio-floor MEMCACHE_SOCKET HTTP_SOCKET: both floor doors on one event loop, as the sidecar runs
// its doors (`--event-loop-threads 1`), until killed.
import NIOCore
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: nio-floor MEMCACHE_SOCKET HTTP_SOCKET")
    exit(2)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

func listen(_ path: String, _ handler: @escaping @Sendable () -> any ChannelHandler) throws -> Channel {
    try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) }
        }
        .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
}

let memcache = try listen(arguments[1]) { FloorHandler(MemcacheFloor()) }
_ = try listen(arguments[2]) { FloorHandler(HTTPFloor()) }
try memcache.closeFuture.wait()
