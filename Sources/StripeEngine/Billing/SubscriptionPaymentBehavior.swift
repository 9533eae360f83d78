import StripeWire

/// `payment_behavior` on a subscription update: what happens when a change that is billed at
/// once (`proration_behavior=always_invoice`, a new interval, `billing_cycle_anchor=now`,
/// `trial_end=now`) is not paid.
///
/// - `allow_incomplete` (the default): the change applies; the unpaid invoice makes the
///   subscription `past_due` and dunning retries it.
/// - `error_if_incomplete`: Stripe answers 402 and nothing changes (the request rolls back).
/// - `pending_if_incomplete`: the change waits in `pending_update` until its invoice is paid
///   (then `customer.subscription.pending_update_applied`) or `expires_at` passes
///   (`customer.subscription.pending_update_expired`).
/// - `default_incomplete`: the change applies and its invoice is finalized without a payment
///   attempt; the subscription is `past_due` until the intent is confirmed.
extension SubscriptionEngine {
    /// How long a pending update waits for its invoice to be paid (Stripe: 23 hours).
    package static let pendingUpdateLifetime = 23 * 3600

    /// The parameters Stripe accepts with `payment_behavior=pending_if_incomplete`.
    package static let pendingUpdateParameters: Set<String> = [
        "billing_cycle_anchor", "items", "payment_behavior", "proration_behavior", "proration_date", "trial_end",
        "trial_from_plan", "expand",
    ]

    package static func update(_ sub: inout JSONValue, _ change: SubscriptionChange, _ ledger: Ledger) throws {
        let before = sub
        switch change.paymentBehavior {
        case "error_if_incomplete":
            try applyChange(&sub, change, ledger)
            if let unpaid = try unpaidChangeInvoice(sub, before: before, ledger) {
                // Thrown, not committed: the request's transaction rolls back and nothing changes.
                throw try paymentError(for: unpaid, ledger)
            }
        case "pending_if_incomplete":
            try applyPending(&sub, change, ledger)
        default:
            try applyChange(&sub, change, ledger)
        }
    }

    /// The invoice a change billed at once, when it is open and not paid.
    static func unpaidChangeInvoice(_ sub: JSONValue, before: JSONValue, _ ledger: Ledger) throws -> JSONValue? {
        guard let id = sub["latest_invoice"].stringValue, id != before["latest_invoice"].stringValue,
              let invoice = try ledger.store.find(id)?.object, invoice["status"] == "open",
              invoice["collection_method"] == "charge_automatically", (invoice["amount_remaining"].intValue ?? 0) > 0 else { return nil }
        return invoice
    }

    /// The 402 Stripe answers for an unpaid change under `error_if_incomplete`.
    static func paymentError(for invoice: JSONValue, _ ledger: Ledger) throws -> StripeError {
        let piID = invoice["payments"]["data"].arrayValue?.last?["payment"]["payment_intent"].stringValue
        let pi = try piID.flatMap { try ledger.store.find($0)?.object } ?? .null
        if pi["status"] == "requires_action" {
            return StripeError(status: 402, type: .cardError, code: "subscription_payment_intent_requires_action",
                               message: "Payment for this subscription requires additional user action before it can be completed successfully.")
        }
        let e = pi["last_payment_error"]
        guard let message = e["message"].stringValue else {
            return StripeError.invalidRequest(
                "This customer has no attached payment source or default payment method. Please consider adding a default payment method.",
                code: "resource_missing")
        }
        return StripeError(status: 402, type: .cardError, code: e["code"].stringValue, declineCode: e["decline_code"].stringValue,
                           message: message, param: e["param"].stringValue)
    }

