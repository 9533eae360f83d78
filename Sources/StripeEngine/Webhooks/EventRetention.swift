/// How long an account's events stay retrievable, as real Stripe keeps them: `GET /v1/events`
/// and `GET /v1/events/{id}` reach back about 30 days, after which an event is gone (its id
/// answers Stripe's 404 `No such event`).
///
/// Why: without it a long simulation keeps every event it ever emitted (a renewal emits about
/// ten, each a full copy of its object), so a year of 10,000 subscriptions held 6.8 GiB in
/// memory although the objects themselves are a third of that. Time here is the account's
/// clock, which time travel moves: an event is kept for the retention after the account's time
/// it was logged at (the `logged` column), also when its `created` is a test clock's time, which
/// may lie years before or after the account's (a clock created in the past would otherwise
/// lose its events at once). An event still waiting to be delivered to an endpoint is kept
/// until its delivery succeeds or fails for good, and the delivery log (`/_emulator/deliveries`,
/// the console) keeps its rows. Expired events are removed when the account's clock is moved
/// (time travel, a freeze) and when its scheduled work runs.
package enum EventRetention {
    /// Real Stripe's retention, in days (the default of ``EmulatorSettings/eventRetentionDays``).
    package static let stripeDays = 30

    /// Events removed by one call at most: time travel calls it after every chunk of work, so a
    /// backlog is worked off over a few chunks instead of one long transaction.
    package static let batch = 5_000

    /// Removes the account's events logged before `now` minus `days` (on the account's clock)
    /// whose deliveries have all finished, oldest first, at most ``batch``; nothing when `days`
    /// is 0 (keep every event). Returns how many were removed.
    @discardableResult
    package static func prune(_ ledger: Ledger, now: Int, days: Int) throws -> Int {
        guard days > 0 else { return 0 }
        return try ledger.store.removeEvents(loggedBefore: now - min(days, 36_500) * 86_400, limit: batch)
    }
}
