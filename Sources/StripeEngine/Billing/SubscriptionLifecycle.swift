import StripeWire

/// The timed life of a subscription: trial ends, renewals, scheduled cancellation, expiry of an
/// unpaid first invoice, and its reaction to each payment outcome.
extension SubscriptionEngine {
    package static let live: Set<String> = ["active", "trialing", "past_due", "unpaid"]

    /// Scheduled at `trial_end - 3 days`.
    package static func trialWillEnd(_ id: String, _ ledger: inout Ledger) throws {
        guard let sub = try ledger.store.find(id)?.object, sub["status"] == "trialing" else { return }
        try ledger.emit(.customerSubscriptionTrialWillEnd, sub)
    }

    /// Scheduled at the period end: cancel if asked to, end the trial, or start the next period
    /// with its invoice (finalized and charged about an hour later).
    package static func renew(_ id: String, _ ledger: inout Ledger) throws {
        guard var sub = try ledger.store.find(id)?.object, live.contains(sub["status"].stringValue ?? "") else { return }
        let now = try ledger.now(for: sub)
        if let schedule = sub["schedule"].stringValue {
            // A phase boundary on this renewal is applied first, so the new phase is what is billed.
            try ScheduleEngine.advance(schedule, ledger)
            guard let current = try ledger.store.find(id)?.object, live.contains(current["status"].stringValue ?? ""),
                  periodEnd(current) <= now else { return }
            sub = current
        }
        let end = periodEnd(sub)
        if sub["cancel_at_period_end"] == true || (sub["cancel_at"].intValue.map { $0 <= end } ?? false) {
            // "Any pending prorations are left in place and collected at the end of the period."
            try cancelNow(&sub, reason: "cancellation_requested", ledger, invoiceNow: true)
            return
        }
        if try endTrialWithoutPaymentMethod(&sub, ledger) { return }
        try startNextPeriod(&sub, from: end, now: now, billingReason: "subscription_cycle", ledger)
    }

    /// A trial ending (on the clock or by `trial_end=now`) with no payment method applies
    /// `trial_settings.end_behavior.missing_payment_method`: `cancel` or `pause` end it here and
    /// return true; `create_invoice` returns false and the next period is billed as usual.
    package static func endTrialWithoutPaymentMethod(_ sub: inout JSONValue, _ ledger: Ledger) throws -> Bool {
        guard sub["status"] == "trialing", !(try hasPaymentMethod(sub, ledger)) else { return false }
        switch sub["trial_settings"]["end_behavior"]["missing_payment_method"].stringValue ?? "create_invoice" {
        case "cancel":
            try cancelNow(&sub, reason: nil, ledger)
            return true
        case "pause":
            let before = sub
            sub["status"] = "paused"
            try Scheduler.cancelAll(ledger, target: sub["id"].stringValue!)
            try save(sub, ledger)
            try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
            try ledger.emit(.customerSubscriptionPaused, sub)
            return true
        default:
            return false
        }
    }

    /// Moves to the period starting at `start` and bills it (draft now, finalized in an hour).
    package static func startNextPeriod(_ sub: inout JSONValue, from start: Int, now: Int, billingReason: String,
                                _ ledger: Ledger, resetAnchor: Bool = false) throws {
        let before = sub
        let oldPeriod = (periodStart(sub), periodEnd(sub))
        let recurring = items(sub).first?["price"]["recurring"] ?? .null
        if resetAnchor { sub["billing_cycle_anchor"] = .int(start) }
        let anchor = sub["billing_cycle_anchor"].intValue ?? start
        let fullEnd = PriceMath.periodEnd(start: start, recurring: recurring, anchor: anchor)
        var newEnd = fullEnd
        var factor: (Int, Int)? = nil
        // A `cancel_at` inside this period ends it there and bills only that part of it.
        if let at = sub["cancel_at"].intValue, at > start, at < fullEnd {
            newEnd = at
            factor = (at - start, fullEnd - start)
        }
        setPeriod(&sub, start: start, end: newEnd)
        if sub["status"] == "trialing" || sub["status"] == "paused" { sub["status"] = "active" }
        try save(sub, ledger)
        let updated = try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        let billsUsage = before["status"] != "trialing" && before["status"] != "paused"
        try invoicePeriod(&sub, period: (start, newEnd), invoicePeriod: oldPeriod, billingReason: billingReason, now: now, ledger,
                          factor: factor, usage: billsUsage ? oldPeriod : nil)
        // Stripe's update event already shows the renewal invoice as `latest_invoice`.
        if let updated { try EventLog.amend(ledger, eventID: updated, before: before, after: sub) }
        try scheduleLife(sub, ledger, now: now)
    }

