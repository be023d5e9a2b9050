import NIOCore

/// An event loop as a `TaskExecutor`: jobs run on the loop's thread, queued behind its I/O.
///
/// A connection's task that prefers its channel's event loop reads, handles and answers a request
/// on one thread; only the blocking store calls leave it (they run on the store's own threads,
/// never on an event loop), and their replies resume the task there. Without it every request
/// would cross to the concurrency pool and back, and on a 2-core host those wake-ups were the
/// largest share of the sidecar's CPU (README, Performance).
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
