#if canImport(Glibc)
import Glibc
#endif

/// Coalesces concurrent reads into batches, each served by one multi-key `gets` per memcached node.
///
/// Reads are most of the traffic. One libmemcached round trip per read on a thread pool costs two
/// thread wake-ups and two socket writes per request, and with many clients the context switches
/// dominate the sidecar's CPU. Here a few dedicated threads each take everything queued (up to
/// `maxBatch`) while the previous batch was in flight, so under load one wake-up and one round
/// trip per node serve many requests, and an idle sidecar answers a lone read at once.
///
/// `process` runs on these threads only (it blocks) and returns one reply per key, in order.
/// A reader either awaits its reply (`read(_:) async`) or is called back with it on the read
/// thread (`read(_:deliver:)`, for a NIO handler that hops back to its loop itself, without a task).
final class ReadCoalescer<Reply: Sendable>: @unchecked Sendable {
    private struct Waiter: Sendable {
        let key: String
        let deliver: @Sendable (Reply) -> Void
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var queue: [Waiter] = []
    private var stopped = false
    private var threads: [pthread_t] = []

    private let maxBatch: Int
    private let stoppedReply: Reply
    /// Set once by `start`, before the threads exist.
    private var process: @Sendable ([String]) -> [Reply] = { _ in [] }
    private var onBatch: @Sendable () -> Void = {}

    init(maxBatch: Int, stoppedReply: Reply) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.stoppedReply = stoppedReply
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Starts `count` threads that serve batches with `process`. Call once. `onBatch` runs as each
    /// batch is taken (on the read thread).
    func start(threads count: Int, onBatch: @escaping @Sendable () -> Void = {},
               process: @escaping @Sendable ([String]) -> [Reply]) {
        precondition(count >= 1 && threads.isEmpty)
        self.process = process
        self.onBatch = onBatch
        for _ in 0..<count {
            let thread = spawnThread { [self] in self.loop() }
            threads.append(thread)
        }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues a read and waits for its batch.
    func read(_ key: String) async -> Reply {
        await withCheckedContinuation { continuation in
            read(key) { continuation.resume(returning: $0) }
        }
    }

    /// Queues a read; `deliver` gets its reply on a read thread (or at once, on the caller's
    /// thread, when stopped). It must not block.
    func read(_ key: String, deliver: @escaping @Sendable (Reply) -> Void) {
        pthread_mutex_lock(mutex)
        if stopped {
            pthread_mutex_unlock(mutex)
            deliver(stoppedReply)
            return
        }
        queue.append(Waiter(key: key, deliver: deliver))
        // One idle thread woken is enough: it takes everything queued.
        if queue.count == 1 { pthread_cond_signal(condition) }
        pthread_mutex_unlock(mutex)
    }

    /// Stops the threads after their current batch; queued reads get `stoppedReply`. Waits for them.
    func stop() {
        pthread_mutex_lock(mutex)
        let alreadyStopped = stopped
        stopped = true
        let pending = queue
        queue.removeAll()
        let joining = threads
        threads.removeAll()
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        for waiter in pending { waiter.deliver(stoppedReply) }
        if !alreadyStopped { for thread in joining { pthread_join(thread, nil) } }
    }

    private func loop() {
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopped { pthread_cond_wait(condition, mutex) }
            if stopped {
                pthread_mutex_unlock(mutex)
                return
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            pthread_mutex_unlock(mutex)
            onBatch()
            let replies = process(batch.map(\.key))
            precondition(replies.count == batch.count, "one reply per queued read")
            for (waiter, reply) in zip(batch, replies) { waiter.deliver(reply) }
        }
    }
}

/// Starts a joinable pthread running `body`.
private func spawnThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, Unmanaged.passRetained(Box(body)).toOpaque())
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return thread
}

