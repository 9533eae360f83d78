import GRDB
import StripeEngine
import StripeWire

/// `POST /v1/invoices/create_preview`: applies the proposed change and drafts the next invoice
/// inside a savepoint, captures it, and rolls everything back, so the preview uses exactly the
/// engine's own arithmetic and leaves nothing behind (no objects, events or ids).
enum Previews {
    static func compute(_ req: inout APIRequest, customer: JSONValue, subscription: JSONValue?) throws -> JSONValue {
        var change = SubscriptionChange()
        let base = ["subscription_details"]
        let n = try req.params.count(base + ["items"])
        for i in 0..<n {
            let p = base + ["items", String(i)]
            var item = SubscriptionChange.Item()
            item.id = try req.params.string(p + ["id"]).flatMap { $0.isEmpty ? nil : $0 }
            if let price = try req.params.string(p + ["price"]), !price.isEmpty {
                item.price = try Subscriptions.price(price, req, param: Params.name(p + ["price"]))
            }
            item.quantity = try req.params.int(p + ["quantity"])
            item.deleted = try req.params.bool(p + ["deleted"]) ?? false
            change.items.append(item)
        }
        change.prorationDate = try req.params.int(base + ["proration_date"])
        if let b = try req.params.string(base + ["proration_behavior"]), !b.isEmpty {
            guard ["create_prorations", "none", "always_invoice"].contains(b) else {
                throw StripeError.invalidValue("subscription_details[proration_behavior]", "must be create_prorations, none or always_invoice")
            }
            change.prorationBehavior = b
        }
        guard subscription != nil || change.items.isEmpty else {
            throw StripeError.invalidRequest("subscription_details[items] needs a subscription to preview against.", param: "subscription")
        }
        let ledger = req.ledger
        var captured: JSONValue = .null
        try req.db.inSavepoint {
            var l = ledger
            l.request = .automatic
            let now = try l.now(for: customer)
            if var sub = subscription {
                if !change.items.isEmpty {
                    // Preview prorations are immediate; an always_invoice change would be billed now.
                    var c = change
                    if c.prorationBehavior == "always_invoice" { c.prorationBehavior = "create_prorations" }
                    try SubscriptionEngine.update(&sub, c, l)
                }
                if change.prorationBehavior == "always_invoice", !change.items.isEmpty {
                    let pending = try Invoicing.pendingItems(l, customer: customer["id"].stringValue!, subscription: sub["id"].stringValue)
                    captured = try Invoicing.createDraft(l, customer: customer, subscription: sub, billingReason: "subscription_update",
                                                         lines: [], pendingItems: pending, period: (now, now), now: now,
                                                         autoAdvance: false, currency: sub["currency"].stringValue ?? "usd")
                } else {
                    let start = SubscriptionEngine.periodEnd(sub)
                    let recurring = SubscriptionEngine.items(sub).first?["price"]["recurring"] ?? .null
                    let end = PriceMath.periodEnd(start: start, recurring: recurring, anchor: sub["billing_cycle_anchor"].intValue ?? start)
                    // Metered items show the usage of the current period so far.
                    let usage = sub["status"] == "trialing" ? nil : (SubscriptionEngine.periodStart(sub), start)
                    let lines = try SubscriptionEngine.periodLines(sub, period: (start, end), trial: false, l, usage: usage)
                    let pending = try Invoicing.pendingItems(l, customer: customer["id"].stringValue!, subscription: sub["id"].stringValue)
                    captured = try Invoicing.createDraft(l, customer: customer, subscription: sub, billingReason: "upcoming", lines: lines,
                                                         pendingItems: pending, period: (SubscriptionEngine.periodStart(sub), start),
                                                         now: start, autoAdvance: false, currency: sub["currency"].stringValue ?? "usd")
                }
            } else {
                let pending = try Invoicing.pendingItems(l, customer: customer["id"].stringValue!, subscription: nil)
                captured = try Invoicing.createDraft(l, customer: customer, subscription: nil, billingReason: "upcoming", lines: [],
                                                     pendingItems: pending, period: (now, now), now: now, autoAdvance: false,
                                                     currency: pending.first?["currency"].stringValue ?? "usd")
            }
            return .rollback
        }
        // What the rolled-back savepoint wrote must not be read back from the transaction's copies.
        ledger.cache.forgetAll()
        captured["id"] = .string("upcoming_" + (captured["id"].stringValue ?? ""))
        captured["lines"]["url"] = "/v1/invoices/upcoming/lines"
        return captured
    }
}
