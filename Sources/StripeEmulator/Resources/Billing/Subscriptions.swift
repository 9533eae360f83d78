import StripeEngine
import StripeWire

/// `/v1/subscriptions`: the API side of ``SubscriptionEngine`` (parameters in, engine calls out).
enum Subscriptions {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/subscriptions", create)
        r.read("/v1/subscriptions", list)
        r.read("/v1/subscriptions/search", search)
        r.read("/v1/subscriptions/{id}", retrieve)
        r.post("/v1/subscriptions/{id}", update)
        r.delete("/v1/subscriptions/{id}", cancel)
        r.post("/v1/subscriptions/{id}/resume", resume)
        r.delete("/v1/subscriptions/{id}/discount", deleteDiscount)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "subscription", param: "id")
    }

    static func price(_ id: String, _ req: APIRequest, param: String) throws -> JSONValue {
        let p = try req.store.get(id, type: "price", param: param)
        guard p["active"] != false else {
            throw StripeError.invalidRequest("The price specified is inactive. This field only accepts active prices.", param: param)
        }
        return p
    }

    /// `billing_thresholds[amount_gte]` (an empty `billing_thresholds` removes them on update).
    /// `reset_billing_cycle_anchor=true` is not emulated: a 400 that says so.
    static func readThresholds(_ req: inout APIRequest) throws -> JSONValue?? {
        guard let raw = req.params.raw(["billing_thresholds"]) else { return nil }
        if case .string = raw {
            guard try req.params.string("billing_thresholds") == "" else {
                throw StripeError.invalidRequest("Invalid billing_thresholds: must be an object, or empty to remove the thresholds.",
                                                 param: "billing_thresholds")
            }
            return .some(nil)
        }
        if try req.params.bool("billing_thresholds", "reset_billing_cycle_anchor") == true {
            throw StripeError.invalidRequest(
                "billing_thresholds[reset_billing_cycle_anchor]=true is not emulated by this fake Stripe: a threshold invoice keeps the billing cycle.",
                param: "billing_thresholds[reset_billing_cycle_anchor]")
        }
        guard let amount = try req.params.int("billing_thresholds", "amount_gte") else {
            throw StripeError.missingParam("billing_thresholds[amount_gte]")
        }
        guard amount >= 1, amount <= 99_999_999 else {
            throw StripeError.invalidRequest("billing_thresholds[amount_gte] must be between 1 and 99999999.", param: "billing_thresholds[amount_gte]")
        }
        return .some(["amount_gte": .int(amount), "reset_billing_cycle_anchor": false])
    }

    /// `items[N][price_data]`: an inline recurring price created on the fly.
    static func inlinePrice(_ req: inout APIRequest, _ base: [String]) throws -> JSONValue {
        let product = try req.params.string(base + ["product"]) ?? ""
        guard !product.isEmpty else { throw StripeError.missingParam(Params.name(base + ["product"])) }
        _ = try req.store.get(product, type: "product", param: Params.name(base + ["product"]))
        guard req.params.has(base + ["recurring"]) else { throw StripeError.missingParam(Params.name(base + ["recurring"])) }
        return try Prices.create(from: &req, path: base, product: product)
    }

    static func readTimestampOrNow(_ req: inout APIRequest, _ name: String) throws -> SubscriptionChange.TrialEnd? {
        guard let s = try req.params.nonEmpty(name) else { return nil }
        if s == "now" { return .now }
        guard let t = Int(s) else { throw StripeError.invalidRequest("Invalid \(name): must be a Unix timestamp or 'now'.", param: name) }
        return .at(t)
    }

    static func paymentMethodParam(_ req: inout APIRequest, customer: String) throws -> String?? {
        guard let pm = try req.params.string("default_payment_method") else { return nil }
        if pm.isEmpty { return .some(nil) }
        let stored = try PaymentMethods.live(pm, &req, param: "default_payment_method")
        guard stored["customer"].stringValue == customer else {
            throw StripeError.invalidRequest(
                "The customer does not have a payment method with the ID \(pm). The payment method must be attached to the customer.",
                param: "default_payment_method", code: "resource_missing")
        }
        return .some(stored["id"].stringValue)
    }

    /// `default_source`: one of the customer's card sources ("" unsets it).
    static func sourceParam(_ req: inout APIRequest, customer: String) throws -> String?? {
        guard let source = try req.params.string("default_source") else { return nil }
        if source.isEmpty { return .some(nil) }
        guard let row = try req.store.find(source), row.type == "card", !row.deleted, row.object["customer"].stringValue == customer else {
            throw StripeError.invalidRequest("No such source: '\(source)'", param: "default_source", code: "resource_missing")
        }
        return .some(source)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let customerID = try req.params.requiredString("customer")
        let customer = try Customers.live(customerID, req, param: "customer")
        let n = try req.params.count("items")
        guard n > 0 else { throw StripeError.missingParam("items") }
        guard n <= 20 else { throw StripeError.invalidRequest("A subscription can have at most 20 items.", param: "items") }
        var items: [NewSubscription.Item] = []
        for i in 0..<n {
            let base = ["items", String(i)]
            let price: JSONValue
            if let p = try req.params.nonEmpty("items", String(i), "price") {
                price = try self.price(p, req, param: "items[\(i)][price]")
            } else if req.params.has(base + ["price_data"]) {
                price = try inlinePrice(&req, base + ["price_data"])
            } else {
                throw StripeError.missingParam("items[\(i)][price]")
            }
            let given = try req.params.int(base + ["quantity"])
            if given != nil, Usage.isMetered(price) { throw Usage.quantityOnMetered(param: "items[\(i)][quantity]") }
            let q = given ?? 1
            guard q >= 0 else { throw StripeError.invalidRequest("Invalid quantity: must be at least 0.", param: "items[\(i)][quantity]") }
            let now = try req.ledger.now(for: customer)
            items.append(.init(price: price, quantity: q, metadata: try Metadata.apply(&req.params, to: [:], path: base + ["metadata"]),
                               taxRates: try TaxRates.read(&req, base + ["tax_rates"]) ?? [],
                               discounts: try DiscountParams.read(&req, base + ["discounts"], customer: customerID,
                                                                  currency: price["currency"].stringValue,
                                                                  amount: PriceMath.amount(price, quantity: q), now: now) ?? []))
        }
        try SubscriptionEngine.checkCompatible(items.map(\.price))
        let now = try req.ledger.now(for: customer)
        try AutomaticTax.refuse(&req)
        try DiscountParams.rejectLegacyAfterBasil(req)
        let firstAmount = items.reduce(0) { $0 + PriceMath.amount($1.price, quantity: $1.quantity) }
        let currency = items.first?.price["currency"].stringValue
        var discounts = try DiscountParams.read(&req, customer: customerID, currency: currency, amount: firstAmount, now: now) ?? []
        if let legacy = try DiscountParams.readLegacy(&req, customer: customerID, currency: currency, amount: firstAmount, now: now) {
            discounts.append(legacy)
        }
        var new = NewSubscription(customer: customer, items: items)
        new.discounts = discounts
        new.defaultTaxRates = try TaxRates.read(&req, ["default_tax_rates"]) ?? []
        if let t = try readThresholds(&req) { new.billingThresholds = t ?? nil }
        if let pm = try paymentMethodParam(&req, customer: customerID) { new.defaultPaymentMethod = pm }
        if let source = try sourceParam(&req, customer: customerID) { new.defaultSource = source }
        if let days = try req.params.int("trial_period_days") {
            guard (0...730).contains(days) else {
                throw StripeError.invalidRequest("trial_period_days must be between 0 and 730.", param: "trial_period_days")
            }
            if days > 0 { new.trialEnd = now + days * 86400 }
        }
        if let t = try readTimestampOrNow(&req, "trial_end") {
            if case .at(let ts) = t {
                guard ts > now else { throw StripeError.invalidRequest("Invalid timestamp: trial_end must be in the future.", param: "trial_end") }
                guard ts <= now + 730 * 86400 else { throw StripeError.invalidRequest("trial_end can be at most 730 days in the future.", param: "trial_end") }
                new.trialEnd = ts
            } else {
                new.trialEnd = nil
            }
        }
        if try req.params.bool("trial_from_plan") == true {
            if let days = items.first?.price["recurring"]["trial_period_days"].intValue, days > 0 { new.trialEnd = now + days * 86400 }
        }
        if let b = try req.params.choice("trial_settings", "end_behavior", "missing_payment_method", in: ["cancel", "pause", "create_invoice"]) {
            new.missingPaymentMethod = b
        }
        if let b = try req.params.choice("payment_behavior", in: ["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]) {
            guard b != "pending_if_incomplete" else {
                throw StripeError.invalidRequest("payment_behavior=pending_if_incomplete is only valid when updating a subscription.", param: "payment_behavior")
            }
            new.paymentBehavior = b
        }
        if let a = try req.params.int("billing_cycle_anchor") {
            guard a >= now else { throw StripeError.invalidRequest("billing_cycle_anchor cannot be in the past.", param: "billing_cycle_anchor") }
            new.billingCycleAnchor = a
        }
        if let p = try req.params.choice("proration_behavior", in: ["create_prorations", "none", "always_invoice"]) { new.prorationBehavior = p }
        new.cancelAtPeriodEnd = try req.params.bool("cancel_at_period_end") ?? false
        new.cancelAt = try req.params.int("cancel_at")
        new.metadata = try Metadata.apply(&req.params, to: [:])
        new.description = try req.params.nonEmpty("description")
        if let c = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) { new.collectionMethod = c }
        new.daysUntilDue = try req.params.int("days_until_due")
        if new.collectionMethod == "send_invoice" && new.daysUntilDue == nil {
            throw StripeError.invalidRequest("days_until_due is required when collection_method is send_invoice.", param: "days_until_due")
        }
        new.offSession = try req.params.bool("off_session") ?? false
        _ = try req.params.currency("currency")
        _ = try req.params.choice("payment_settings", "save_default_payment_method", in: ["off", "on_subscription"])
        return try SubscriptionEngine.create(new, req.ledger)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var sub = try get(req.pathParam(), req)
        var change = SubscriptionChange()
        let n = try req.params.count("items")
        for i in 0..<n {
            let base = ["items", String(i)]
            var item = SubscriptionChange.Item()
            item.id = try req.params.nonEmpty("items", String(i), "id")
            if let p = try req.params.nonEmpty("items", String(i), "price") {
                item.price = try price(p, req, param: "items[\(i)][price]")
            } else if req.params.has(base + ["price_data"]) {
                item.price = try inlinePrice(&req, base + ["price_data"])
            }
            item.quantity = try req.params.int(base + ["quantity"])
            item.deleted = try req.params.bool(base + ["deleted"]) ?? false
            if req.params.has(base + ["metadata"]) { item.metadata = try Metadata.apply(&req.params, to: [:], path: base + ["metadata"]) }
            _ = try req.params.bool(base + ["clear_usage"])
            item.taxRates = try TaxRates.read(&req, base + ["tax_rates"])
            item.discounts = try DiscountParams.read(&req, base + ["discounts"], customer: sub["customer"].stringValue, currency: sub["currency"].stringValue,
                                                     amount: nil, now: try req.ledger.now(for: sub))
            change.items.append(item)
        }
        try AutomaticTax.refuse(&req)
        try DiscountParams.rejectLegacyAfterBasil(req)
        let now = try req.ledger.now(for: sub)
        change.discounts = try DiscountParams.read(&req, customer: sub["customer"].stringValue, currency: sub["currency"].stringValue, amount: nil, now: now)
        if let legacy = try DiscountParams.readLegacy(&req, customer: sub["customer"].stringValue, currency: sub["currency"].stringValue,
                                                      amount: nil, now: now) {
            change.discounts = [legacy]
        }
        change.defaultTaxRates = try TaxRates.read(&req, ["default_tax_rates"])
        change.billingThresholds = try readThresholds(&req)
        if let p = try req.params.choice("proration_behavior", in: ["create_prorations", "none", "always_invoice"]) { change.prorationBehavior = p }
        change.prorationDate = try req.params.int("proration_date")
        change.cancelAtPeriodEnd = try req.params.bool("cancel_at_period_end")
        if let s = try req.params.string("cancel_at") {
            change.cancelAt = .some(s.isEmpty ? nil : try req.params.int("cancel_at"))
        }
        change.trialEnd = try readTimestampOrNow(&req, "trial_end")
        if let pm = try paymentMethodParam(&req, customer: sub["customer"].stringValue!) { change.defaultPaymentMethod = pm }
        if let source = try sourceParam(&req, customer: sub["customer"].stringValue!) { change.defaultSource = source }
        if req.params.has("metadata") { change.metadata = try Metadata.apply(&req.params, to: sub["metadata"]) }
        if let d = try req.params.string("description") { change.description = .some(d.isEmpty ? nil : d) }
        if req.params.has("cancellation_details") {
            if let r = try req.params.choice("cancellation_details", "reason", in: ["cancellation_requested", "payment_disputed", "payment_failed"]) {
                change.cancellationReason = .some(r)
            }
            if let c = try req.params.string("cancellation_details", "comment") { change.cancellationComment = .some(c.isEmpty ? nil : c) }
            if let f = try req.params.string("cancellation_details", "feedback") { change.cancellationFeedback = .some(f.isEmpty ? nil : f) }
        }
        if let anchor = try req.params.choice("billing_cycle_anchor", in: ["now", "unchanged"]) { change.billingCycleAnchorNow = anchor == "now" }
        if let b = try req.params.choice("payment_behavior", in: ["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]) {
            change.paymentBehavior = b
            if b == "pending_if_incomplete", let other = req.params.root.keys.sorted().first(where: { !SubscriptionEngine.pendingUpdateParameters.contains($0) }) {
                throw StripeError.invalidRequest(
                    "When payment_behavior=pending_if_incomplete, you can only pass these parameters: \(SubscriptionEngine.pendingUpdateParameters.sorted().joined(separator: ", ")). You passed \(other).",
                    param: other)
            }
        }
        change.missingPaymentMethod = try req.params.choice("trial_settings", "end_behavior", "missing_payment_method", in: ["cancel", "pause", "create_invoice"])
        _ = try req.params.bool("off_session")
        try SubscriptionEngine.update(&sub, change, req.ledger)
        return sub
    }

    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        var sub = try get(req.pathParam(), req)
        guard SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") || ["incomplete", "paused"].contains(sub["status"].stringValue ?? "") else {
            throw StripeError.invalidRequest("This subscription is already \(sub["status"].stringValue ?? "canceled").",
                                             code: "resource_missing", status: 404)
        }
        let invoiceNow = try req.params.bool("invoice_now") ?? false
        let prorate = try req.params.bool("prorate") ?? false
        if let r = try req.params.choice("cancellation_details", "reason", in: ["cancellation_requested", "payment_disputed", "payment_failed"]) {
            sub["cancellation_details"]["reason"] = .string(r)
        }
        if let c = try req.params.nonEmpty("cancellation_details", "comment") { sub["cancellation_details"]["comment"] = .string(c) }
        if let f = try req.params.nonEmpty("cancellation_details", "feedback") { sub["cancellation_details"]["feedback"] = .string(f) }
        let reason = sub["cancellation_details"]["reason"].stringValue ?? "cancellation_requested"
        try SubscriptionEngine.cancelNow(&sub, reason: reason, req.ledger, invoiceNow: invoiceNow, prorate: prorate)
        return try get(sub["id"].stringValue!, req)
    }

    static func resume(_ req: inout APIRequest) throws -> JSONValue {
        var sub = try get(req.pathParam(), req)
        _ = try req.params.choice("billing_cycle_anchor", in: ["now", "unchanged"])
        _ = try req.params.choice("proration_behavior", in: ["create_prorations", "none", "always_invoice"])
        _ = try req.params.int("proration_date")
        try SubscriptionEngine.resume(&sub, req.ledger)
        return sub
    }

    /// `DELETE /v1/subscriptions/{id}/discount`: the subscription's discounts end now (an
    /// integration before basil had one; this removes every one, answering the first).
    static func deleteDiscount(_ req: inout APIRequest) throws -> JSONValue {
        var sub = try get(req.pathParam(), req)
        guard let first = sub["discounts"].arrayValue?.first?.stringValue, let discount = try req.store.find(first)?.object else {
            throw StripeError.invalidRequest("Subscription \(sub["id"].stringValue ?? "") does not have a discount.", code: "resource_missing",
                                             status: 404)
        }
        var change = SubscriptionChange()
        change.discounts = []
        try SubscriptionEngine.update(&sub, change, req.ledger)
        return Discounts.deletedStub(discount)
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        let status = try req.params.choice("status", in: ["active", "all", "canceled", "ended", "incomplete", "incomplete_expired",
                                                           "past_due", "paused", "trialing", "unpaid"])
        switch status {
        case nil: filters.append(ListFilter(sql: "json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", arguments: []))
        case "all": break
        case "ended": filters.append(.field("status", in: ["canceled", "incomplete_expired"]))
        case let s?: filters.append(.field("status", equals: .string(s)))
        }
        if let p = try req.params.nonEmpty("price") {
            filters.append(ListFilter(sql: "EXISTS (SELECT 1 FROM json_each(json_extract(data, '$.items.data')) WHERE json_extract(value, '$.price.id') = ?)",
                                      arguments: [p]))
        }
        if let c = try req.params.nonEmpty("test_clock") { filters.append(.field("test_clock", equals: .string(c))) }
        if let m = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) {
            filters.append(.field("collection_method", equals: .string(m)))
        }
        return try req.store.list(type: "subscription", filters: filters, page: page, url: "/v1/subscriptions", noun: "subscription")
    }

    static func search(_ req: inout APIRequest) throws -> JSONValue {
        try req.search(type: "subscription", url: "/v1/subscriptions/search")
    }
}
