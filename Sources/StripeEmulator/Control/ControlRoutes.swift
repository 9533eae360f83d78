import GRDB
import StripeEngine
import StripeWire

/// The non-Stripe control API under `/_emulator/`, per tenant (same API key): the account clock,
/// dunning settings, scripted faults, completing authentication, and reset. Moving the clock
/// forward is in `DirectControlRoutes.swift`, because it waits for webhook deliveries on the way.
enum ControlRoutes {
    static func register(_ r: inout APIRouter) {
        r.get("/_emulator/time", time)
        r.post("/_emulator/time/freeze", settles: true, freeze)
        r.post("/_emulator/time/unfreeze", settles: true, unfreeze)
        r.get("/_emulator/settings", writes: true, settings)  // registers the clock URL's alias
        r.get("/_emulator/expandable", expandable)
        r.post("/_emulator/settings", updateSettings)
        r.post("/_emulator/faults/charges", injectChargeFailure)
        r.delete("/_emulator/faults/charges/{customer}", clearChargeFailure)
        r.post("/_emulator/faults/charges/clear", clearChargeFailureOf)
        r.post("/_emulator/payment_intents/{id}/authenticate", authenticatePayment)
        r.post("/_emulator/reset", reset)
    }

    static func timeJSON(_ req: APIRequest) throws -> JSONValue {
        let state = try req.clock.state()
        let now = try req.clock.now()
        return ["object": "emulator.time", "now": .int(now), "frozen": .bool(state.frozenTime != nil),
                "next_due": .from(try Scheduler.nextDue(req.ledger, clock: ""))]
    }

    static func time(_ req: inout APIRequest) throws -> JSONValue { try timeJSON(req) }

    static func freeze(_ req: inout APIRequest) throws -> JSONValue {
        let at = try req.params.int("at") ?? req.clock.now()
        let now = try req.clock.now()
        if at > now { try req.ledger.runDueInRequest(clock: "", until: at, param: "at") }
        try req.clock.set(.init(frozenTime: at, offset: 0))
        // One batch within the request; time travel and due work take any rest.
        try EventRetention.prune(req.ledger, now: at, days: req.settings.eventRetentionDays)
        return try timeJSON(req)
    }

    static func unfreeze(_ req: inout APIRequest) throws -> JSONValue {
        let now = try req.clock.now()
        try req.clock.set(.init(frozenTime: nil, offset: now - req.settings.wallClock.now()))
        return try timeJSON(req)
    }

    /// What `expand[]` accepts on each object type (from Stripe's schemas): for tools and the
    /// SDK suite that walk every list with every expansion.
    static func expandable(_ req: inout APIRequest) throws -> JSONValue {
        func table(_ t: [String: Set<String>]) -> JSONValue {
            var o: JSONValue = [:]
            for (type, paths) in t { o[type] = .array(paths.sorted().map { .string($0) }) }
            return o
        }
        return ["object": "emulator.expandable", "expandable": table(ExpandableFields.expandable),
                "includable": table(ExpandableFields.includable)]
    }

    static func settings(_ req: inout APIRequest) throws -> JSONValue {
        try settingsJSON(req, dunning: try Dunning.settings(req.ledger), account: try AccountObject.read(req.ledger))
    }

    static func updateSettings(_ req: inout APIRequest) throws -> JSONValue {
        var d = try Dunning.settings(req.ledger)
        if let days = try req.params.strings("dunning", "retry_days") {
            d.retryDays = try days.map { s in
                guard let n = Int(s), n >= 1, n <= 60 else {
                    throw StripeError.invalidRequest("retry_days are whole days between 1 and 60.", param: "dunning[retry_days]")
                }
                return n
            }
        }
        if let s = try req.params.choice("dunning", "subscription_end", in: ["cancel", "unpaid", "past_due"]) { d.subscriptionEnd = s }
        if let i = try req.params.choice("dunning", "invoice_end", in: ["open", "uncollectible"]) { d.invoiceEnd = i }
        try Dunning.save(d, req.ledger)
        // account[display_name], account[country], account[default_currency], ...: the account
        // integrations read at GET /v1/account (and invoices and charges carry).
        var changes: [String: JSONValue] = [:]
        for key in AccountObject.settable.sorted() where key != "metadata" {
            if let v = try req.params.string("account", key) { changes[key] = v.isEmpty ? .null : .string(v) }
        }
        if let c = changes["country"]?.stringValue, c.count != 2 || !c.allSatisfy(\.isUppercase) {
            throw StripeError.invalidRequest("account[country] is a two-letter ISO code like US.", param: "account[country]")
        }
        if changes["default_currency"]?.stringValue != nil { changes["default_currency"] = .string(try req.params.currency("account", "default_currency") ?? "usd") }
        let account = changes.isEmpty ? try AccountObject.read(req.ledger) : try AccountObject.update(changes, req.ledger)
        // The account's default API version: requests without Stripe-Version, events, endpoints without their own.
        if let v = try req.params.nonEmpty("api_version") { try APIVersion.setAccountDefault(try APIVersion.parse(v, param: "api_version"), req.ledger) }
        if let t = try req.params.choice("webhook_signature_time", in: SignatureTime.allCases.map(\.rawValue)) {
            try SignatureTime.set(SignatureTime(rawValue: t)!, req.ledger)
        }
        return try settingsJSON(req, dunning: d, account: account)
    }

