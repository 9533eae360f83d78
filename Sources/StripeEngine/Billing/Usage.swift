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
    package static func aggregate(_ db: Database, account: String, eventName: String, customer: String, formula: String,
                                  start: Int, end: Int) throws -> Int {
        let from = formula == "last_ever" ? Int.min : start
        let rows = "FROM meter_events WHERE account = ? AND event_name = ? AND customer = ? AND ts >= ? AND ts < ? AND canceled = 0"
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
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: [account, eventName, customer, from, end]) ?? 0
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
    package static func quantity(item: JSONValue, sub: JSONValue, period: (Int, Int), _ ledger: Ledger) throws -> Int {
        let price = item["price"]
        if let meterID = price["recurring"]["meter"].stringValue {
            guard let meter = try ledger.store.find(meterID)?.object, let name = meter["event_name"].stringValue,
                  let customer = sub["customer"].stringValue else { return 0 }
            return try MeterEvents.aggregate(ledger.db, account: ledger.account, eventName: name, customer: customer,
                                             formula: meter["default_aggregation"]["formula"].stringValue ?? "sum",
                                             start: period.0, end: period.1)
        }
        return try legacyTotal(item: item["id"].stringValue ?? "", aggregate: price["recurring"]["aggregate_usage"].stringValue ?? "sum",
                               period: period, ledger)
    }

    package static func legacyTotal(item: String, aggregate: String, period: (Int, Int), _ ledger: Ledger) throws -> Int {
        try MeterEvents.aggregate(ledger.db, account: ledger.account, eventName: MeterEvents.legacyEventName, customer: item,
                                  formula: aggregate, start: period.0, end: period.1)
    }

    /// The line of a metered item: `quantity` = the usage over `usage` (nil: none billed yet, the
    /// first invoice charges 0), the amount from the price, the line's period the usage period.
    package static func line(_ sub: JSONValue, item: JSONValue, usage: (Int, Int)?, period: (Int, Int), _ ledger: Ledger) throws -> JSONValue {
        let price = item["price"]
        let product = try SubscriptionEngine.product(of: price, ledger)
        let q = try usage.map { try quantity(item: item, sub: sub, period: $0, ledger) } ?? 0
        let amount = usage == nil ? 0 : PriceMath.amount(price, quantity: q)
        var line = try Invoicing.subscriptionLine(ledger, invoiceID: nil, sub: sub, item: item, price: price, product: product, amount: amount,
                                                  description: SubscriptionEngine.describe(quantity: q, product: product, price: price),
                                                  period: usage ?? period)
        line["quantity"] = .int(q)
        return line
    }

    /// The metered lines only, for the final invoice of a canceled subscription.
    package static func lines(_ sub: JSONValue, usage: (Int, Int), _ ledger: Ledger) throws -> [JSONValue] {
        try SubscriptionEngine.items(sub).filter { isMetered($0["price"]) }.map { try line(sub, item: $0, usage: usage, period: usage, ledger) }
    }
}
