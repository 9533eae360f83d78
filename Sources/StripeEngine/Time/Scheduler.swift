import GRDB
import StripeWire

/// All timed behaviour is scheduled work: a row per future action, keyed by clock and due time.
///
/// Advancing a clock runs every due item in time order, each seeing "now" as its due time, then
/// returns. Nothing sleeps. The clock is a test clock id, or "" for the account's own clock.
package enum Scheduler {
    package enum Kind: String, CaseIterable {
        case trialWillEnd = "subscription.trial_will_end"
        case renew = "subscription.renew"
        case cancelAt = "subscription.cancel_at"
        case incompleteExpiry = "subscription.incomplete_expiry"
        case dunningEnd = "subscription.dunning_end"
        case finalizeInvoice = "invoice.finalize"
        case retryInvoice = "invoice.retry"
        case expireCheckout = "checkout.expire"
        case pendingUpdateExpiry = "subscription.pending_update_expiry"
        case scheduleAdvance = "subscription_schedule.advance"
        case scheduleExpiring = "subscription_schedule.expiring"
        case expireQuote = "quote.expire"
        case invoiceWillBeDue = "invoice.will_be_due"
        case invoiceOverdue = "invoice.overdue"
        case settleRefund = "refund.settle"
        case expireAuthorization = "payment_intent.authorization_expiry"
        case resolveDispute = "dispute.resolve"
        case disputeDeadline = "dispute.deadline"
        case settleDebit = "payment_intent.settle_debit"
    }

    package struct Item {
        package let seq: Int
        package let clock: String
        package let due: Int
        package let kind: Kind
        package let target: String
    }

    package static func schedule(_ ledger: Ledger, clock: String?, at due: Int, _ kind: Kind, target: String) throws {
        let account = ledger.account
        if (clock ?? "").isEmpty { ledger.cache.queuedWork = true }
        try RenderedWrite.execute(ledger.db, sql: "INSERT INTO due_work (account, clock, due, kind, target) VALUES (?, ?, ?, ?, ?)",
                                  [.text(account), .text(clock ?? ""), .int(due), .text(kind.rawValue), .text(target)])
    }

    package static func cancel(_ ledger: Ledger, _ kind: Kind, target: String) throws {
        let account = ledger.account
        try RenderedWrite.execute(ledger.db, sql: "DELETE FROM due_work WHERE account = ? AND target = ? AND kind = ?",
                                  [.text(account), .text(target), .text(kind.rawValue)])
    }

    package static func cancelAll(_ ledger: Ledger, target: String) throws {
        let account = ledger.account
        try ledger.db.cachedStatement(sql: "DELETE FROM due_work WHERE account = ? AND target = ?").execute(arguments: [account, target])
    }

    /// Replaces any pending item of this kind for the target.
    package static func reschedule(_ ledger: Ledger, clock: String?, at due: Int, _ kind: Kind, target: String) throws {
        try cancel(ledger, kind, target: target)
        try schedule(ledger, clock: clock, at: due, kind, target: target)
    }

    package static func pending(_ ledger: Ledger, target: String) throws -> [Item] {
        let account = ledger.account
        return try Row.fetchAll(ledger.db.cachedStatement(sql: "SELECT seq, clock, due, kind, target FROM due_work WHERE account = ? AND target = ? ORDER BY due, seq"),
                                arguments: [account, target]).compactMap(item)
    }

    package static func item(_ row: Row) -> Item? {
        guard let kind = Kind(rawValue: row["kind"]) else { return nil }
        return Item(seq: row["seq"], clock: row["clock"], due: row["due"], kind: kind, target: row["target"])
    }

    /// The earliest due time on a clock, if any work is pending.
    package static func nextDue(_ ledger: Ledger, clock: String) throws -> Int? {
        let account = ledger.account
        return try Int.fetchOne(ledger.db.cachedStatement(sql: "SELECT MIN(due) FROM due_work WHERE account = ? AND clock = ?"),
                                arguments: [account, clock])
    }

    /// The accounts with work due by now on their own clock (the background loop's question).
    package static func accountsWithDueWork(_ db: Database, wall: any WallClock) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT account FROM due_work WHERE clock = ''")).filter { account in
            try hasDue(db, account: account, clock: "", at: try AccountClock(db: db, account: account, wall: wall).now())
        }
    }

    /// Whether an item on `clock` is due at `now` (one index probe).
    package static func hasDue(_ db: Database, account: String, clock: String, at now: Int) throws -> Bool {
        try DirectLookup.int(db, sql: "SELECT EXISTS(SELECT 1 FROM due_work WHERE account = ? AND clock = ? AND due <= ?)",
                             [.text(account), .text(clock), .int(now)]) == 1
    }

    /// When the next item on `clock` after `now` falls due, if any.
    package static func nextDue(_ db: Database, account: String, clock: String, after now: Int) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MIN(due) FROM due_work WHERE account = ? AND clock = ? AND due > ?"),
                         arguments: [account, clock, now])
    }

    /// Forgets a deleted test clock's work.
    package static func deleteClock(_ db: Database, account: String, clock: String) throws {
        try db.cachedStatement(sql: "DELETE FROM due_work WHERE account = ? AND clock = ?").execute(arguments: [account, clock])
    }

    /// Forgets the account's scheduled work (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM due_work WHERE account = ?").execute(arguments: [account])
    }

    /// Runs every item due on `clock` up to `until`, in (due, insertion) order, including work
    /// that the items themselves schedule within the window. Returns how many ran.
    @discardableResult
    package static func run(_ ledger: Ledger, clock: String, until: Int, limit: Int? = nil) throws -> Int {
        try runChunk(ledger, clock: clock, until: until, limit: limit).ran
    }

    /// The last second a clock may reach (the end of the year 9999): later times are refused
    /// where a request names them, so no date arithmetic leaves the calendar.
    package static let maxTimestamp = 253_402_300_799

    /// Why due work stopped before the time it was asked to reach.
    package struct WorkLimitExceeded: Error, CustomStringConvertible {
        package let limit: Int
        package var description: String {
            "Moving time this far runs more than \(limit) scheduled items (renewals, retries, expiries) in one request; move it in smaller steps."
        }
    }

    /// What one ``runChunk(_:clock:until:limit:maxItems:)`` did.
    package struct Chunk {
        package var ran = 0
        /// The due time of the last item run (nil when none ran).
        package var lastDue: Int?
        /// Every item due by `until` ran.
        package var finished = true
    }

    /// Runs due items like ``run(_:clock:until:limit:)`` but stops after `maxItems` or once
    /// `maxDuration` has passed, so a long advance can commit and let other requests in between
    /// chunks. More than `limit` items
    /// throws ``WorkLimitExceeded`` (the transaction is rolled back by the caller).
    package static func runChunk(_ ledger: Ledger, clock: String, until: Int, limit: Int? = nil, maxItems: Int = .max,
                                 maxDuration: Duration? = nil) throws -> Chunk {
        let deadline = maxDuration.map { ContinuousClock.now + $0 }
        var chunk = Chunk()
        let account = ledger.account
        // Read and deleted through SQLite's C API: two statements per item of a long advance.
        while let (seq, next) = try DirectLookup.row(ledger.db, sql: """
            SELECT seq, clock, due, kind, target FROM due_work
            WHERE account = ? AND clock = ? AND due <= ? ORDER BY due, seq LIMIT 1
            """, [.text(account), .text(clock), .int(until)], { columns in
                (columns.int(0), Kind(rawValue: columns.text(3)).map {
                    Item(seq: columns.int(0), clock: columns.text(1), due: columns.int(2), kind: $0, target: columns.text(4))
                })
            }) {
            try RenderedWrite.execute(ledger.db, sql: "DELETE FROM due_work WHERE seq = ?", [.int(seq)])
            guard let item = next else { continue }
            var l = ledger
            l.request = .automatic
            l.timeOverride = (clock, item.due)
            try perform(item, &l)
            chunk.ran += 1
            chunk.lastDue = item.due
            if let limit, chunk.ran > limit { throw WorkLimitExceeded(limit: limit) }
            if chunk.ran >= maxItems || deadline.map({ ContinuousClock.now >= $0 }) == true {
                // A chunk ends between two instants, never inside one: what runs before the
                // webhooks of an instant are delivered must not depend on the machine's speed
                // (20 ms of work on one machine is 5 on another), or a scenario would not give
                // the same snapshots everywhere.
                if try nextDueTime(ledger.db, account: account, clock: clock, until: until) == item.due { continue }
                chunk.finished = !(try hasDue(ledger.db, account: account, clock: clock, at: until))
                return chunk
            }
        }
        return chunk
    }

    /// The earliest moment work is due at or before `until` (nil when none).
    static func nextDueTime(_ db: Database, account: String, clock: String, until: Int) throws -> Int? {
        try DirectLookup.int(db, sql: "SELECT MIN(due) FROM due_work WHERE account = ? AND clock = ? AND due <= ?",
                             [.text(account), .text(clock), .int(until)])
    }

    package static func perform(_ item: Item, _ ledger: inout Ledger) throws {
        switch item.kind {
        case .trialWillEnd: try SubscriptionEngine.trialWillEnd(item.target, &ledger)
        case .renew: try SubscriptionEngine.renew(item.target, &ledger)
        case .cancelAt: try SubscriptionEngine.cancelScheduled(item.target, &ledger)
        case .incompleteExpiry: try SubscriptionEngine.expireIncomplete(item.target, &ledger)
        case .dunningEnd: try Dunning.applyEndState(invoiceID: item.target, &ledger)
        case .finalizeInvoice: try Invoicing.autoFinalize(item.target, &ledger)
        case .retryInvoice: try Dunning.retry(invoiceID: item.target, &ledger)
        case .expireCheckout: try CheckoutEngine.expire(item.target, ledger, onlyIfDue: true)
        case .pendingUpdateExpiry: try SubscriptionEngine.expirePendingUpdate(item.target, ledger)
        case .scheduleAdvance: try ScheduleEngine.advance(item.target, ledger)
        case .scheduleExpiring: try ScheduleEngine.expiring(item.target, ledger)
        case .expireQuote: try QuoteEngine.expire(item.target, ledger)
        case .invoiceWillBeDue: try InvoiceDueDates.willBeDue(item.target, ledger)
        case .invoiceOverdue: try InvoiceDueDates.overdue(item.target, ledger)
        case .settleRefund: try RefundEngine.settle(item.target, ledger)
        case .expireAuthorization: try Capture.expire(item.target, ledger)
        case .resolveDispute: try DisputeEngine.resolve(item.target, ledger)
        case .disputeDeadline: try DisputeEngine.deadline(item.target, ledger)
        case .settleDebit: try BankDebit.settle(item.target, &ledger)
        }
    }
}