    static func settingsJSON(_ req: APIRequest, dunning: DunningSettings, account: JSONValue) throws -> JSONValue {
        ["object": "emulator.settings", "dunning": dunning.json, "account": account,
         "api_version": .string(try APIVersion.accountDefault(req.ledger)),
         "webhook_signature_time": .string(try SignatureTime.of(req.ledger).rawValue),
         // The account's clock without a key, for an app under test that follows virtual time.
         "clock_url": .string(req.settings.baseURL + "/_emulator/clock/" + (try AccountAlias.register(req.ledger)))]
    }

    /// The card holder a charge failure is set on: `customer`, `payment_method` or `card` (a card
    /// number: every payment method with it, including ones saved later). Exactly one.
    static func faultTarget(_ req: inout APIRequest) throws -> FaultInjection.Target {
        let customer = try req.params.nonEmpty("customer")
        let pm = try req.params.nonEmpty("payment_method")
        let card = try req.params.nonEmpty("card")
        guard [customer, pm, card].compactMap({ $0 }).count == 1 else {
            throw StripeError.invalidRequest("Name the card holder with exactly one of customer, payment_method or card.",
                                             param: customer == nil ? "customer" : "payment_method")
        }
        if let customer { return .customer(try Customers.live(customer, req, param: "customer")["id"].stringValue!) }
        if let pm { return .paymentMethod(try PaymentMethods.live(pm, &req, param: "payment_method")["id"].stringValue!) }
        let number = card!.filter { $0 != " " }
        guard number.count >= 12, number.allSatisfy(\.isNumber) else {
            throw StripeError.invalidRequest("card must be a full card number, like 4242424242424242.", param: "card")
        }
        return .card(number)
    }

    static func describe(_ target: FaultInjection.Target) -> (String, JSONValue) {
        switch target {
        case .customer(let id): ("customer", .string(id))
        case .paymentMethod(let id): ("payment_method", .string(id))
        case .card(let number): ("card", .string(number))
        }
    }

    static func injectChargeFailure(_ req: inout APIRequest) throws -> JSONValue {
        let target = try faultTarget(&req)
        let from = try req.params.int("from_attempt") ?? 1
        guard from >= 1 else { throw StripeError.invalidRequest("from_attempt starts at 1.", param: "from_attempt") }
        let code = try req.params.nonEmpty("decline_code") ?? "generic_decline"
        try FaultInjection.set(req.ledger, target, fromAttempt: from, declineCode: code)
        let (key, value) = describe(target)
        return ["object": "emulator.fault", .init(key): value, "from_attempt": .int(from), "decline_code": .string(code)]
    }

    /// `POST /_emulator/faults/charges/clear` with the same target: "the customer fixed the card".
    static func clearChargeFailureOf(_ req: inout APIRequest) throws -> JSONValue {
        let target = try faultTarget(&req)
        try FaultInjection.clear(req.ledger, target)
        let (key, value) = describe(target)
        return ["object": "emulator.fault", .init(key): value, "deleted": true]
    }

    static func clearChargeFailure(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req)
        try FaultInjection.clear(req.ledger, .customer(customer["id"].stringValue!))
        return ["object": "emulator.fault", "customer": customer["id"], "deleted": true]
    }

    /// Completes (or fails) the authentication a `requires_action` payment intent waits for, as the
    /// customer would on the 3D Secure page.
    static func authenticatePayment(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try PaymentIntents.get(req.pathParam(), req)
        guard pi["status"] == "requires_action", let pmID = pi["payment_method"].stringValue else {
            throw StripeError.invalidRequest("This PaymentIntent is not waiting for authentication (status \(pi["status"].stringValue ?? "")).",
                                             code: "payment_intent_unexpected_state")
        }
        let outcome = try req.params.choice("outcome", in: ["complete", "fail"]) ?? "complete"
        let ledger = req.ledger
        if outcome == "fail" {
            try Payments.failAuthentication(&pi, pm: try req.store.get(pmID, type: "payment_method"), ledger)
        } else {
            _ = try Payments.confirm(&pi, paymentMethod: pmID, offSession: false, ledger, authenticated: true)
        }
        // An invoice waiting on this intent follows its outcome.
        for var invoice in try req.store.all(type: "invoice", filters: [.field("status", equals: "open")])
        where (invoice["payments"]["data"].arrayValue ?? []).contains(where: { $0["payment"]["payment_intent"] == pi["id"] }) {
            if pi["status"] == "succeeded" {
                var payment = invoice["payments"]["data"].arrayValue!.last { $0["payment"]["payment_intent"] == pi["id"] }!
                let before = invoice
                payment["status"] = "paid"
                payment["amount_paid"] = pi["amount"]
                payment["status_transitions"]["paid_at"] = .int(try ledger.now(for: invoice))
                try req.store.update(payment)
                Invoicing.setPayment(&invoice, payment)
                invoice["amount_paid"] = pi["amount"]
                try Invoicing.markPaid(&invoice, ledger, outOfBand: false, before: before, payment: payment)
                try SubscriptionEngine.afterCollection(invoice: invoice, result: .paid, ledger)
            }
        }
        return try PaymentIntents.get(pi["id"].stringValue!, req)
    }

    /// Forgets everything of this tenant (objects, events, scheduled work, deliveries, clock, settings).
    static func reset(_ req: inout APIRequest) throws -> JSONValue {
        let account = req.account
        try AccountReset.run(req.db, account: account)
        return ["object": "emulator.reset", "deleted": true]
    }
}