    /// A draft invoice for the period plus the subscription's pending items.
    @discardableResult
    package static func invoicePeriod(_ sub: inout JSONValue, period: (Int, Int), invoicePeriod: (Int, Int), billingReason: String,
                              now: Int, _ ledger: Ledger, factor: (Int, Int)? = nil, usage: (Int, Int)? = nil) throws -> JSONValue {
        try Discounts.expire(subscription: &sub, now: now, ledger)
        let customer = try ledger.store.get(sub["customer"].stringValue!, type: "customer")
        let lines = try periodLines(sub, period: period, trial: false, ledger, factor: factor, usage: usage)
        let pending = try Invoicing.pendingItems(ledger, customer: customer["id"].stringValue!, subscription: sub["id"].stringValue!)
        let invoice = try Invoicing.createDraft(
            ledger, customer: customer, subscription: sub, billingReason: billingReason, lines: lines, pendingItems: pending,
            period: invoicePeriod, now: now, autoAdvance: true,
            collectionMethod: sub["collection_method"].stringValue ?? "charge_automatically",
            daysUntilDue: sub["days_until_due"].intValue, currency: sub["currency"].stringValue ?? "usd")
        sub["latest_invoice"] = invoice["id"]
        try ledger.store.update(sub)
        return invoice
    }

    /// Scheduled at a mid-period `cancel_at`.
    package static func cancelScheduled(_ id: String, _ ledger: inout Ledger) throws {
        guard var sub = try ledger.store.find(id)?.object, live.contains(sub["status"].stringValue ?? "") else { return }
        // The credit for the time after `cancel_at` (and any other pending proration) is billed now.
        try cancelNow(&sub, reason: "cancellation_requested", ledger, invoiceNow: true)
    }

    /// Scheduled 23 hours after creation: an unpaid first invoice expires the subscription.
    package static func expireIncomplete(_ id: String, _ ledger: inout Ledger) throws {
        guard var sub = try ledger.store.find(id)?.object, sub["status"] == "incomplete" else { return }
        if let invoiceID = sub["latest_invoice"].stringValue, var invoice = try ledger.store.find(invoiceID)?.object,
           invoice["status"] == "open" {
            try Invoicing.void(&invoice, ledger)
        }
        let before = sub
        sub["status"] = "incomplete_expired"
        sub["ended_at"] = .int(try ledger.now(for: sub))
        try Scheduler.cancelAll(ledger, target: id)
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
    }

