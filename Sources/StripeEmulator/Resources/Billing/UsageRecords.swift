import StripeEngine
import StripeWire

/// Legacy usage-based billing, for integrations on API versions before 2025-03-31.basil:
/// `POST /v1/subscription_items/{id}/usage_records` and `GET .../usage_record_summaries` on
/// items whose metered price has no meter (its `recurring[aggregate_usage]` aggregates the
/// records). From basil on Stripe removed both routes: they answer its 404 for an unknown URL.
enum UsageRecords {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/subscription_items/{id}/usage_records", create)
        r.get("/v1/subscription_items/{id}/usage_record_summaries", summaries)
    }

    /// The item, on a version that still has the route, with a legacy metered price.
    static func legacyItem(_ req: APIRequest) throws -> JSONValue {
        guard req.version < BasilInvoicingAndPeriods.version else {
            throw StripeError.invalidRequest(
                "Unrecognized request URL (\(req.method): \(req.path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                status: 404)
        }
        let item = try req.store.get(req.pathParam(), type: "subscription_item", noun: "subscription item")
        let price = item["price"]
        guard Usage.isMetered(price) else {
            throw StripeError.invalidRequest(
                "Usage records can only be created for subscription items with a metered price (`recurring[usage_type]=metered`); `\(item["id"].stringValue ?? "")` is licensed.",
                param: "subscription_item")
        }
        guard price["recurring"]["meter"].isNull else {
            throw StripeError.invalidRequest(
                "The price of `\(item["id"].stringValue ?? "")` is backed by a billing meter: report its usage with meter events (`/v1/billing/meter_events`), not usage records.",
                param: "subscription_item")
        }
        return item
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let item = try legacyItem(req)
        let itemID = item["id"].stringValue!
        guard let quantity = try req.params.int("quantity") else { throw StripeError.missingParam("quantity") }
        guard quantity >= 0 else { throw StripeError.invalidRequest("Invalid quantity: must be at least 0.", param: "quantity") }
        let action = try req.params.choice("action", in: ["increment", "set"]) ?? "increment"
        let sub = try req.store.get(item["subscription"].stringValue ?? "", type: "subscription")
        let now = try req.ledger.now(for: sub)
        let timestamp: Int
        if let t = try req.params.string("timestamp"), !t.isEmpty, t != "now" {
            guard let v = Int(t) else { throw StripeError.invalidRequest("Invalid timestamp: must be an integer or `now`.", param: "timestamp") }
            timestamp = v
        } else {
            timestamp = now
        }
        let periodStart = item["current_period_start"].intValue ?? now
        guard timestamp >= periodStart else {
            throw StripeError.invalidRequest(
                "Cannot create the usage record with this timestamp because timestamps must be after the subscription's last invoice period (or current period start time).",
                param: "timestamp")
        }
        guard timestamp <= now + 5 * 60 else {
            throw StripeError.invalidRequest("Cannot create the usage record with this timestamp because it is in the future.", param: "timestamp")
        }
        let id = try req.newID("mbur")
        if action == "set" { try MeterEvents.replaceAt(req.db, account: req.account, item: itemID, timestamp: timestamp) }
        try MeterEvents.insert(req.db, account: req.account, eventName: MeterEvents.legacyEventName, customer: itemID, timestamp: timestamp,
                               value: quantity, identifier: id, created: now)
        try Usage.checkThresholds(customer: sub["customer"].stringValue ?? "", now: now, req.ledger)
        return ["id": .string(id), "object": "usage_record", "livemode": false, "quantity": .int(quantity),
                "subscription_item": .string(itemID), "timestamp": .int(timestamp)]
    }

    /// The current period's summary (earlier periods were invoiced: their totals are on the invoices).
    static func summaries(_ req: inout APIRequest) throws -> JSONValue {
        let item = try legacyItem(req)
        _ = try req.listPage(createdFilter: false)
        let itemID = item["id"].stringValue!
        let start = item["current_period_start"].intValue ?? 0, end = item["current_period_end"].intValue ?? 0
        let total = try Usage.legacyTotal(item: itemID, aggregate: item["price"]["recurring"]["aggregate_usage"].stringValue ?? "sum",
                                          period: (start, end), req.ledger)
        let suffix = itemID.split(separator: "_").last.map(String.init) ?? itemID
        let summary: JSONValue = ["id": .string("sis_\(suffix)_\(start)"), "object": "usage_record_summary", "invoice": nil, "livemode": false,
                                  "period": ["end": .int(end), "start": .int(start)], "subscription_item": .string(itemID),
                                  "total_usage": .int(total)]
        return ["object": "list", "data": [summary], "has_more": false,
                "url": .string("/v1/subscription_items/\(itemID)/usage_record_summaries")]
    }
}
