import NIOCore
import Synchronization

/// Work handed from the store's threads to one event loop, in batches: the first item posted
/// schedules one task on the loop, which runs every item posted until it runs. A read thread that
/// answers a batch of reads for many connections of one loop so wakes the loop once, not once per
/// read (the memcached front door's gets and the HTTP session reads both come back this way).
public final class LoopInbox: Sendable {
    public let loop: any EventLoop
    private let pending = Mutex<[@Sendable () -> Void]>([])

    public init(loop: any EventLoop) { self.loop = loop }

    /// Runs `work` on the loop, after the work posted before it. Never runs it inline.
    public func post(_ work: @escaping @Sendable () -> Void) {
        let first = pending.withLock { items in
            items.append(work)
            return items.count == 1
        }
        if first { loop.execute { self.drain() } }
    }

    private func drain() {
        let items = pending.withLock { items in
            var taken = [@Sendable () -> Void]()
            swap(&taken, &items)
            return taken
        }
        for item in items { item() }
    }
}

/// One inbox per event loop, made on first use.
public final class LoopInboxes: Sendable {
    private let inboxes = Mutex<[ObjectIdentifier: LoopInbox]>([:])

    public init() {}

    public func inbox(for loop: any EventLoop) -> LoopInbox {
        inboxes.withLock { all in
            if let inbox = all[ObjectIdentifier(loop)] { return inbox }
            let inbox = LoopInbox(loop: loop)
            all[ObjectIdentifier(loop)] = inbox
            return inbox
        }
    }
}
