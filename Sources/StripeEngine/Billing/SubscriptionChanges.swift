import StripeWire

/// A requested change to a subscription (`POST /v1/subscriptions/{id}`, subscription items, the portal).
package struct SubscriptionChange {
    package struct Item {
        package var id: String?
        package var price: JSONValue?
        package var quantity: Int?
        package var deleted = false
        package var metadata: JSONValue?
        package var taxRates: [JSONValue]?
        package var discounts: [DiscountRequest]?

        package init(id: String? = nil, price: JSONValue? = nil, quantity: Int? = nil, deleted: Bool = false, metadata: JSONValue? = nil) {
            self.id = id
            self.price = price
            self.quantity = quantity
            self.deleted = deleted
            self.metadata = metadata
        }
    }

    package init(items: [Item] = []) {
        self.items = items
    }

    package enum TrialEnd { case now, at(Int) }

    package var items: [Item] = []
    package var prorationBehavior = "create_prorations"
    package var prorationDate: Int?
    package var cancelAtPeriodEnd: Bool?
    /// `.some(nil)` unsets `cancel_at`.
    package var cancelAt: Int??
    package var trialEnd: TrialEnd?
    package var defaultPaymentMethod: String??
    package var defaultSource: String??
    package var metadata: JSONValue?
    package var description: String??
    /// `.some(nil)` removes `billing_thresholds`.
    package var billingThresholds: JSONValue??
    package var cancellationReason: String??
    package var cancellationComment: String??
    package var cancellationFeedback: String??
    package var billingCycleAnchorNow = false
    package var paymentBehavior = "allow_incomplete"
    package var missingPaymentMethod: String?
    /// Replaces the subscription's discounts ([] removes them all).
    package var discounts: [DiscountRequest]?
    package var defaultTaxRates: [JSONValue]?
}

