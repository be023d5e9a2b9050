import ArgumentParser
import NIOCore
import NIOPosix

// `run` executes Swift Concurrency jobs on NIO's event loops: an API request is then handled on the
// thread that read it, instead of hopping to the cooperative pool and back (two context switches
// fewer per request). This must happen before the first task is enqueued, so before parsing.
if CommandLine.arguments.dropFirst().first == "run",
   !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
    print("warning: could not run Swift Concurrency on NIO's event loops")
}
await SessionMeshCommand.start()
