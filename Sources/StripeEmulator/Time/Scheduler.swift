import GRDB
import StripeWire

/// All timed behaviour is scheduled work: a row per future action, keyed by clock and due time.
///
/// Advancing a clock runs every due item in time order, each seeing "now" as its due time, then
/// returns. Nothing sleeps. The clock is a test clock id, or "" for the account's own clock.
enum Scheduler {
    enum Kind: String, CaseIterable {
        case trialWillEnd = "subscription.trial_will_end"
        case renew = "subscription.renew"
        case cancelAt = "subscription.cancel_at"
        case incompleteExpiry = "subscription.incomplete_expiry"
        case dunningEnd = "subscription.dunning_end"
        case finalizeInvoice = "invoice.finalize"
        case retryInvoice = "invoice.retry"
        case expireCheckout = "checkout.expire"
    }

    struct Item {
        let seq: Int
        let clock: String
        let due: Int
        let kind: Kind
        let target: String
    }

    static func schedule(_ ledger: Ledger, clock: String?, at due: Int, _ kind: Kind, target: String) throws {
        let account = ledger.account
        try ledger.db.cachedStatement(sql: "INSERT INTO due_work (account, clock, due, kind, target) VALUES (?, ?, ?, ?, ?)").execute(arguments: [account, clock ?? "", due, kind.rawValue, target])
    }

    static func cancel(_ ledger: Ledger, _ kind: Kind, target: String) throws {
        let account = ledger.account
        try ledger.db.cachedStatement(sql: "DELETE FROM due_work WHERE account = ? AND target = ? AND kind = ?").execute(arguments: [account, target, kind.rawValue])
    }

    static func cancelAll(_ ledger: Ledger, target: String) throws {
        let account = ledger.account
        try ledger.db.cachedStatement(sql: "DELETE FROM due_work WHERE account = ? AND target = ?").execute(arguments: [account, target])
    }

    /// Replaces any pending item of this kind for the target.
    static func reschedule(_ ledger: Ledger, clock: String?, at due: Int, _ kind: Kind, target: String) throws {
        try cancel(ledger, kind, target: target)
        try schedule(ledger, clock: clock, at: due, kind, target: target)
    }

    static func pending(_ ledger: Ledger, target: String) throws -> [Item] {
        let account = ledger.account
        return try Row.fetchAll(ledger.db.cachedStatement(sql: "SELECT seq, clock, due, kind, target FROM due_work WHERE account = ? AND target = ? ORDER BY due, seq"),
                                arguments: [account, target]).compactMap(item)
    }

    static func item(_ row: Row) -> Item? {
        guard let kind = Kind(rawValue: row["kind"]) else { return nil }
        return Item(seq: row["seq"], clock: row["clock"], due: row["due"], kind: kind, target: row["target"])
    }

    /// The earliest due time on a clock, if any work is pending.
    static func nextDue(_ ledger: Ledger, clock: String) throws -> Int? {
        let account = ledger.account
        return try Int.fetchOne(ledger.db.cachedStatement(sql: "SELECT MIN(due) FROM due_work WHERE account = ? AND clock = ?"),
                                arguments: [account, clock])
    }

    /// Runs every item due on `clock` up to `until`, in (due, insertion) order, including work
    /// that the items themselves schedule within the window. Returns how many ran.
    @discardableResult
    static func run(_ ledger: Ledger, clock: String, until: Int) throws -> Int {
        var ran = 0
        let account = ledger.account
        while let row = try Row.fetchOne(ledger.db.cachedStatement(sql: """
            SELECT seq, clock, due, kind, target FROM due_work
            WHERE account = ? AND clock = ? AND due <= ? ORDER BY due, seq LIMIT 1
            """), arguments: [account, clock, until]) {
            let seq: Int = row["seq"]
            try ledger.db.cachedStatement(sql: "DELETE FROM due_work WHERE seq = ?").execute(arguments: [seq])
            guard let item = item(row) else { continue }
            var l = ledger
            l.request = .automatic
            l.timeOverride = (clock, item.due)
            try perform(item, &l)
            ran += 1
        }
        return ran
    }

    static func perform(_ item: Item, _ ledger: inout Ledger) throws {
        switch item.kind {
        case .trialWillEnd: try SubscriptionEngine.trialWillEnd(item.target, &ledger)
        case .renew: try SubscriptionEngine.renew(item.target, &ledger)
        case .cancelAt: try SubscriptionEngine.cancelScheduled(item.target, &ledger)
        case .incompleteExpiry: try SubscriptionEngine.expireIncomplete(item.target, &ledger)
        case .dunningEnd: try Dunning.applyEndState(invoiceID: item.target, &ledger)
        case .finalizeInvoice: try Invoicing.autoFinalize(item.target, &ledger)
        case .retryInvoice: try Dunning.retry(invoiceID: item.target, &ledger)
        case .expireCheckout: try CheckoutEngine.expire(item.target, ledger, onlyIfDue: true)
        }
    }
}