extension SubscriptionEngine {
    /// Applies a change as `allow_incomplete` does (see `SubscriptionPaymentBehavior.swift` for the others).
    static func applyChange(_ sub: inout JSONValue, _ change: SubscriptionChange, _ ledger: Ledger) throws {
        let collect = change.paymentBehavior != "default_incomplete"
        let status = sub["status"].stringValue ?? ""
        let terminal = ["canceled", "incomplete_expired"].contains(status)
        if terminal, !change.items.isEmpty || change.cancelAtPeriodEnd != nil || change.trialEnd != nil || change.cancelAt != nil {
            throw StripeError.invalidRequest(
                "A canceled subscription can only update its cancellation_details and metadata.", code: "resource_missing")
        }
        let now = try ledger.now(for: sub)
        let before = sub
        if let m = change.metadata { sub["metadata"] = m }
        if let d = change.description { sub["description"] = .from(d) }
        if let t = change.billingThresholds { sub["billing_thresholds"] = t ?? nil }
        if let pm = change.defaultPaymentMethod { sub["default_payment_method"] = .from(pm) }
        if let source = change.defaultSource { sub["default_source"] = .from(source) }
        if let r = change.cancellationReason { sub["cancellation_details"]["reason"] = .from(r) }
        if let c = change.cancellationComment { sub["cancellation_details"]["comment"] = .from(c) }
        if let f = change.cancellationFeedback { sub["cancellation_details"]["feedback"] = .from(f) }
        if let mpm = change.missingPaymentMethod { sub["trial_settings"]["end_behavior"]["missing_payment_method"] = .string(mpm) }
        if let rates = change.defaultTaxRates { sub["default_tax_rates"] = .array(rates) }
        if let requests = change.discounts { try replaceDiscounts(&sub, with: requests, now: now, ledger) }
        if let atEnd = change.cancelAtPeriodEnd {
            sub["cancel_at_period_end"] = .bool(atEnd)
            sub["cancel_at"] = atEnd ? .int(periodEnd(sub)) : .null
            sub["canceled_at"] = atEnd ? .int(now) : .null
            if !atEnd { sub["cancellation_details"] = ["comment": nil, "feedback": nil, "reason": nil] }
        }
        // `cancel_at` inside the current period credits the unused time after it (unless
        // `proration_behavior=none`); one in a later period shortens that period's bill instead
        // (see `startNextPeriod`).
        var cancelAtCredit: Int? = nil
        if let cancelAt = change.cancelAt, let old = before["cancel_at"].intValue, cancelAt != old {
            // The credit an earlier mid-period cancel_at made is withdrawn while still pending.
            try withdrawCancelAtCredit(sub, at: old, ledger)
        }
        if let cancelAt = change.cancelAt {
            sub["cancel_at"] = .from(cancelAt)
            sub["cancel_at_period_end"] = .bool(cancelAt == periodEnd(sub))
            sub["canceled_at"] = cancelAt == nil ? .null : .int(now)
            if let at = cancelAt, at < periodEnd(sub), change.prorationBehavior != "none", status != "trialing",
               before["cancel_at"] != .int(at) {
                guard at >= now else { throw StripeError.invalidRequest("Invalid timestamp: cancel_at must be in the future.", param: "cancel_at") }
                cancelAtCredit = at
            }
        }

        // Items: price or quantity changes, removals, additions.
        var newItems = items(sub)
        let prorationTime = change.prorationDate ?? now
        let prorate = change.prorationBehavior != "none" && status != "trialing"
        // Proration items are created after the update event, the order Stripe reports them in.
        var prorations: [(item: JSONValue, credit: Bool)] = []
        var intervalChanged = false
        let oldRecurring = newItems.first?["price"]["recurring"] ?? .null
        for ch in change.items {
            if let id = ch.id {
                guard let index = newItems.firstIndex(where: { $0["id"].stringValue == id }) else {
                    throw StripeError.invalidRequest("No such subscription item: '\(id)' on this subscription.", param: "items", code: "resource_missing", status: 400)
                }
                let old = newItems[index]
                if ch.deleted {
                    if prorate { prorations.append((old, true)) }
                    newItems.remove(at: index)
                    continue
                }
                var updated = old
                if let p = ch.price { updated["price"] = p }
                if let q = ch.quantity {
                    guard !Usage.isMetered(updated["price"]) else { throw Usage.quantityOnMetered(param: "items[0][quantity]") }
                    updated["quantity"] = .int(q)
                } else if Usage.isMetered(old["price"]), !Usage.isMetered(updated["price"]) {
                    updated["quantity"] = 1
                }
                updated = updated.withoutQuantityIfMetered
                if let m = ch.metadata { updated["metadata"] = m }
                if let t = ch.taxRates { updated["tax_rates"] = .array(t) }
                if let d = ch.discounts {
                    let target = Discounts.Target(customer: sub["customer"].stringValue, subscription: sub["id"].stringValue,
                                                  subscriptionItem: updated["id"].stringValue)
                    updated["discounts"] = .array(try DiscountRequest.apply(d, target: target, now: now, ledger).map { $0.discount["id"] })
                }
                let billingChanged = updated["price"]["id"] != old["price"]["id"] || updated["quantity"] != old["quantity"]
                if billingChanged, prorate {
                    prorations.append((old, true))
                    let sameCycle = updated["price"]["recurring"]["interval"] == old["price"]["recurring"]["interval"]
                        && updated["price"]["recurring"]["interval_count"] == old["price"]["recurring"]["interval_count"]
                    // A new interval starts a new cycle billed in full, so only the old time is credited.
                    if sameCycle { prorations.append((updated, false)) }
                }
                newItems[index] = updated
            } else {
                guard let price = ch.price else { throw StripeError.missingParam("items[][price]") }
                var item = try makeItem(ledger, subID: sub["id"].stringValue!, price: price, quantity: ch.quantity ?? 1,
                                        metadata: ch.metadata ?? [:], period: (periodStart(sub), periodEnd(sub)), now: now)
                item["tax_rates"] = .array(ch.taxRates ?? [])
                if let d = ch.discounts {
                    let target = Discounts.Target(customer: sub["customer"].stringValue, subscription: sub["id"].stringValue,
                                                  subscriptionItem: item["id"].stringValue)
                    item["discounts"] = .array(try DiscountRequest.apply(d, target: target, now: now, ledger).map { $0.discount["id"] })
                }
                if prorate { prorations.append((item, false)) }
                newItems.append(item)
            }
        }
        if !change.items.isEmpty {
            guard !newItems.isEmpty else {
                throw StripeError.invalidRequest("A subscription must keep at least one item; cancel it instead.", param: "items")
            }
            try checkCompatible(newItems.map { $0["price"] })
            intervalChanged = newItems.first?["price"]["recurring"]["interval"] != oldRecurring["interval"]
                || newItems.first?["price"]["recurring"]["interval_count"] != oldRecurring["interval_count"]
            sub["items"]["data"] = .array(newItems)
            sub["items"]["total_count"] = .int(newItems.count)
        }

        // Trial changes.
        var endTrialNow = false
        if let t = change.trialEnd {
            switch t {
            case .now:
                if status == "trialing" { endTrialNow = true; sub["trial_end"] = .int(now) }
            case .at(let ts):
                guard ts > now else { throw StripeError.invalidRequest("Invalid timestamp: trial_end must be in the future.", param: "trial_end") }
                sub["trial_end"] = .int(ts)
                if sub["trial_start"].isNull { sub["trial_start"] = .int(now) }
                sub["status"] = "trialing"
                setPeriod(&sub, start: periodStart(sub), end: ts)
            }
        }

        func makeProrations(_ sub: JSONValue) throws {
            for p in prorations {
                if p.credit { try Prorations.unused(sub: sub, item: p.item, at: prorationTime, ledger) }
                else { try Prorations.remaining(sub: sub, item: p.item, at: prorationTime, ledger) }
            }
        }
        if endTrialNow {
            try ledger.emit(.customerSubscriptionTrialWillEnd, sub)
            var ending = sub
            if try endTrialWithoutPaymentMethod(&ending, ledger) {
                sub = ending
                return
            }
            try save(sub, ledger)
            var s = sub
            s = try ledger.store.find(sub["id"].stringValue!)?.object ?? sub
            // Report the whole change (trial end plus the new period) in one update event.
            try startNextPeriodAfterChange(&s, before: before, now: now, billingReason: "subscription_update", ledger, collect: collect)
            sub = s
            return
        }
        if intervalChanged || change.billingCycleAnchorNow, status != "trialing" {
            // A new billing cycle starts now: bill the prorations and the new period at once.
            try save(sub, ledger)
            try makeProrations(sub)
            var s = sub
            try startNextPeriodAfterChange(&s, before: before, now: now, billingReason: "subscription_update", ledger, resetAnchor: true,
                                           immediate: true, collect: collect)
            sub = s
            return
        }
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        try makeProrations(sub)
        if let at = cancelAtCredit { try Prorations.credit(sub: sub, at: at, ledger) }
        if change.trialEnd != nil || change.cancelAt != nil || change.cancelAtPeriodEnd != nil {
            try scheduleLife(sub, ledger, now: now)
            try scheduleTrialWillEnd(sub, ledger, now: now)
        }
        if !prorations.isEmpty || cancelAtCredit != nil, change.prorationBehavior == "always_invoice" {
            try invoiceNow(&sub, billingReason: "subscription_update", now: now, ledger, collect: collect)
        }
    }