    /// Ends the subscription now: `customer.subscription.deleted`; its open invoices stop being retried.
    package static func cancelNow(_ sub: inout JSONValue, reason: String?, _ ledger: Ledger, invoiceNow: Bool = false,
                          prorate: Bool = false) throws {
        let now = try ledger.now(for: sub)
        let id = sub["id"].stringValue!
        // Metered usage of the period so far is billed on the final invoice.
        let billsUsage = invoiceNow && live.contains(sub["status"].stringValue ?? "") && sub["status"] != "trialing"
        let usageLines = billsUsage ? try Usage.lines(sub, usage: (periodStart(sub), min(now, periodEnd(sub))), ledger) : []
        if prorate, sub["status"] != "trialing" {
            try Prorations.credit(sub: sub, at: now, ledger)
        }
        sub["status"] = "canceled"
        if sub["canceled_at"].isNull { sub["canceled_at"] = .int(now) }
        sub["ended_at"] = .int(now)
        if let reason { sub["cancellation_details"]["reason"] = .string(reason) }
        try Scheduler.cancelAll(ledger, target: id)
        for var open in try ledger.store.all(type: "invoice", filters: [.field("parent.subscription_details.subscription", equals: .string(id)),
                                                                         .field("status", equals: "open")]) {
            open["auto_advance"] = false
            open["next_payment_attempt"] = nil
            try ledger.store.update(open)
            try Scheduler.cancelAll(ledger, target: open["id"].stringValue!)
        }
        try save(sub, ledger)
        try ledger.emit(.customerSubscriptionDeleted, sub)
        if invoiceNow {
            let pending = try Invoicing.pendingItems(ledger, customer: sub["customer"].stringValue!, subscription: id)
            if !pending.isEmpty || !usageLines.isEmpty {
                let customer = try ledger.store.get(sub["customer"].stringValue!, type: "customer")
                let collection = sub["collection_method"].stringValue ?? "charge_automatically"
                var invoice = try Invoicing.createDraft(
                    ledger, customer: customer, subscription: sub, billingReason: "subscription_cycle", lines: usageLines,
                    pendingItems: pending, period: (now, now), now: now, autoAdvance: false,
                    collectionMethod: collection, daysUntilDue: sub["days_until_due"].intValue,
                    currency: sub["currency"].stringValue ?? "usd")
                try Invoicing.finalize(&invoice, ledger)
                if collection == "charge_automatically" { _ = try Invoicing.collect(&invoice, ledger, offSession: true) }
                sub["latest_invoice"] = invoice["id"]
                try ledger.store.update(sub)
            }
        }
    }

    /// An invoice of the subscription was written off (`mark_uncollectible`) or voided: Stripe
    /// takes a `past_due` or `unpaid` subscription's status from its most recent invoice that is
    /// not void, so with nothing left to collect it is `active` again.
    package static func afterWriteOff(invoice: JSONValue, _ ledger: Ledger) throws {
        guard let subID = subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object,
              sub["status"] == "past_due" || sub["status"] == "unpaid" else { return }
        let latest = try ledger.store.all(type: "invoice", filters: [.field("parent.subscription_details.subscription", equals: .string(subID))])
            .last { $0["status"] != "void" && $0["status"] != "draft" }
        guard latest == nil || latest?["status"] == "paid" || latest?["status"] == "uncollectible" else { return }
        let before = sub
        sub["status"] = "active"
        try save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
    }

    /// How the subscription follows a payment attempt on one of its invoices.
    package static func afterCollection(invoice: JSONValue, result: Invoicing.Collection, _ ledger: Ledger) throws {
        guard let subID = subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object else { return }
        let before = sub
        let status = sub["status"].stringValue ?? ""
        let now = try ledger.now(for: sub)
        switch result {
        case .paid, .nothingDue:
            guard invoice["status"] == "paid" else { return }
            if try applyPendingUpdate(invoice: invoice, ledger) { return }
            switch status {
            case "incomplete":
                sub["status"] = "active"
                try Scheduler.cancel(ledger, .incompleteExpiry, target: subID)
                try save(sub, ledger)
                try scheduleLife(sub, ledger, now: now)
            case "past_due", "unpaid":
                sub["status"] = "active"
                try save(sub, ledger)
            default:
                return
            }
            try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        case .processing:
            return
        case .failed, .requiresAction:
            guard invoice["billing_reason"] != "subscription_create" else { return }
            if status == "active" || status == "trialing" {
                sub["status"] = "past_due"
                try save(sub, ledger)
                try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
            }
            try Dunning.afterFailure(invoice: invoice, ledger)
        }
    }
}
