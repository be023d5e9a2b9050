import NIOCore
import NIOPosix
import Synchronization

/// Lets the gossip timer loop sleep exactly until its next deadline instead of polling.
///
/// The loop sleeps until the node's next deadline; a packet or stream that moves that deadline
/// closer (a new ack handler, a suspicion) calls `wake(ifSleepingPast:)`, which ends the sleep
/// early. A wake that arrives while the loop is not sleeping (it is computing its next deadline)
/// is kept, so the next sleep returns at once and the loop recomputes. The timer runs on a NIO
/// event loop; cancelling the sleeping task ends the sleep.
final class DeadlineSleeper: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Scheduled<Void>?
        /// The deadline (node clock, ns) the current sleep ends at; `.max` when not sleeping.
        var until: Int64 = .max
        /// A wake arrived while nobody slept.
        var pending = false
    }

    private let state = Mutex(State())
    private let loop: any EventLoop

    init(loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.loop = loop
    }

    /// Sleeps `nanoseconds` (the sleep ends at `deadline` on the caller's clock), or until a
    /// wake for an earlier deadline, or cancellation.
    func sleep(nanoseconds: Int64, until deadline: Int64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled || nanoseconds <= 0 {
                        s.pending = false
                        return true
                    }
                    s.waiter = c
                    s.until = deadline
                    s.timer = loop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] in self?.release() }
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            release()
        }
    }

    /// Ends the current sleep if it would last past `deadline`; if nobody sleeps, the next
    /// sleep returns at once (its caller is about to recompute its deadline anyway).
    func wake(ifSleepingPast deadline: Int64) {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.waiter != nil else {
                s.pending = true
                return nil
            }
            guard deadline < s.until else { return nil }
            return take(&s)
        }
        c?.resume()
    }

    /// Ends the current sleep (timer fired, or cancelled); if nobody sleeps, the next returns at once.
    private func release() {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.waiter != nil else {
                s.pending = true
                return nil
            }
            return take(&s)
        }
        c?.resume()
    }

    private func take(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        let c = s.waiter
        s.waiter = nil
        s.timer?.cancel()
        s.timer = nil
        s.until = .max
        return c
    }
}