    /// The subscription's discounts become the requested ones: new discounts are created
    /// (`customer.discount.created`), those no longer listed end (`customer.discount.deleted`).
    static func replaceDiscounts(_ sub: inout JSONValue, with requests: [DiscountRequest], now: Int, _ ledger: Ledger) throws {
        let target = Discounts.Target(customer: sub["customer"].stringValue, subscription: sub["id"].stringValue)
        let applied = try DiscountRequest.apply(requests, target: target, now: now, ledger)
        let keep = Set(applied.compactMap { $0.discount["id"].stringValue })
        for old in (sub["discounts"].arrayValue ?? []).compactMap(\.stringValue) where !keep.contains(old) {
            if let d = try ledger.store.find(old)?.object { try ledger.emit(.customerDiscountDeleted, Discounts.deletedStub(d)) }
        }
        for d in applied where d.created { try ledger.emit(.customerDiscountCreated, d.discount) }
        sub["discounts"] = .array(applied.map { $0.discount["id"] })
    }

    /// Deletes the pending "unused time after `at`" credits of a `cancel_at` that changed.
    static func withdrawCancelAtCredit(_ sub: JSONValue, at: Int, _ ledger: Ledger) throws {
        let pending = try Invoicing.pendingItems(ledger, customer: sub["customer"].stringValue!, subscription: sub["id"].stringValue!)
        for item in pending where item["proration"] == true && item["period"]["start"] == .int(at) && (item["amount"].intValue ?? 0) < 0 {
            try ledger.store.markDeleted(item["id"].stringValue!)
            try ledger.emit(.invoiceitemDeleted, item)
        }
    }

