import GRDB
import StripeWire

/// The one routine that makes time pass in the engine: run the work that has fallen due on an
/// account's clock (renewals, retries, expiries), then deliver the webhooks that have fallen due.
///
/// The background loop, the drain route, a test-clock advance, freezing the clock and time
/// travel all come here, so "what happens when time passes" is written once.
package struct WorkRunner: Sendable {
    package let database: EmulatorDatabase
    package let settings: EmulatorSettings
    package let deliveries: DeliveryWorker

    package init(database: EmulatorDatabase, settings: EmulatorSettings, deliveries: DeliveryWorker) {
        self.database = database
        self.settings = settings
        self.deliveries = deliveries
    }

    /// What one call did.
    package struct Outcome: Sendable {
        /// Scheduled work items run.
        package var ran = 0
        /// Delivery attempts made.
        package var attempted = 0
    }

    /// Runs the work due now on the account clock of `account` (every account when nil), then
    /// delivers: one pass, or with `drain` until nothing is due (so a caller can assert on the
    /// deliveries without sleeping).
    @discardableResult
    package func runDue(account: String? = nil, drain: Bool) async throws -> Outcome {
        let settings = self.settings
        var outcome = Outcome()
        // A read first: most wake-ups (every write request) find nothing due, and a write
        // transaction for nothing would hold up the next request.
        let due: [String] = try await database.writer.read { db in
            guard let account else { return try Scheduler.accountsWithDueWork(db, wall: settings.wallClock) }
            let now = try AccountClock(db: db, account: account, wall: settings.wallClock).now()
            return try Scheduler.hasDue(db, account: account, clock: "", at: now) ? [account] : []
        }
        if !due.isEmpty {
            let run = try await database.writer.write { db in
                var ran = 0, backlog: [(account: String, now: Int)] = []
                for account in due {
                    let ledger = Ledger.automatic(db: db, account: account, settings: settings)
                    let now = try ledger.accountClock.now()
                    ran += try Scheduler.run(ledger, clock: "", until: now)
                    if try EventRetention.prune(ledger, now: now, days: settings.eventRetentionDays) == EventRetention.batch {
                        backlog.append((account, now))
                    }
                }
                return (ran: ran, backlog: backlog)
            }
            outcome.ran = run.ran
            for b in run.backlog { try await pruneBacklog(account: b.account, now: b.now) }
        }
        outcome.attempted = drain ? try await deliveries.drain(account: account) : try await deliveries.deliverDue(account: account)
        return outcome
    }

    /// Scheduled items one transaction runs during time travel before it commits and lets other
    /// requests (other tenants) in: at most this many, and no more than ``chunkDuration``.
    package static let chunkSize = 256
    /// How long one chunk may hold the writer (another tenant's request waits at most about this).
    package static let chunkDuration: Duration = .milliseconds(20)

    /// Moves the account's clock forward to `target`, running due work in time order, each item
    /// at its own moment, in transactions of at most ``chunkSize`` items or ``chunkDuration`` (so a long advance holds
    /// the writer for one chunk at a time). When the account has webhook endpoints, time moves
    /// in steps (to each due item and each due delivery) and deliveries are attempted at every
    /// step, so webhook retries happen at their simulated times too. Returns how many work items
    /// ran. With `limit`, more items than that throw ``Scheduler/WorkLimitExceeded`` once the
    /// limit is passed: the chunks before it are committed (each leaves a consistent state, the
    /// clock at the last item it ran).
    @discardableResult
    package func travel(account: String, to target: Int, limit: Int? = nil) async throws -> Int {
        let settings = self.settings
        var ran = 0
        while true {
            let stop: Int = try await database.writer.read { db in
                let now = try AccountClock(db: db, account: account, wall: settings.wallClock).now()
                let store = ObjectStore(db: db, account: account)
                guard try store.hasLive(type: "webhook_endpoint") else { return target }
                let nextDelivery = try DeliveryQueue(db: db, account: account).nextDue(after: now)
                let nextWork = try Scheduler.nextDue(db, account: account, clock: "", after: now)
                return min(target, nextDelivery ?? target, nextWork ?? target)
            }
            let remaining = limit.map { max(0, $0 - ran) }
            // Up to the limit the chunk commits; the chunk that passes it rolls back and throws.
            let chunkSize = remaining.map { min(Self.chunkSize, max($0, 1)) } ?? Self.chunkSize
            let chunkRun = try await database.writer.write { db in
                let ledger = Ledger.automatic(db: db, account: account, settings: settings)
                let chunk = try Scheduler.runChunk(ledger, clock: "", until: stop, limit: remaining, maxItems: chunkSize,
                                                     maxDuration: Self.chunkDuration)
                // A chunk that stopped early leaves the clock at its last item's moment.
                let reached = chunk.finished ? stop : (chunk.lastDue ?? stop)
                var state = try ledger.accountClock.state()
                if state.frozenTime != nil { state.frozenTime = reached } else { state.offset = reached - settings.wallClock.now() }
                try ledger.accountClock.set(state)
                let pruned = try EventRetention.prune(ledger, now: reached, days: settings.eventRetentionDays)
                return (chunk: chunk, reached: reached, backlog: pruned == EventRetention.batch)
            }
            if chunkRun.backlog { try await pruneBacklog(account: account, now: chunkRun.reached) }
            let chunk = chunkRun.chunk
            ran += chunk.ran
            try await deliveries.drain(account: account)
            if chunk.finished, stop >= target { return ran }
        }
    }

    /// Removes the rest of an account's expired events, ``EventRetention/batch`` per transaction,
    /// after a chunk of work found more than one batch of them: every renewal of one instant runs
    /// in one chunk (10,000 subscriptions renewing together emit 100,000 events), and a month's
    /// worth of them expires together a month later.
    private func pruneBacklog(account: String, now: Int) async throws {
        let settings = self.settings
        while try await database.writer.write({ db in
            try EventRetention.prune(Ledger.automatic(db: db, account: account, settings: settings), now: now, days: settings.eventRetentionDays)
        }) == EventRetention.batch {}
    }

    /// Whether the account has deliveries or scheduled work due at `now` (two index probes, so
    /// a write that leaves nothing to do does not wake the background worker).
    package static func hasDueWork(_ db: Database, account: String, now: Int) throws -> Bool {
        try DeliveryQueue(db: db, account: account).hasDue(at: now) || Scheduler.hasDue(db, account: account, clock: "", at: now)
    }
}
