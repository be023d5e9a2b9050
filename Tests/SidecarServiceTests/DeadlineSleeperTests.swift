import Testing
@testable import SidecarService

/// Upper bounds are loose: on a loaded 2-core machine CPU-bound tests can hold both threads of
/// the concurrency pool for seconds, delaying every resumption. A sleeper that never wakes fails
/// at the one-minute limit instead of sleeping its full 600 s.
@Suite(.timeLimit(.minutes(1))) struct DeadlineSleeperTests {
    private static func elapsedMs(_ body: () async -> Void) async -> Double {
        let start = ContinuousClock.now
        await body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    @Test func sleepsUntilTheDeadline() async {
        let sleeper = DeadlineSleeper()
        let ms = await Self.elapsedMs { await sleeper.sleep(nanoseconds: 50_000_000, until: 50_000_000) }
        #expect(ms >= 45 && ms < 60_000)
    }

    @Test func anEarlierDeadlineWakesTheSleep() async {
        let sleeper = DeadlineSleeper()
        let waker = Task {
            try? await Task.sleep(for: .milliseconds(50))
            sleeper.wake(ifSleepingPast: 900_000_000_000)  // later than the sleep: ignored
            try? await Task.sleep(for: .milliseconds(50))
            sleeper.wake(ifSleepingPast: 100_000_000)
        }
        let ms = await Self.elapsedMs { await sleeper.sleep(nanoseconds: 600_000_000_000, until: 600_000_000_000) }
        #expect(ms >= 90 && ms < 60_000)
        await waker.value
    }

    @Test func aWakeWhileNobodySleepsEndsTheNextSleepAtOnce() async {
        let sleeper = DeadlineSleeper()
        sleeper.wake(ifSleepingPast: 0)
        let ms = await Self.elapsedMs { await sleeper.sleep(nanoseconds: 600_000_000_000, until: 600_000_000_000) }
        #expect(ms < 60_000)
        // The wake was used up: the next sleep lasts.
        let again = await Self.elapsedMs { await sleeper.sleep(nanoseconds: 30_000_000, until: 30_000_000) }
        #expect(again >= 25)
    }

    @Test func cancellationEndsTheSleep() async {
        let sleeper = DeadlineSleeper()
        let start = ContinuousClock.now
        let task = Task { await sleeper.sleep(nanoseconds: 600_000_000_000, until: 600_000_000_000) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value
        #expect(ContinuousClock.now - start < .seconds(60))
    }
}
