import StripeWire

/// Subscription schedules: a subscription's future written down as phases, each applied on the
/// clock when its start date comes.
///
/// A schedule starting now creates its subscription at once (the first phase's items); one
/// starting later is `not_started` until then. At each phase boundary the subscription's items
/// become the next phase's (with the phase's `proration_behavior`); at the end of the last phase
/// the schedule is `completed` and, by `end_behavior`, the subscription is released to renew on
/// its own or canceled. A boundary that falls on a renewal is applied before the renewal bills,
/// so the new phase's prices are the ones invoiced (``SubscriptionEngine/renew(_:_:)`` asks
/// ``advance(_:_:)`` first). `subscription_schedule.expiring` is sent seven days before a
/// schedule that cancels its subscription ends.
package enum ScheduleEngine {
    package struct NewSchedule {
        package var customer: JSONValue
        /// nil: now.
        package var startDate: Int?
        package var endBehavior = "release"
        package var phases: [SchedulePhase]
        package var metadata: JSONValue = [:]
        package var defaultPaymentMethod: String?
        package var collectionMethod: String?
        /// `default_settings[description]`: the subscription's description, unless a phase has its own.
        package var description: String?
        /// `default_settings[invoice_settings][days_until_due]`, for `send_invoice` (default 30).
        package var daysUntilDue: Int?

        package init(customer: JSONValue, phases: [SchedulePhase]) {
            self.customer = customer
            self.phases = phases
        }
    }

    package static func create(_ new: NewSchedule, _ ledger: Ledger) throws -> JSONValue {
        let clock = new.customer["test_clock"].stringValue
        let now = try ledger.now(clock: clock)
        let start = new.startDate ?? now
        let id = try ledger.newID("sub_sched")
        var schedule: JSONValue = [
            "id": .string(id), "object": "subscription_schedule", "application": nil,
            "billing_mode": ["flexible": nil, "type": "classic"], "canceled_at": nil, "completed_at": nil, "created": .int(now),
            "current_phase": nil, "customer": new.customer["id"], "customer_account": nil,
            "default_settings": [
                "application_fee_percent": nil, "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil],
                "billing_cycle_anchor": "automatic", "billing_thresholds": nil,
                "collection_method": .string(new.collectionMethod ?? "charge_automatically"),
                "default_payment_method": .from(new.defaultPaymentMethod), "description": .from(new.description),
                "invoice_settings": ["account_tax_ids": nil, "days_until_due": .from(new.daysUntilDue), "issuer": ["type": "self"]],
                "on_behalf_of": nil, "transfer_data": nil,
            ],
            "end_behavior": .string(new.endBehavior), "livemode": false, "metadata": new.metadata, "phases": [],
            "released_at": nil, "released_subscription": nil, "status": "not_started", "subscription": nil, "test_clock": .from(clock),
        ]
        schedule["phases"] = try phasesJSON(new.phases, from: start)
        try ledger.store.insert(schedule, type: "subscription_schedule")
        try ledger.emit(.subscriptionScheduleCreated, schedule)
        if start <= now {
            try begin(&schedule, now: now, ledger)
        } else {
            try Scheduler.schedule(ledger, clock: clock, at: start, .scheduleAdvance, target: id)
        }
        return schedule
    }

    /// Phase dates laid end to end from `start`.
    static func phasesJSON(_ phases: [SchedulePhase], from start: Int) throws -> JSONValue {
        var t = start
        var out: [JSONValue] = []
        for (i, p) in phases.enumerated() {
            let end = p.end(from: t)
            guard end > t else {
                throw StripeError.invalidRequest("Phase \(i) ends before it starts: each phase's end_date must be after its start.",
                                                 param: "phases[\(i)][end_date]")
            }
            if let trialEnd = p.trialEnd, trialEnd <= t || trialEnd > end {
                throw StripeError.invalidRequest("phases[\(i)][trial_end] must fall within the phase (after its start, at most its end).",
                                                 param: "phases[\(i)][trial_end]")
            }
            out.append(p.json(start: t, end: end, currency: p.items.first?.price["currency"].stringValue ?? "usd"))
            t = end
        }
        return .array(out)
    }

    /// The first phase starts: the subscription is created with its items.
    static func begin(_ schedule: inout JSONValue, now: Int, _ ledger: Ledger) throws {
        let id = schedule["id"].stringValue!
        guard let first = schedule["phases"][0].objectValue.map(JSONValue.object), let customerID = schedule["customer"].stringValue,
              let customer = try ledger.store.find(customerID)?.object else { return }
        let items = try phaseItems(first, ledger)
        var new = NewSubscription(customer: customer, items: items)
        new.defaultPaymentMethod = schedule["default_settings"]["default_payment_method"].stringValue
        // A customer with nothing to charge gets an incomplete subscription with an open first
        // invoice rather than an error: the schedule exists, its subscription waits for a card.
        let canPay = new.defaultPaymentMethod != nil || !customer["invoice_settings"]["default_payment_method"].isNull
            || !customer["default_source"].isNull
        new.paymentBehavior = canPay ? "allow_incomplete" : "default_incomplete"
        new.defaultPaymentMethod = schedule["default_settings"]["default_payment_method"].stringValue
        new.collectionMethod = schedule["default_settings"]["collection_method"].stringValue ?? "charge_automatically"
        if new.collectionMethod == "send_invoice" {
            new.daysUntilDue = schedule["default_settings"]["invoice_settings"]["days_until_due"].intValue ?? 30
        }
        new.metadata = first["metadata"].isNull ? [:] : first["metadata"]
        new.description = first["description"].stringValue ?? schedule["default_settings"]["description"].stringValue
        new.defaultTaxRates = first["default_tax_rates"].arrayValue ?? []
        new.scheduleID = id
        new.discounts = try discountRequests(first, ledger)
        new.trialEnd = trialEnd(of: first, start: now)
        try addInvoiceItems(first, customer: customer, subscription: nil, now: now, ledger)
        if schedule["end_behavior"] == "cancel", schedule["phases"].arrayValue?.count == 1 {
            new.cancelAt = first["end_date"].intValue
        }
        let sub = try SubscriptionEngine.create(new, ledger)
        let before = schedule
        schedule["status"] = "active"
        schedule["subscription"] = sub["id"]
        schedule["current_phase"] = ["end_date": first["end_date"], "start_date": first["start_date"]]
        try ledger.store.update(schedule)
        try ledger.emitUpdate(.subscriptionScheduleUpdated, before: before, after: schedule)
        try scheduleNext(schedule, now: now, ledger)
    }

    static func phaseItems(_ phase: JSONValue, _ ledger: Ledger) throws -> [NewSubscription.Item] {
        try (phase["items"].arrayValue ?? []).map { item in
            let price = try ledger.store.get(item["price"].stringValue ?? "", type: "price", param: "phases")
            return NewSubscription.Item(price: price, quantity: item["quantity"].intValue ?? 1, metadata: item["metadata"].isNull ? [:] : item["metadata"])
        }
    }

    /// The subscription change that makes its items the phase's: item by item in order (the
    /// extra old ones deleted), with the phase's `proration_behavior`.
    static func change(to phase: JSONValue, from sub: JSONValue, _ ledger: Ledger) throws -> SubscriptionChange {
        var change = SubscriptionChange()
        let newItems = try phaseItems(phase, ledger)
        let old = SubscriptionEngine.items(sub)
        for (k, item) in newItems.enumerated() {
            change.items.append(.init(id: k < old.count ? old[k]["id"].stringValue : nil, price: item.price, quantity: item.quantity,
                                      metadata: item.metadata))
        }
        for extra in old.dropFirst(newItems.count) { change.items.append(.init(id: extra["id"].stringValue, deleted: true)) }
        change.prorationBehavior = phase["proration_behavior"].stringValue ?? "create_prorations"
        return change
    }

    /// The next boundary (a phase start or the end), and the expiring notice before the end.
    static func scheduleNext(_ schedule: JSONValue, now: Int, _ ledger: Ledger) throws {
        let id = schedule["id"].stringValue!
        let clock = schedule["test_clock"].stringValue
        try Scheduler.cancel(ledger, .scheduleAdvance, target: id)
        guard let end = schedule["current_phase"]["end_date"].intValue else { return }
        try Scheduler.schedule(ledger, clock: clock, at: max(end, now), .scheduleAdvance, target: id)
        let last = schedule["phases"].arrayValue?.last?["end_date"].intValue
        if end == last, schedule["end_behavior"] == "cancel" {
            try Scheduler.cancel(ledger, .scheduleExpiring, target: id)
            if last! - 7 * 86400 > now {
                try Scheduler.schedule(ledger, clock: clock, at: last! - 7 * 86400, .scheduleExpiring, target: id)
            } else {
                try ledger.emit(.subscriptionScheduleExpiring, schedule)
            }
        }
    }

    /// Applies whatever is due at the schedule's clock: the start, phase boundaries, the end.
    package static func advance(_ id: String, _ ledger: Ledger) throws {
        guard var schedule = try ledger.store.find(id)?.object else { return }
        let now = try ledger.now(for: schedule)
        switch schedule["status"].stringValue {
        case "not_started":
            guard let start = schedule["phases"][0]["start_date"].intValue, start <= now else { return }
            try begin(&schedule, now: now, ledger)
        case "active":
            while let end = schedule["current_phase"]["end_date"].intValue, end <= now, schedule["status"] == "active" {
                try nextPhase(&schedule, at: end, ledger)
            }
        default:
            return
        }
    }

    /// The current phase ended at `at`: the next one starts, or the schedule completes.
    static func nextPhase(_ schedule: inout JSONValue, at: Int, _ ledger: Ledger) throws {
        let phases = schedule["phases"].arrayValue ?? []
        let before = schedule
        guard let next = phases.first(where: { $0["start_date"].intValue == at }) else {
            try complete(&schedule, at: at, ledger)
            return
        }
        schedule["current_phase"] = ["end_date": next["end_date"], "start_date": next["start_date"]]
        if let subID = schedule["subscription"].stringValue, var sub = try ledger.store.find(subID)?.object,
           SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") {
            var change = try self.change(to: next, from: sub, ledger)
            change.defaultTaxRates = next["default_tax_rates"].arrayValue
            let previous = phases.last { ($0["end_date"].intValue ?? 0) == at }
            if !(next["discounts"].arrayValue ?? []).isEmpty || !(previous?["discounts"].arrayValue ?? []).isEmpty {
                change.discounts = try discountRequests(next, ledger)
            }
            if let t = trialEnd(of: next, start: at) {
                change.trialEnd = .at(t)
                // A phase that starts at the renewal trials from its start: the new period is its own.
                if SubscriptionEngine.periodEnd(sub) == at { SubscriptionEngine.setPeriod(&sub, start: at, end: at) }
            }
            if let customer = try ledger.store.find(sub["customer"].stringValue ?? "")?.object {
                try addInvoiceItems(next, customer: customer, subscription: subID, now: at, ledger)
            }
            let isLast = phases.last?["start_date"] == next["start_date"]
            if isLast, schedule["end_behavior"] == "cancel" { change.cancelAt = .some(next["end_date"].intValue) }
            try ledger.store.update(schedule)
            try SubscriptionEngine.update(&sub, change, ledger)
        }
        try ledger.store.update(schedule)
        try ledger.emitUpdate(.subscriptionScheduleUpdated, before: before, after: schedule)
        try scheduleNext(schedule, now: at, ledger)
    }

    /// The last phase ended: `end_behavior` cancel ends the subscription, release leaves it to
    /// renew on its own. `subscription_schedule.completed`.
    static func complete(_ schedule: inout JSONValue, at: Int, _ ledger: Ledger) throws {
        let id = schedule["id"].stringValue!
        schedule["status"] = "completed"
        schedule["completed_at"] = .int(at)
        schedule["current_phase"] = nil
        try Scheduler.cancelAll(ledger, target: id)
        if let subID = schedule["subscription"].stringValue, var sub = try ledger.store.find(subID)?.object {
            if schedule["end_behavior"] == "cancel", SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") {
                sub["schedule"] = nil
                try SubscriptionEngine.cancelNow(&sub, reason: "cancellation_requested", ledger)
            } else {
                let before = sub
                sub["schedule"] = nil
                try SubscriptionEngine.save(sub, ledger)
                try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
            }
        }
        try ledger.store.update(schedule)
        try ledger.emit(.subscriptionScheduleCompleted, schedule)
    }

    /// `POST …/release`: the schedule lets go of its subscription, which renews on its own. The
    /// end date a cancelling schedule put on it (`cancel_at`) is removed unless `preserveCancelDate`.
    package static func release(_ schedule: inout JSONValue, preserveCancelDate: Bool = false, _ ledger: Ledger) throws {
        guard ["active", "not_started"].contains(schedule["status"].stringValue ?? "") else {
            throw StripeError.invalidRequest("You cannot release a subscription schedule that is currently \(schedule["status"].stringValue ?? "").",
                                             code: "subscription_schedule_not_releasable")
        }
        let id = schedule["id"].stringValue!
        let now = try ledger.now(for: schedule)
        try Scheduler.cancelAll(ledger, target: id)
        let subID = schedule["subscription"].stringValue
        schedule["status"] = "released"
        schedule["released_at"] = .int(now)
        schedule["released_subscription"] = .from(subID)
        schedule["subscription"] = nil
        schedule["current_phase"] = nil
        try ledger.store.update(schedule)
        if let subID, var sub = try ledger.store.find(subID)?.object {
            let before = sub
            sub["schedule"] = nil
            if !preserveCancelDate, !sub["cancel_at"].isNull, SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") {
                sub["cancel_at"] = nil
                sub["cancel_at_period_end"] = false
                sub["canceled_at"] = nil
                try SubscriptionEngine.save(sub, ledger)
                try SubscriptionEngine.scheduleLife(sub, ledger, now: now)
            }
            try SubscriptionEngine.save(sub, ledger)
            try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        }
        try ledger.emit(.subscriptionScheduleReleased, schedule)
    }

    /// `POST …/cancel`: the subscription ends now (`invoice_now`, `prorate`); a schedule that had
    /// not started is aborted (`subscription_schedule.aborted`), an active one canceled.
    package static func cancel(_ schedule: inout JSONValue, invoiceNow: Bool, prorate: Bool, _ ledger: Ledger) throws {
        guard ["active", "not_started"].contains(schedule["status"].stringValue ?? "") else {
            throw StripeError.invalidRequest("You cannot cancel a subscription schedule that is currently \(schedule["status"].stringValue ?? "").",
                                             code: "subscription_schedule_not_cancelable")
        }
        let id = schedule["id"].stringValue!
        let now = try ledger.now(for: schedule)
        let started = schedule["status"] == "active"
        try Scheduler.cancelAll(ledger, target: id)
        schedule["status"] = "canceled"
        schedule["canceled_at"] = .int(now)
        schedule["current_phase"] = nil
        try ledger.store.update(schedule)
        if let subID = schedule["subscription"].stringValue, var sub = try ledger.store.find(subID)?.object,
           SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") || sub["status"] == "incomplete" {
            try SubscriptionEngine.cancelNow(&sub, reason: "cancellation_requested", ledger, invoiceNow: invoiceNow, prorate: prorate)
        }
        try ledger.emit(started ? .subscriptionScheduleCanceled : .subscriptionScheduleAborted, schedule)
    }

    /// Scheduled seven days before the end of a schedule that cancels its subscription.
    package static func expiring(_ id: String, _ ledger: Ledger) throws {
        guard let schedule = try ledger.store.find(id)?.object, schedule["status"] == "active" else { return }
        try ledger.emit(.subscriptionScheduleExpiring, schedule)
    }

    /// `from_subscription`: a schedule whose one phase is the subscription's current period.
    package static func fromSubscription(_ sub: inout JSONValue, _ ledger: Ledger) throws -> JSONValue {
        guard sub["schedule"].isNull else {
            throw StripeError.invalidRequest("The subscription \(sub["id"].stringValue ?? "") is already attached to a schedule.",
                                             param: "from_subscription")
        }
        let now = try ledger.now(for: sub)
        let id = try ledger.newID("sub_sched")
        let items = SubscriptionEngine.items(sub).map { SchedulePhase.Item(price: $0["price"], quantity: $0["quantity"].intValue ?? 1, metadata: $0["metadata"]) }
        var phase = SchedulePhase(items: items)
        phase.endDate = SubscriptionEngine.periodEnd(sub)
        let start = SubscriptionEngine.periodStart(sub)
        let phaseJSON = phase.json(start: start, end: phase.endDate!, currency: sub["currency"].stringValue ?? "usd")
        let schedule: JSONValue = [
            "id": .string(id), "object": "subscription_schedule", "application": nil,
            "billing_mode": ["flexible": nil, "type": "classic"], "canceled_at": nil, "completed_at": nil, "created": .int(now),
            "current_phase": ["end_date": phaseJSON["end_date"], "start_date": phaseJSON["start_date"]], "customer": sub["customer"],
            "customer_account": nil,
            "default_settings": [
                "application_fee_percent": nil, "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil],
                "billing_cycle_anchor": "automatic", "billing_thresholds": nil, "collection_method": sub["collection_method"],
                "default_payment_method": sub["default_payment_method"], "description": sub["description"],
                "invoice_settings": ["account_tax_ids": nil, "days_until_due": sub["days_until_due"], "issuer": ["type": "self"]],
                "on_behalf_of": nil, "transfer_data": nil,
            ],
            "end_behavior": "release", "livemode": false, "metadata": [:], "phases": [phaseJSON],
            "released_at": nil, "released_subscription": nil, "status": "active", "subscription": sub["id"], "test_clock": sub["test_clock"],
        ]
        try ledger.store.insert(schedule, type: "subscription_schedule")
        let before = sub
        sub["schedule"] = .string(id)
        try SubscriptionEngine.save(sub, ledger)
        try ledger.emit(.subscriptionScheduleCreated, schedule)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
        try scheduleNext(schedule, now: now, ledger)
        return schedule
    }

    /// `POST /v1/subscription_schedules/{id}` with `phases`: the phases are replaced (dates laid
    /// from the first one's start); the current phase's items apply to the subscription now.
    package static func replacePhases(_ schedule: inout JSONValue, _ phases: [SchedulePhase], startDate: Int?,
                                      prorationBehavior: String? = nil, _ ledger: Ledger) throws {
        let now = try ledger.now(for: schedule)
        let status = schedule["status"].stringValue ?? ""
        guard ["active", "not_started"].contains(status) else {
            throw StripeError.invalidRequest("You cannot update a subscription schedule that is currently \(status).",
                                             code: "subscription_schedule_not_updatable")
        }
        let start = startDate ?? schedule["phases"][0]["start_date"].intValue ?? now
        schedule["phases"] = try phasesJSON(phases, from: start)
        guard status == "active", let subID = schedule["subscription"].stringValue, var sub = try ledger.store.find(subID)?.object else {
            if status == "not_started" {
                try Scheduler.cancel(ledger, .scheduleAdvance, target: schedule["id"].stringValue!)
                try Scheduler.schedule(ledger, clock: schedule["test_clock"].stringValue, at: max(start, now), .scheduleAdvance,
                                       target: schedule["id"].stringValue!)
            }
            return
        }
        let phaseList = schedule["phases"].arrayValue ?? []
        let current = phaseList.last(where: { ($0["start_date"].intValue ?? 0) <= now }) ?? phaseList.first ?? .null
        schedule["current_phase"] = ["end_date": current["end_date"], "start_date": current["start_date"]]
        var change = try self.change(to: current, from: sub, ledger)
        if let prorationBehavior { change.prorationBehavior = prorationBehavior }
        try ledger.store.update(schedule)
        try SubscriptionEngine.update(&sub, change, ledger)
        try scheduleNext(schedule, now: now, ledger)
    }
}
