import GRDB
import StripeWire

/// The owner of the `meter_events` table: billing meter events (`/v1/billing/meter_events`) and,
/// for API versions before basil, legacy usage records, which are stored under the event name
/// ``legacyEventName`` with the subscription item in the `customer` column. Rows are aggregated
/// by time range, never rendered one by one after their creation.
package enum MeterEvents {
    package static let legacyEventName = "\u{0}usage_record"
    /// Identifiers are unique "within a rolling period of at least 24 hours".
    package static let dedupWindow = 24 * 3600

    package static func insert(_ db: Database, account: String, eventName: String, customer: String, timestamp: Int, value: Int,
                               identifier: String, created: Int) throws {
        try db.cachedStatement(sql: """
            INSERT INTO meter_events (account, event_name, customer, ts, value, identifier, created) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, eventName, customer, timestamp, value, identifier, created])
    }

    /// An event with this identifier was received in the last 24 hours.
    package static func seen(_ db: Database, account: String, identifier: String, now: Int) throws -> Bool {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM meter_events WHERE account = ? AND identifier = ? AND created > ? LIMIT 1
            """), arguments: [account, identifier, now - dedupWindow]) != nil
    }

    /// Cancels the events with this identifier (an adjustment of type `cancel`); false when none is live.
    package static func cancel(_ db: Database, account: String, eventName: String, identifier: String) throws -> Bool {
        try db.cachedStatement(sql: """
            UPDATE meter_events SET canceled = 1 WHERE account = ? AND event_name = ? AND identifier = ? AND canceled = 0
            """).execute(arguments: [account, eventName, identifier])
        return db.changesCount > 0
    }

    /// A legacy `action=set` record replaces the item's records at the same timestamp.
    package static func replaceAt(_ db: Database, account: String, item: String, timestamp: Int) throws {
        try db.cachedStatement(sql: """
            UPDATE meter_events SET canceled = 1 WHERE account = ? AND event_name = ? AND customer = ? AND ts = ? AND canceled = 0
            """).execute(arguments: [account, legacyEventName, item, timestamp])
    }

    /// The aggregate of the live events in `[start, end)`: `sum`, `count`, `last` (by timestamp),
    /// `max`, or `last_ever` (the last one before `end`, however old).
    /// `afterSeq`: only rows stored after that one (what a threshold invoice has not billed yet).
    package static func aggregate(_ db: Database, account: String, eventName: String, customer: String, formula: String,
                                  start: Int, end: Int, afterSeq: Int = 0) throws -> Int {
        let from = formula == "last_ever" ? Int.min : start
        let rows = "FROM meter_events WHERE account = ? AND event_name = ? AND customer = ? AND ts >= ? AND ts < ? AND canceled = 0 AND seq > ?"
        let sql: String
        switch formula {
        case "count": sql = "SELECT COUNT(*) " + rows
        // A meter's `last`: the value of the latest event.
        case "last": sql = "SELECT value " + rows + " ORDER BY ts DESC, seq DESC LIMIT 1"
        // Legacy usage records: the records of one timestamp add up (`increment`) to that moment's usage.
        case "max": sql = "SELECT COALESCE(MAX(total), 0) FROM (SELECT SUM(value) AS total " + rows + " GROUP BY ts)"
        case "last_ever", "last_during_period": sql = "SELECT SUM(value) " + rows + " GROUP BY ts ORDER BY ts DESC LIMIT 1"
        default: sql = "SELECT COALESCE(SUM(value), 0) " + rows
        }
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: [account, eventName, customer, from, end, afterSeq]) ?? 0
    }

    /// The newest row's `seq` (0 when none).
    package static func lastSeq(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) FROM meter_events")) ?? 0
    }

    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM meter_events WHERE account = ?").execute(arguments: [account])
    }
}

