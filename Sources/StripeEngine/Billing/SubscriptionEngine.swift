import StripeWire

/// What a new subscription asks for, parsed from the API (or built by Checkout).
package struct NewSubscription {
    package struct Item {
        package var price: JSONValue
        package var quantity: Int
        package var metadata: JSONValue
        package var taxRates: [JSONValue] = []
        package var discounts: [DiscountRequest] = []

        package init(price: JSONValue, quantity: Int, metadata: JSONValue, taxRates: [JSONValue] = [], discounts: [DiscountRequest] = []) {
            self.price = price
            self.quantity = quantity
            self.metadata = metadata
            self.taxRates = taxRates
            self.discounts = discounts
        }
    }

    package init(customer: JSONValue, items: [Item]) {
        self.customer = customer
        self.items = items
    }

    package var customer: JSONValue
    package var items: [Item]
    package var defaultPaymentMethod: String?
    /// A legacy card source of the customer's (`default_source`), charged when no payment method is set.
    package var defaultSource: String?
    /// Absolute trial end; nil for no trial.
    package var trialEnd: Int?
    package var missingPaymentMethod = "create_invoice"
    package var paymentBehavior = "allow_incomplete"
    package var billingCycleAnchor: Int?
    package var prorationBehavior = "create_prorations"
    package var cancelAtPeriodEnd = false
    package var cancelAt: Int?
    package var metadata: JSONValue = [:]
    package var description: String?
    package var collectionMethod = "charge_automatically"
    package var daysUntilDue: Int?
    package var offSession = false
    /// The customer completed 3D Secure for this first payment (Checkout's challenge).
    package var authenticated = false
    package var discounts: [DiscountRequest] = []
    package var defaultTaxRates: [JSONValue] = []
    /// The subscription schedule that creates it (`schedule`).
    package var scheduleID: String?
    /// `billing_thresholds` (`amount_gte`): metered usage worth that much is invoiced early.
    package var billingThresholds: JSONValue = nil
}

/// Subscriptions: creation with its first invoice, and the shape they are rendered and saved in.
/// The timed part of their life is in `SubscriptionLifecycle.swift`, changes in `SubscriptionChanges.swift`.
extension JSONValue {
    /// Stripe's metered subscription items have no `quantity`: their usage is measured.
    var withoutQuantityIfMetered: JSONValue {
        guard Usage.isMetered(self["price"]) else { return self }
        var o = self
        remove(&o, ["quantity"])
        return o
    }
}