    /// `pending_if_incomplete`: the change is tried in a savepoint; if its invoice is paid (or
    /// nothing is billed now) it stays. Otherwise it is rolled back and replayed as a pending
    /// update: the same proration items and lines on a new invoice, one payment attempt, and the
    /// subscription unchanged but for `pending_update` and `latest_invoice`.
    static func applyPending(_ sub: inout JSONValue, _ change: SubscriptionChange, _ ledger: Ledger) throws {
        let before = sub
        var tried = sub
        var captured: (after: JSONValue, invoice: JSONValue, items: [JSONValue])?
        let subID = before["id"].stringValue!
        // Items already pending go on the pending update's invoice as they are (not copied).
        let alreadyPending = Set(try Invoicing.pendingItems(ledger, customer: before["customer"].stringValue!, subscription: subID)
            .compactMap { $0["id"].stringValue })
        try ledger.db.inSavepoint {
            try applyChange(&tried, change, ledger)
            guard let unpaid = try unpaidChangeInvoice(tried, before: before, ledger) else { return .commit }
            let items = try ledger.store.all(type: "invoiceitem", filters: [.field("invoice", equals: unpaid["id"])])
            captured = (tried, unpaid, items)
            return .rollback
        }
        guard let captured else {
            sub = tried
            return
        }
        ledger.cache.forgetAll()
        let now = try ledger.now(for: before)
        // The proration items again (fresh ids: the rolled-back ones may be minted anew), then the
        // subscription's own lines of a change that starts a new period.
        var pending: [JSONValue] = []
        for var item in captured.items {
            if let id = item["id"].stringValue, alreadyPending.contains(id), let original = try ledger.store.find(id)?.object {
                pending.append(original)
                continue
            }
            item["id"] = .string(try ledger.newID("ii"))
            item["invoice"] = nil
            try ledger.store.insert(item, type: "invoiceitem")
            try ledger.emit(.invoiceitemCreated, item)
            pending.append(item)
        }
        // A new pending update replaces an earlier one: its invoice is voided.
        try voidPendingUpdateInvoice(of: subID, ledger)
        let periodLines: [JSONValue] = try (captured.invoice["lines"]["data"].arrayValue ?? []).filter {
            $0["parent"]["type"] == "subscription_item_details" && $0["parent"]["subscription_item_details"]["invoice_item"].isNull
        }.map { line in
            var l = line
            l["id"] = .string(try ledger.newID("il"))
            return l
        }
        let customer = try ledger.store.get(before["customer"].stringValue!, type: "customer")
        var invoice = try Invoicing.createDraft(
            ledger, customer: customer, subscription: before, billingReason: "subscription_update", lines: periodLines,
            pendingItems: pending,
            period: (captured.invoice["period_start"].intValue ?? now, captured.invoice["period_end"].intValue ?? now),
            now: now, autoAdvance: false, currency: before["currency"].stringValue ?? "usd")
        var hidden = try ledger.store.hidden(invoice["id"].stringValue!)
        hidden["pending_update_of"] = captured.after
        try ledger.store.setHidden(invoice["id"].stringValue!, hidden)
        // The subscription remembers which invoice holds its pending update (its latest_invoice
        // may move on: a renewal, another change).
        var subHidden = try ledger.store.hidden(subID)
        subHidden["pending_update_invoice"] = invoice["id"]
        try ledger.store.setHidden(subID, subHidden)

        var waiting = before
        waiting["latest_invoice"] = invoice["id"]
        let after = captured.after
        waiting["pending_update"] = [
            "billing_cycle_anchor": after["billing_cycle_anchor"] != before["billing_cycle_anchor"] ? after["billing_cycle_anchor"] : nil,
            "expires_at": .int(now + pendingUpdateLifetime),
            "subscription_items": .array(items(after)),
            "trial_end": after["trial_end"] != before["trial_end"] ? after["trial_end"] : nil,
            "trial_from_plan": nil,
        ]
        try ledger.store.update(waiting)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: waiting)
        try Scheduler.schedule(ledger, clock: before["test_clock"].stringValue, at: now + pendingUpdateLifetime,
                               .pendingUpdateExpiry, target: before["id"].stringValue!)
        try Invoicing.finalize(&invoice, ledger)
        let result = try Invoicing.collect(&invoice, ledger, offSession: true)
        if result == .paid {
            try applyPendingUpdate(invoice: invoice, ledger)
        } else if !invoice["next_payment_attempt"].isNull {
            // Not retried on a schedule: the customer pays it (or it expires with the update).
            invoice["next_payment_attempt"] = nil
            try ledger.store.update(invoice)
        }
        sub = try ledger.store.find(before["id"].stringValue!)?.object ?? waiting
    }

    /// The invoice of a pending update was paid: the change it held applies now.
    /// Returns whether the invoice held one.
    @discardableResult
    package static func applyPendingUpdate(invoice: JSONValue, _ ledger: Ledger) throws -> Bool {
        guard let subID = subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object,
              !sub["pending_update"].isNull, try ledger.store.hidden(subID)["pending_update_invoice"] == invoice["id"],
              case let after = try ledger.store.hidden(invoice["id"].stringValue!)["pending_update_of"], !after.isNull else { return false }
        let before = sub
        for field in ["items", "billing_cycle_anchor", "trial_end", "trial_start"] { sub[field] = after[field] }
        if sub["status"] == "trialing", after["status"] != "trialing" { sub["status"] = after["status"] }
        sub["pending_update"] = nil
        var subHidden = try ledger.store.hidden(subID)
        subHidden["pending_update_invoice"] = nil
        try ledger.store.setHidden(subID, subHidden)
        try Scheduler.cancel(ledger, .pendingUpdateExpiry, target: subID)
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        try ledger.emit(.customerSubscriptionPendingUpdateApplied, sub)
        try scheduleLife(sub, ledger, now: try ledger.now(for: sub))
        return true
    }

    /// Scheduled at `pending_update.expires_at`: the change is dropped and its invoice voided.
    package static func expirePendingUpdate(_ id: String, _ ledger: Ledger) throws {
        guard var sub = try ledger.store.find(id)?.object, !sub["pending_update"].isNull else { return }
        let before = sub
        sub["pending_update"] = nil
        try ledger.store.update(sub)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        try ledger.emit(.customerSubscriptionPendingUpdateExpired, sub)
        try voidPendingUpdateInvoice(of: id, ledger)
    }

    /// Voids the open invoice of the subscription's pending update, if any, and forgets it.
    static func voidPendingUpdateInvoice(of subID: String, _ ledger: Ledger) throws {
        var hidden = try ledger.store.hidden(subID)
        guard let invoiceID = hidden["pending_update_invoice"].stringValue else { return }
        hidden["pending_update_invoice"] = nil
        try ledger.store.setHidden(subID, hidden)
        if var invoice = try ledger.store.find(invoiceID)?.object, invoice["status"] == "open" {
            try Invoicing.void(&invoice, ledger)
        }
    }
}