    /// Starts a new period now (trial ended early, interval change, `billing_cycle_anchor=now`).
    package static func startNextPeriodAfterChange(_ sub: inout JSONValue, before: JSONValue, now: Int, billingReason: String,
                                           _ ledger: Ledger, resetAnchor: Bool = true, immediate: Bool = true,
                                           collect: Bool = true) throws {
        let recurring = items(sub).first?["price"]["recurring"] ?? .null
        if resetAnchor { sub["billing_cycle_anchor"] = .int(now) }
        let newEnd = PriceMath.periodEnd(start: now, recurring: recurring, anchor: sub["billing_cycle_anchor"].intValue ?? now)
        let oldPeriod = (periodStart(before), periodEnd(before))
        setPeriod(&sub, start: now, end: newEnd)
        if sub["status"] == "trialing" || sub["status"] == "paused" { sub["status"] = "active" }
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        let billsUsage = before["status"] != "trialing" && before["status"] != "paused"
        var invoice = try invoicePeriod(&sub, period: (now, newEnd), invoicePeriod: oldPeriod, billingReason: billingReason, now: now, ledger,
                                        usage: billsUsage ? (oldPeriod.0, now) : nil)
        try scheduleLife(sub, ledger, now: now)
        if immediate, invoice["collection_method"] == "charge_automatically" {
            try Invoicing.finalize(&invoice, ledger)
            if collect {
                let result = try Invoicing.collect(&invoice, ledger, offSession: true)
                try afterCollection(invoice: invoice, result: result, ledger)
            } else {
                try awaitConfirmation(&invoice, ledger)
            }
            sub = try ledger.store.find(sub["id"].stringValue!)?.object ?? sub
        }
    }

    /// `always_invoice`: bill the pending prorations now.
    package static func invoiceNow(_ sub: inout JSONValue, billingReason: String, now: Int, _ ledger: Ledger, collect: Bool = true) throws {
        let customer = try ledger.store.get(sub["customer"].stringValue!, type: "customer")
        let pending = try Invoicing.pendingItems(ledger, customer: customer["id"].stringValue!, subscription: sub["id"].stringValue!)
        guard !pending.isEmpty else { return }
        var invoice = try Invoicing.createDraft(
            ledger, customer: customer, subscription: sub, billingReason: billingReason, lines: [], pendingItems: pending,
            period: (now, now), now: now, autoAdvance: false,
            collectionMethod: sub["collection_method"].stringValue ?? "charge_automatically",
            currency: sub["currency"].stringValue ?? "usd")
        sub["latest_invoice"] = invoice["id"]
        try ledger.store.update(sub)
        try Invoicing.finalize(&invoice, ledger)
        if invoice["status"] == "open", invoice["collection_method"] == "charge_automatically" {
            if collect {
                let result = try Invoicing.collect(&invoice, ledger, offSession: true)
                try afterCollection(invoice: invoice, result: result, ledger)
            } else {
                try awaitConfirmation(&invoice, ledger)
            }
        }
        sub = try ledger.store.find(sub["id"].stringValue!)?.object ?? sub
    }

    /// `default_incomplete`: the invoice's payment intent is created and left for the
    /// integration to confirm; the subscription is `past_due` until it is paid.
    static func awaitConfirmation(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        guard invoice["status"] == "open", let due = invoice["amount_remaining"].intValue, due > 0 else { return }
        _ = try Invoicing.intent(for: &invoice, amount: due, ledger, now: try ledger.now(for: invoice))
        try ledger.store.update(invoice)
        guard let subID = subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object,
              sub["status"] == "active" || sub["status"] == "trialing" else { return }
        let before = sub
        sub["status"] = "past_due"
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
    }

    /// `POST /v1/subscriptions/{id}/resume`: a paused subscription starts a new period now and bills it.
    package static func resume(_ sub: inout JSONValue, _ ledger: Ledger) throws {
        guard sub["status"] == "paused" else {
            throw StripeError.invalidRequest("Only paused subscriptions can be resumed; this one is \(sub["status"].stringValue ?? "").",
                                             code: "subscription_not_paused")
        }
        let now = try ledger.now(for: sub)
        let before = sub
        try ledger.emit(.customerSubscriptionResumed, sub)
        var s = sub
        try startNextPeriodAfterChange(&s, before: before, now: now, billingReason: "subscription_cycle", ledger)
        sub = s
    }

    /// All prices of a subscription: recurring, licensed, one currency, one billing interval.
    package static func checkCompatible(_ prices: [JSONValue]) throws {
        guard let first = prices.first else { return }
        for (i, p) in prices.enumerated() {
            guard p["type"] == "recurring" else {
                throw StripeError.invalidRequest("The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.",
                                                 param: "items[\(i)][price]")
            }
            guard p["currency"] == first["currency"] else {
                throw StripeError.invalidRequest("All prices on a subscription must have the same currency.", param: "items[\(i)][price]")
            }
            guard p["recurring"]["interval"] == first["recurring"]["interval"],
                  p["recurring"]["interval_count"] == first["recurring"]["interval_count"] else {
                throw StripeError.invalidRequest("All prices on a subscription must have the same recurring interval and interval_count.",
                                                 param: "items[\(i)][price]")
            }
        }
    }
}