package enum SubscriptionEngine {
    package static func subscriptionID(of invoice: JSONValue) -> String? {
        invoice["parent"]["subscription_details"]["subscription"].stringValue
    }

    package static func items(_ sub: JSONValue) -> [JSONValue] { sub["items"]["data"].arrayValue ?? [] }

    package static func periodStart(_ sub: JSONValue) -> Int { items(sub).first?["current_period_start"].intValue ?? 0 }
    package static func periodEnd(_ sub: JSONValue) -> Int { items(sub).first?["current_period_end"].intValue ?? 0 }

    package static func setPeriod(_ sub: inout JSONValue, start: Int, end: Int) {
        sub["items"]["data"] = .array(items(sub).map { item in
            var i = item
            i["current_period_start"] = .int(start)
            i["current_period_end"] = .int(end)
            return i
        })
    }

    /// Saves the subscription and mirrors its items as `subscription_item` objects.
    package static func save(_ sub: JSONValue, _ ledger: Ledger) throws {
        let subID = sub["id"].stringValue!
        let previous = Set(items(try ledger.store.find(subID)?.object ?? .null).compactMap { $0["id"].stringValue })
        try ledger.store.update(sub)
        let current = Set(items(sub).compactMap { $0["id"].stringValue })
        for removed in previous.subtracting(current) { try ledger.store.remove(removed) }
        for item in items(sub) {
            if previous.contains(item["id"].stringValue!) {
                try ledger.store.update(item)
            } else if try ledger.store.find(item["id"].stringValue!) == nil {
                try ledger.store.insert(item, type: "subscription_item")
            }
        }
    }

    package static func makeItem(_ ledger: Ledger, subID: String, price: JSONValue, quantity: Int, metadata: JSONValue,
                         period: (Int, Int), now: Int) throws -> JSONValue {
        let item: JSONValue = [
            "id": .string(try ledger.newID("si")), "object": "subscription_item", "billing_thresholds": nil,
            "created": .int(now), "current_period_end": .int(period.1), "current_period_start": .int(period.0),
            "discounts": [], "metadata": metadata, "price": price, "quantity": .int(quantity),
            "subscription": .string(subID), "tax_rates": [],
        ]
        return item.withoutQuantityIfMetered
    }

    package static func product(of price: JSONValue, _ ledger: Ledger) throws -> JSONValue {
        try ledger.store.find(price["product"].stringValue ?? "")?.object ?? ["id": price["product"], "name": "Unknown product"]
    }

    package static func describe(quantity: Int, product: JSONValue, price: JSONValue) -> String {
        let unit = price["unit_amount"].intValue ?? 0
        let r = price["recurring"]
        let count = r["interval_count"].intValue ?? 1
        let interval = r["interval"].stringValue ?? "month"
        let every = count == 1 ? interval : "every \(count) \(interval)s"
        // A tiered price has no one unit price to quote.
        if price["billing_scheme"] == "tiered" { return "\(quantity) × \(product["name"].stringValue ?? "") (tiered / \(every))" }
        return "\(quantity) × \(product["name"].stringValue ?? "") (at \(PriceMath.money(unit, price["currency"].stringValue ?? "usd")) / \(every))"
    }

    /// The full-period line of each item.
    /// `usage`: the period whose usage metered items bill in arrears (nil: nothing yet, 0).
    package static func periodLines(_ sub: JSONValue, period: (Int, Int), trial: Bool, _ ledger: Ledger,
                            factor: (Int, Int)? = nil, usage: (Int, Int)? = nil) throws -> [JSONValue] {
        try items(sub).map { item in
            let price = item["price"]
            if Usage.isMetered(price) { return try Usage.line(sub, item: item, usage: trial ? nil : usage, period: period, ledger) }
            let product = try product(of: price, ledger)
            let q = item["quantity"].intValue ?? 1
            var amount = trial ? 0 : PriceMath.amount(price, quantity: q)
            var description = trial ? "Trial period for \(product["name"].stringValue ?? "")" : describe(quantity: q, product: product, price: price)
            if let (part, whole) = factor, whole > 0, !trial {
                amount = Int((Double(amount) * Double(part) / Double(whole)).rounded())
                description = "Remaining time on \(description) after \(PriceMath.date(period.0))"
            }
            return try Invoicing.subscriptionLine(ledger, invoiceID: nil, sub: sub, item: item, price: price, product: product,
                                                  amount: amount, description: description, period: period)
        }
    }

    package static func hasPaymentMethod(_ sub: JSONValue, _ ledger: Ledger) throws -> Bool {
        if sub["default_payment_method"].stringValue != nil || sub["default_source"].stringValue != nil { return true }
        guard let c = sub["customer"].stringValue, let customer = try ledger.store.find(c)?.object else { return false }
        // A legacy default source (a card) pays too.
        return customer["invoice_settings"]["default_payment_method"].stringValue != nil || customer["default_source"].stringValue != nil
    }

    // MARK: Create

    package static func create(_ new: NewSubscription, _ ledger: Ledger) throws -> JSONValue {
        let customer = new.customer
        let clock = customer["test_clock"].stringValue
        let now = try ledger.now(clock: clock)
        let id = try ledger.newID("sub")
        let first = new.items[0].price
        let currency = first["currency"].stringValue ?? "usd"
        let trial = (new.trialEnd ?? 0) > now
        let anchor = new.billingCycleAnchor ?? (trial ? new.trialEnd! : now)
        var periodEnd: Int
        var factor: (Int, Int)? = nil
        if trial {
            periodEnd = new.trialEnd!
        } else if let a = new.billingCycleAnchor, a > now {
            periodEnd = a
            let full = PriceMath.periodEnd(start: a, recurring: first["recurring"], anchor: a) - a
            if new.prorationBehavior != "none" { factor = (a - now, full) } else { factor = (0, 1) }
        } else {
            periodEnd = PriceMath.periodEnd(start: now, recurring: first["recurring"], anchor: anchor)
        }
        let period = (now, periodEnd)
        var items: [JSONValue] = []
        let customerID = customer["id"].stringValue
        for i in new.items {
            var item = try makeItem(ledger, subID: id, price: i.price, quantity: i.quantity, metadata: i.metadata, period: period, now: now)
            item["tax_rates"] = .array(i.taxRates)
            let target = Discounts.Target(customer: customerID, subscription: id, subscriptionItem: item["id"].stringValue)
            item["discounts"] = .array(try DiscountRequest.apply(i.discounts, target: target, now: now, ledger).map { $0.discount["id"] })
            items.append(item)
        }
        let discounts = try DiscountRequest.apply(new.discounts, target: .init(customer: customerID, subscription: id), now: now, ledger)
        var sub: JSONValue = [
            "id": .string(id), "object": "subscription", "application": nil, "application_fee_percent": nil,
            "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil],
            "billing_cycle_anchor": .int(anchor), "billing_cycle_anchor_config": nil,
            "billing_mode": ["flexible": nil, "type": "classic"], "billing_thresholds": new.billingThresholds,
            "cancel_at": nil, "cancel_at_period_end": false, "canceled_at": nil,
            "cancellation_details": ["comment": nil, "feedback": nil, "reason": nil],
            "collection_method": .string(new.collectionMethod), "created": .int(now), "currency": .string(currency),
            "customer": customer["id"], "customer_account": nil, "days_until_due": .from(new.daysUntilDue),
            "default_payment_method": .from(new.defaultPaymentMethod), "default_source": .from(new.defaultSource),
            "default_tax_rates": .array(new.defaultTaxRates), "description": .from(new.description),
            "discounts": .array(discounts.map { $0.discount["id"] }), "ended_at": nil,
            "invoice_settings": ["account_tax_ids": nil, "issuer": ["type": "self"]],
            "items": ["object": "list", "data": .array(items), "has_more": false, "total_count": .int(items.count),
                      "url": .string("/v1/subscription_items?subscription=\(id)")],
            "latest_invoice": nil, "livemode": false, "metadata": new.metadata, "next_pending_invoice_item_invoice": nil,
            "on_behalf_of": nil, "pause_collection": nil,
            "payment_settings": ["payment_method_options": nil, "payment_method_types": nil, "save_default_payment_method": "off"],
            "pending_invoice_item_interval": nil, "pending_setup_intent": nil, "pending_update": nil, "schedule": nil,
            "start_date": .int(now), "status": trial ? "trialing" : "incomplete", "test_clock": .from(clock),
            "transfer_data": nil, "trial_end": trial ? .int(new.trialEnd!) : nil,
            "trial_settings": ["end_behavior": ["missing_payment_method": .string(new.missingPaymentMethod)]],
            "trial_start": trial ? .int(now) : nil,
        ]
        if new.cancelAtPeriodEnd {
            sub["cancel_at_period_end"] = true
            sub["cancel_at"] = .int(periodEnd)
            sub["canceled_at"] = .int(now)
        } else if let at = new.cancelAt {
            sub["cancel_at"] = .int(at)
            sub["canceled_at"] = .int(now)
        }
        let lines = try periodLines(sub, period: period, trial: trial, ledger, factor: factor)
        let amount = try MoneyMath.total(lines.map { $0["amount"].intValue ?? 0 })
        let charges = new.collectionMethod == "charge_automatically" && !trial && amount > 0
        sub["schedule"] = .from(new.scheduleID)
        if charges, new.paymentBehavior != "default_incomplete", !(try hasPaymentMethod(sub, ledger)) {
            throw StripeError.invalidRequest(
                "This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.",
                code: "resource_missing")
        }
        try ledger.store.insert(sub, type: "subscription")
        for item in items { try ledger.store.insert(item, type: "subscription_item") }
        let createdEvent = try EventLog.emit(ledger, type: .customerSubscriptionCreated, object: sub, previous: nil)
        for d in discounts where d.created { try ledger.emit(.customerDiscountCreated, d.discount) }

        let pending = try Invoicing.pendingItems(ledger, customer: customer["id"].stringValue!, subscription: nil)
            .filter { $0["parent"]["subscription_details"].isNull }
        var invoice = try Invoicing.createDraft(
            ledger, customer: customer, subscription: sub, billingReason: "subscription_create", lines: lines,
            pendingItems: pending, period: (now, now), now: now, autoAdvance: new.collectionMethod == "send_invoice",
            collectionMethod: new.collectionMethod, daysUntilDue: new.daysUntilDue, currency: currency)
        // Saved once below with its final status: nothing in between reads it back.
        sub["latest_invoice"] = invoice["id"]

        var status = trial ? "trialing" : "incomplete"
        if new.collectionMethod == "send_invoice" {
            if !trial { status = "active" }
        } else {
            try Invoicing.finalize(&invoice, ledger)
            if invoice["status"] == "paid" {
                if !trial { status = "active" }
            } else if new.paymentBehavior == "default_incomplete" {
                var inv = invoice
                _ = try Invoicing.intent(for: &inv, amount: inv["amount_remaining"].intValue ?? 0, ledger, now: now)
                try ledger.store.update(inv)
            } else {
                let result = try Invoicing.collect(&invoice, ledger, offSession: new.offSession, authenticated: new.authenticated)
                if result == .paid {
                    status = "active"
                } else if new.paymentBehavior == "error_if_incomplete" {
                    // Nothing is kept: the transaction rolls back with the card error, which
                    // therefore names no payment intent or charge (they no longer exist).
                    if case .failed(let decline?) = result { throw decline.error() }
                    throw StripeError(status: 402, type: .cardError, code: "subscription_payment_intent_requires_action",
                                      message: "Payment for this subscription requires additional user action before it can be completed successfully.")
                }
            }
        }
        sub["status"] = .string(status)
        try ledger.store.update(sub)
        try EventLog.replaceObject(ledger, eventID: createdEvent, with: sub)
        if status == "incomplete" {
            try Scheduler.schedule(ledger, clock: clock, at: now + 23 * 3600, .incompleteExpiry, target: id)
        } else {
            try scheduleLife(sub, ledger, now: now)
        }
        if trial { try scheduleTrialWillEnd(sub, ledger, now: now) }
        return sub
    }

    /// Schedules the renewal (or cancellation) at the period end and any mid-period `cancel_at`.
    package static func scheduleLife(_ sub: JSONValue, _ ledger: Ledger, now: Int) throws {
        let id = sub["id"].stringValue!
        let clock = sub["test_clock"].stringValue
        let end = periodEnd(sub)
        try Scheduler.reschedule(ledger, clock: clock, at: end, .renew, target: id)
        try Scheduler.cancel(ledger, .cancelAt, target: id)
        if let at = sub["cancel_at"].intValue, at < end {
            try Scheduler.schedule(ledger, clock: clock, at: max(at, now), .cancelAt, target: id)
        }
    }

    /// `customer.subscription.trial_will_end` three days before the trial ends, or at once when less remains.
    package static func scheduleTrialWillEnd(_ sub: JSONValue, _ ledger: Ledger, now: Int) throws {
        guard let trialEnd = sub["trial_end"].intValue, sub["status"] == "trialing" else { return }
        let id = sub["id"].stringValue!
        try Scheduler.cancel(ledger, .trialWillEnd, target: id)
        let at = trialEnd - 3 * 86400
        if at <= now {
            try ledger.emit(.customerSubscriptionTrialWillEnd, sub)
        } else {
            try Scheduler.schedule(ledger, clock: sub["test_clock"].stringValue, at: at, .trialWillEnd, target: id)
        }
    }
}
