import StripeEngine
import StripeWire

/// `/v1/subscription_schedules`: create (a customer with `phases`, or `from_subscription`),
/// retrieve, update (metadata, end behavior, phases), list, release, cancel.
/// ``StripeEngine/ScheduleEngine`` runs the phases on the clock.
enum SubscriptionSchedules {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/subscription_schedules", create)
        r.read("/v1/subscription_schedules", list)
        r.read("/v1/subscription_schedules/{id}", retrieve)
        r.post("/v1/subscription_schedules/{id}", update)
        r.post("/v1/subscription_schedules/{id}/release", release)
        r.post("/v1/subscription_schedules/{id}/cancel", cancel)
    }

    static func get(_ req: APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "subscription_schedule", noun: "subscription schedule")
    }

    /// `phases[N][…]`: items (price, quantity, metadata), `iterations` or `end_date`,
    /// `proration_behavior`, `metadata`, `description`, `default_tax_rates`.
    static func readPhases(_ req: inout APIRequest, customer: String?, now: Int) throws -> [SchedulePhase]? {
        let n = try req.params.count("phases")
        guard n > 0 else { return nil }
        var phases: [SchedulePhase] = []
        for i in 0..<n {
            let base = ["phases", String(i)]
            let m = try req.params.count(base + ["items"])
            guard m > 0 else { throw StripeError.missingParam("phases[\(i)][items]") }
            var items: [SchedulePhase.Item] = []
            for j in 0..<m {
                let ib = base + ["items", String(j)]
                let price = try phasePrice(ib, type: "recurring", &req)
                let q = try req.params.int(ib + ["quantity"]) ?? 1
                guard q >= 0 else { throw StripeError.invalidRequest("Invalid quantity: must be at least 0.", param: Params.name(ib + ["quantity"])) }
                items.append(.init(price: price, quantity: q, metadata: try Metadata.apply(&req.params, to: [:], path: ib + ["metadata"])))
            }
            try SubscriptionEngine.checkCompatible(items.map(\.price))
            var phase = SchedulePhase(items: items)
            phase.iterations = try req.params.int(base + ["iterations"])
            phase.endDate = try req.params.int(base + ["end_date"])
            if phase.iterations != nil, phase.endDate != nil {
                throw StripeError.invalidRequest("A phase takes either iterations or end_date, not both.", param: Params.name(base + ["iterations"]))
            }
            if let it = phase.iterations, it < 1 {
                throw StripeError.invalidRequest("Invalid iterations: must be at least 1.", param: Params.name(base + ["iterations"]))
            }
            if i < n - 1, phase.iterations == nil, phase.endDate == nil {
                throw StripeError.invalidRequest("Every phase but the last needs an end_date or iterations.", param: Params.name(base + ["end_date"]))
            }
            // Dates are laid end to end: a phase's `start_date` (read here for the first phase by
            // `update`) must be where the phase before it ends.
            if i > 0, let given = try req.params.int(base + ["start_date"]) {
                let previous = phases[i - 1]
                let previousStart = i == 1 ? (try req.params.int(["phases", "0", "start_date"])) : nil
                if let end = previous.endDate ?? previousStart.map({ previous.end(from: $0) }), end != given {
                    throw StripeError.invalidRequest("phases[\(i)][start_date] must equal the end of the phase before it (\(end)).",
                                                     param: Params.name(base + ["start_date"]))
                }
            }
            if let p = try req.params.choice(base + ["proration_behavior"], in: ["always_invoice", "create_prorations", "none"]) {
                phase.prorationBehavior = p
            }
            phase.metadata = try Metadata.apply(&req.params, to: [:], path: base + ["metadata"])
            phase.description = try req.params.nonEmptyPath(base + ["description"])
            phase.defaultTaxRates = try TaxRates.read(&req, base + ["default_tax_rates"]) ?? []
            try readPhaseExtras(&phase, base, customer: customer, now: now, &req)
            phases.append(phase)
        }
        return phases
    }

    /// The price at `path[price]`: recurring for a phase's items, one-time for its `add_invoice_items`.
    static func phasePrice(_ path: [String], type: String, _ req: inout APIRequest) throws -> JSONValue {
        let param = Params.name(path + ["price"])
        guard let priceID = try req.params.nonEmptyPath(path + ["price"]) else { throw StripeError.missingParam(param) }
        let price = try Subscriptions.price(priceID, req, param: param)
        guard price["type"] == .string(type) else {
            throw StripeError.invalidRequest(type == "recurring"
                ? "The price \(priceID) is not recurring: a phase's items need recurring prices."
                : "The price \(priceID) is recurring: add_invoice_items take one-time prices.", param: param)
        }
        return price
    }

    /// A phase's `trial` / `trial_end`, `discounts[]` and `add_invoice_items[]` (one-time prices
    /// billed on the phase's first invoice).
    static func readPhaseExtras(_ phase: inout SchedulePhase, _ base: [String], customer: String?, now: Int,
                                _ req: inout APIRequest) throws {
        phase.trial = try req.params.bool(base + ["trial"]) ?? false
        phase.trialEnd = try req.params.int(base + ["trial_end"])
        if phase.trial, phase.trialEnd != nil {
            throw StripeError.invalidRequest("A phase takes either trial or trial_end, not both.", param: Params.name(base + ["trial_end"]))
        }
        let currency = phase.items.first?.price["currency"].stringValue
        let requests = try DiscountParams.read(&req, base + ["discounts"], customer: customer, currency: currency, amount: nil, now: now) ?? []
        phase.discounts = requests.map { r -> JSONValue in
            switch r {
            case .existing(let d): return ["coupon": nil, "discount": d["id"], "promotion_code": nil]
            case .coupon(_, let promo?): return ["coupon": nil, "discount": nil, "promotion_code": promo["id"]]
            case .coupon(let c, nil): return ["coupon": c["id"], "discount": nil, "promotion_code": nil]
            }
        }
        let n = try req.params.count(base + ["add_invoice_items"])
        for j in 0..<n {
            let ib = base + ["add_invoice_items", String(j)]
            if req.params.has(ib + ["price_data"]) {
                throw StripeError.invalidRequest("\(Params.name(ib + ["price_data"])) is not emulated: create the price first and pass price.",
                                                 param: Params.name(ib + ["price_data"]))
            }
            if req.params.has(ib + ["discounts"]) {
                throw StripeError.invalidRequest("\(Params.name(ib + ["discounts"])) is not emulated: put the discount on the phase.",
                                                 param: Params.name(ib + ["discounts"]))
            }
            let price = try phasePrice(ib, type: "one_time", &req)
            let q = try req.params.int(ib + ["quantity"]) ?? 1
            guard q >= 1 else { throw StripeError.invalidRequest("Invalid quantity: must be at least 1.", param: Params.name(ib + ["quantity"])) }
            var item = SchedulePhase.AddInvoiceItem(price: price, quantity: q)
            item.metadata = try Metadata.apply(&req.params, to: [:], path: ib + ["metadata"])
            item.taxRates = try TaxRates.read(&req, ib + ["tax_rates"]) ?? []
            phase.addInvoiceItems.append(item)
        }
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        if let subID = try req.params.nonEmpty("from_subscription") {
            for other in ["customer", "phases", "start_date", "end_behavior"] where req.params.has(other) {
                throw StripeError.invalidRequest("You cannot set \(other) when creating a schedule from_subscription; update the schedule afterwards.",
                                                 param: other)
            }
            var sub = try req.store.get(subID, type: "subscription", param: "from_subscription")
            var schedule = try ScheduleEngine.fromSubscription(&sub, req.ledger)
            if req.params.has("metadata") {
                schedule["metadata"] = try Metadata.apply(&req.params, to: [:])
                try req.store.update(schedule)
            }
            return schedule
        }
        let customer = try Customers.live(try req.params.requiredString("customer"), req, param: "customer")
        let now = try req.ledger.now(for: customer)
        guard let phases = try readPhases(&req, customer: customer["id"].stringValue, now: now) else { throw StripeError.missingParam("phases") }
        var new = ScheduleEngine.NewSchedule(customer: customer, phases: phases)
        if let s = try req.params.nonEmpty("start_date"), s != "now" {
            guard let t = Int(s) else { throw StripeError.invalidRequest("Invalid start_date: a Unix timestamp or 'now'.", param: "start_date") }
            new.startDate = t
        }
        if let e = try req.params.choice("end_behavior", in: ["cancel", "none", "release", "renew"]) {
            guard e == "cancel" || e == "release" else {
                throw StripeError.invalidRequest("end_behavior=\(e) is deprecated: use release or cancel.", param: "end_behavior")
            }
            new.endBehavior = e
        }
        new.metadata = try Metadata.apply(&req.params, to: [:])
        if let pm = try req.params.nonEmpty("default_settings", "default_payment_method") {
            let stored = try PaymentMethods.live(pm, &req, param: "default_settings[default_payment_method]")
            new.defaultPaymentMethod = stored["id"].stringValue
        }
        new.collectionMethod = try req.params.choice("default_settings", "collection_method", in: ["charge_automatically", "send_invoice"])
        new.description = try req.params.nonEmpty("default_settings", "description")
        if let days = try req.params.int("default_settings", "invoice_settings", "days_until_due") {
            guard (0...730).contains(days) else {
                throw StripeError.invalidRequest("days_until_due must be between 0 and 730.", param: "default_settings[invoice_settings][days_until_due]")
            }
            new.daysUntilDue = days
        }
        if try req.params.choice("default_settings", "billing_cycle_anchor", in: ["automatic", "phase_start"]) == "phase_start" {
            throw StripeError.invalidRequest(
                "default_settings[billing_cycle_anchor]=phase_start is not emulated: each phase keeps the subscription's billing cycle (automatic).",
                param: "default_settings[billing_cycle_anchor]")
        }
        return try ScheduleEngine.create(new, req.ledger)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req) }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var schedule = try get(req)
        let before = schedule
        let status = schedule["status"].stringValue ?? ""
        guard ["active", "not_started"].contains(status) else {
            throw StripeError.invalidRequest("You cannot update a subscription schedule that is currently \(status).",
                                             code: "subscription_schedule_not_updatable")
        }
        schedule["metadata"] = try Metadata.apply(&req.params, to: schedule["metadata"])
        if let e = try req.params.choice("end_behavior", in: ["cancel", "release"]) { schedule["end_behavior"] = .string(e) }
        let proration = try req.params.choice("proration_behavior", in: ["always_invoice", "create_prorations", "none"])
        if let phases = try readPhases(&req, customer: schedule["customer"].stringValue, now: try req.ledger.now(for: schedule)) {
            try ScheduleEngine.replacePhases(&schedule, phases, startDate: try req.params.int("phases", "0", "start_date"),
                                             prorationBehavior: proration, req.ledger)
        } else if proration != nil {
            throw StripeError.invalidRequest("proration_behavior applies to a change of phases; pass phases with it.", param: "proration_behavior")
        }
        try req.store.update(schedule)
        try req.ledger.emitUpdate(.subscriptionScheduleUpdated, before: before, after: schedule)
        return schedule
    }

    static func release(_ req: inout APIRequest) throws -> JSONValue {
        var schedule = try get(req)
        try ScheduleEngine.release(&schedule, preserveCancelDate: try req.params.bool("preserve_cancel_date") ?? false, req.ledger)
        return schedule
    }

    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        var schedule = try get(req)
        try ScheduleEngine.cancel(&schedule, invoiceNow: try req.params.bool("invoice_now") ?? true, prorate: try req.params.bool("prorate") ?? true,
                                  req.ledger)
        return schedule
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if try req.params.bool("released") == true { filters.append(.field("status", equals: "released")) }
        if try req.params.bool("scheduled") == true { filters.append(.field("status", equals: "not_started")) }
        return try req.store.list(type: "subscription_schedule", filters: filters, page: page, url: "/v1/subscription_schedules",
                                  noun: "subscription_schedule")
    }
}