/// Usage-based billing: what a metered subscription item bills for a period, in arrears.
package enum Usage {
    package static func isMetered(_ price: JSONValue) -> Bool { price["recurring"]["usage_type"] == "metered" }

    /// Stripe refuses a quantity on an item whose price is metered.
    package static func quantityOnMetered(param: String) -> StripeError {
        StripeError.invalidRequest("Quantity should not be specified where usage_type is `metered`. Remove quantity from `\(param.replacingOccurrences(of: "[quantity]", with: ""))`.",
                                   param: param)
    }

    /// The aggregated usage of a metered item over `[start, end)`: from its price's meter's events
    /// for the subscription's customer, else (legacy prices) from the item's usage records.
    package static func quantity(item: JSONValue, sub: JSONValue, period: (Int, Int), afterSeq: Int = 0, _ ledger: Ledger) throws -> Int {
        let price = item["price"]
        if let meterID = price["recurring"]["meter"].stringValue {
            guard let meter = try ledger.store.find(meterID)?.object, let name = meter["event_name"].stringValue,
                  let customer = sub["customer"].stringValue else { return 0 }
            return try MeterEvents.aggregate(ledger.db, account: ledger.account, eventName: name, customer: customer,
                                             formula: meter["default_aggregation"]["formula"].stringValue ?? "sum",
                                             start: period.0, end: period.1, afterSeq: afterSeq)
        }
        return try legacyTotal(item: item["id"].stringValue ?? "", aggregate: price["recurring"]["aggregate_usage"].stringValue ?? "sum",
                               period: period, afterSeq: afterSeq, ledger)
    }

    package static func legacyTotal(item: String, aggregate: String, period: (Int, Int), afterSeq: Int = 0, _ ledger: Ledger) throws -> Int {
        try MeterEvents.aggregate(ledger.db, account: ledger.account, eventName: MeterEvents.legacyEventName, customer: item,
                                  formula: aggregate, start: period.0, end: period.1, afterSeq: afterSeq)
    }

    /// The line of a metered item: `quantity` = the usage over `usage` (nil: none billed yet, the
    /// first invoice charges 0), the amount from the price, the line's period the usage period.
    package static func line(_ sub: JSONValue, item: JSONValue, usage: (Int, Int)?, period: (Int, Int), _ ledger: Ledger) throws -> JSONValue {
        let price = item["price"]
        let product = try SubscriptionEngine.product(of: price, ledger)
        // Usage a billing threshold already invoiced (the events stored up to then) is not billed
        // again; the line's period starts at that invoice.
        let billed = try thresholdMarker(sub, ledger)
        var shown = usage
        if let u = usage, let until = billed.until, until > u.0 { shown = (min(until, u.1), u.1) }
        let q = try usage.map { try quantity(item: item, sub: sub, period: $0, afterSeq: billed.seq, ledger) } ?? 0
        let amount = usage == nil ? 0 : PriceMath.amount(price, quantity: q)
        var line = try Invoicing.subscriptionLine(ledger, invoiceID: nil, sub: sub, item: item, price: price, product: product, amount: amount,
                                                  description: SubscriptionEngine.describe(quantity: q, product: product, price: price),
                                                  period: shown ?? period)
        line["quantity"] = .int(q)
        return line
    }

    /// The last threshold invoice of the subscription: when, and the last usage row it billed.
    static func thresholdMarker(_ sub: JSONValue, _ ledger: Ledger) throws -> (until: Int?, seq: Int) {
        guard let id = sub["id"].stringValue else { return (nil, 0) }
        let hidden = try ledger.store.hidden(id)
        return (hidden["usage_billed_until"].intValue, hidden["usage_billed_seq"].intValue ?? 0)
    }

    /// After usage was reported for `customer`: each of its live subscriptions with
    /// `billing_thresholds[amount_gte]` whose metered usage since the last invoice is worth at
    /// least that much is invoiced now (`billing_reason=subscription_threshold`), finalized and
    /// charged; the next renewal bills only the usage after it.
    package static func checkThresholds(customer: String, now: Int, _ ledger: Ledger) throws {
        let subs = try ledger.store.all(type: "subscription", filters: [.column("customer", customer)])
        for var sub in subs where ["active", "past_due"].contains(sub["status"].stringValue ?? "") {
            guard let gte = sub["billing_thresholds"]["amount_gte"].intValue,
                  SubscriptionEngine.items(sub).contains(where: { isMetered($0["price"]) }) else { continue }
            let subNow = try ledger.now(for: sub)
            let start = SubscriptionEngine.periodStart(sub)
            let lines = try lines(sub, usage: (start, subNow + 1), ledger)
            let amount = try MoneyMath.total(lines.map { $0["amount"].intValue ?? 0 })
            guard amount >= gte else { continue }
            let from = max(start, try thresholdMarker(sub, ledger).until ?? start)
            let customerObject = try ledger.store.get(customer, type: "customer")
            let collection = sub["collection_method"].stringValue ?? "charge_automatically"
            var invoice = try Invoicing.createDraft(
                ledger, customer: customerObject, subscription: sub, billingReason: "subscription_threshold", lines: lines,
                pendingItems: [], period: (from, subNow), now: subNow, autoAdvance: true, collectionMethod: collection,
                daysUntilDue: sub["days_until_due"].intValue, currency: sub["currency"].stringValue ?? "usd")
            var hidden = try ledger.store.hidden(sub["id"].stringValue!)
            hidden["usage_billed_until"] = .int(subNow)
            hidden["usage_billed_seq"] = .int(try MeterEvents.lastSeq(ledger.db))
            try ledger.store.setHidden(sub["id"].stringValue!, hidden)
            sub["latest_invoice"] = invoice["id"]
            try ledger.store.update(sub)
            try Invoicing.finalize(&invoice, ledger)
            if collection == "charge_automatically", invoice["status"] == "open" {
                let result = try Invoicing.collect(&invoice, ledger, offSession: true)
                try SubscriptionEngine.afterCollection(invoice: invoice, result: result, ledger)
            }
        }
    }

    /// The metered lines only, for the final invoice of a canceled subscription.
    package static func lines(_ sub: JSONValue, usage: (Int, Int), _ ledger: Ledger) throws -> [JSONValue] {
        try SubscriptionEngine.items(sub).filter { isMetered($0["price"]) }.map { try line(sub, item: $0, usage: usage, period: usage, ledger) }
    }
}
