/// How often a failing job is tried and how long a worker may hold one.
public struct JobRetryPolicy: Sendable, Equatable {
    /// Claims before a failing job is dead-lettered.
    public var maxAttempts: Int
    /// The wait after the first failure; each further failure multiplies it by 4
    /// (30 s, 2 min, 8 min, 32 min, … capped at ``maxBackoff``), so a Stripe outage of an hour is
    /// ridden out without hammering it.
    public var firstBackoff: Int
    public var maxBackoff: Int
    /// Seconds a claim lasts. A worker killed mid-job leaves its job `running`; once the lease
    /// has passed, another worker claims it again. It must exceed the longest job (a few Stripe
    /// calls with their timeouts).
    public var lease: Int

    public init(maxAttempts: Int = 6, firstBackoff: Int = 30, maxBackoff: Int = 6 * 3600, lease: Int = 120) {
        self.maxAttempts = maxAttempts
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
        self.lease = lease
    }

    /// Seconds to wait after the `attempt`th failure (1-based).
    public func backoff(afterAttempt attempt: Int) -> Int {
        var wait = firstBackoff
        for _ in 1..<max(1, attempt) {
            wait *= 4
            if wait >= maxBackoff { return maxBackoff }
        }
        return min(wait, maxBackoff)
    }

    /// Whether a job that failed on its `attempt`th claim is dead-lettered rather than retried.
    public func isExhausted(afterAttempt attempt: Int) -> Bool { attempt >= maxAttempts }
}
