import StripeWire

/// Subscribing, managing and changing plans through Stripe.
extension BillingService {
    /// The org's Stripe customer, created (idempotently) on first need.
    func stripeCustomer(org: String, email: String) async throws -> String {
        if let existing = try await store.read({ tx in try tx.subscription(org: org)?.stripeCustomerID }) { return existing }
        let customer = try await stripe.post("/v1/customers", [
            ("email", .string(email)), ("metadata", .dict(["org_id": .string(org)])), ("name", .string(org)),
        ], idempotencyKey: "effinity-customer-\(org)")
        let id = customer["id"].stringValue ?? ""
        let now = clock.now()
        try await store.write { tx in
            var sub = try tx.subscription(org: org) ?? .free(org: org, now: now)
            sub.stripeCustomerID = id
            try tx.saveSubscription(sub)
        }
        return id
    }

    /// `POST /api/billing/subscription`: a Checkout Session for a paid plan, with the plan's trial.
    public func startCheckout(org: String, email: String, planID: String) async throws -> (id: String, url: String) {
        guard let plan = policy.catalog.plan(planID) else {
            throw AppError.validation(["plan": "Unknown plan '\(planID)'. Plans: \(policy.catalog.plans.map(\.id).joined(separator: ", "))."])
        }
        guard !plan.isFree else { throw AppError.validation(["plan": "The free plan needs no checkout."]) }
        let current = try await store.read { tx in try tx.subscription(org: org) }
        if let current, current.stripeSubscriptionID != nil, ["active", "trialing", "past_due"].contains(current.status) {
            throw AppError(409, "already_subscribed", "This organization already has a \(current.plan) subscription; use /api/billing/upgrade to change plans.")
        }
        let customer = try await stripeCustomer(org: org, email: email)
        let price = try await priceID(for: plan)
        var params: [(String, FormValue)] = [
            ("mode", "subscription"), ("customer", .string(customer)), ("client_reference_id", .string(org)),
            ("line_items", .array([.dict(["price": .string(price), "quantity": "1"])])),
            ("success_url", .string("\(appURL)/dashboard/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}")),
            ("cancel_url", .string("\(appURL)/dashboard/billing?checkout=canceled")),
            ("metadata", .dict(["org_id": .string(org), "plan": .string(plan.id)])),
        ]
        var subscriptionData: [String: FormValue] = ["metadata": .dict(["org_id": .string(org), "plan": .string(plan.id)])]
        // A trial only for organizations that never had a paid subscription.
        if plan.trialDays > 0, current?.stripeSubscriptionID == nil { subscriptionData["trial_period_days"] = .string(String(plan.trialDays)) }
        params.append(("subscription_data", .dict(subscriptionData)))
        let session = try await stripe.post("/v1/checkout/sessions", params)
        return (session["id"].stringValue ?? "", session["url"].stringValue ?? "")
    }

    /// `POST /api/billing/portal`.
    public func portalURL(org: String) async throws -> String {
        guard let customer = try await store.read({ tx in try tx.subscription(org: org)?.stripeCustomerID }) else {
            throw AppError(400, "no_customer", "This organization has no billing account yet; subscribe to a plan first.")
        }
        let session = try await stripe.post("/v1/billing_portal/sessions", [
            ("customer", .string(customer)), ("return_url", .string("\(appURL)/dashboard/billing")),
        ])
        return session["url"].stringValue ?? ""
    }

    /// `POST /api/billing/upgrade`: change the plan of a live subscription with proration, or
    /// start Checkout when there is none.
    public func changePlan(org: String, email: String, planID: String) async throws -> JSONValue {
        guard let plan = policy.catalog.plan(planID) else { throw AppError.validation(["plan": "Unknown plan '\(planID)'."]) }
        let current = try await store.read { tx in try tx.subscription(org: org) }
        guard let current, let subID = current.stripeSubscriptionID, ["active", "trialing", "past_due"].contains(current.status) else {
            if plan.isFree { throw AppError.validation(["plan": "You are already on the free plan."]) }
            let checkout = try await startCheckout(org: org, email: email, planID: planID)
            return ["checkout_session_id": .string(checkout.id), "url": .string(checkout.url)]
        }
        guard current.plan != plan.id else { throw AppError.validation(["plan": "You are already on the \(plan.name) plan."]) }
        if plan.isFree {
            _ = try await stripe.post("/v1/subscriptions/\(subID)", [("cancel_at_period_end", "true")])
            try await refreshSubscription(id: subID, eventCreated: clock.now())
            return ["status": "canceling", "plan": .string(current.plan)]
        }
        let sub = try await stripe.get("/v1/subscriptions/\(subID)")
        guard let item = sub["items"]["data"][0]["id"].stringValue else { throw AppError(502, "stripe_state", "The subscription has no item.") }
        let price = try await priceID(for: plan)
        _ = try await stripe.post("/v1/subscriptions/\(subID)", [
            ("items", .array([.dict(["id": .string(item), "price": .string(price)])])),
            ("proration_behavior", "create_prorations"),
            ("metadata", .dict(["org_id": .string(org), "plan": .string(plan.id)])),
        ])
        let updated = try await refreshSubscription(id: subID, eventCreated: clock.now())
        return ["status": .string(updated?.status ?? ""), "plan": .string(updated?.plan ?? plan.id)]
    }

    /// Re-reads a subscription from Stripe and mirrors it (the order-proof way to apply webhooks).
    @discardableResult
    public func refreshSubscription(id: String, eventCreated: Int, orgHint: String? = nil) async throws -> OrgSubscription? {
        let sub = try await stripe.get("/v1/subscriptions/\(id)")
        return try await store.write { tx in try self.mirror(sub, tx, orgHint: orgHint, eventCreated: eventCreated) }
    }

    /// Applies a Stripe subscription object to the org's row.
    func mirror(_ sub: JSONValue, _ tx: any BillingTransaction, orgHint: String?, eventCreated: Int) throws -> OrgSubscription? {
        let subID = sub["id"].stringValue ?? ""
        let customer = sub["customer"].stringValue ?? sub["customer"]["id"].stringValue ?? ""
        guard let org = try orgHint ?? sub["metadata"]["org_id"].stringValue ?? tx.org(stripeSubscription: subID) ?? tx.org(stripeCustomer: customer),
              try tx.organization(org) != nil else {
            logger.warning("subscription for an unknown organization", metadata: ["subscription": "\(subID)"])
            return nil
        }
        let now = clock.now()
        var row = try tx.subscription(org: org) ?? .free(org: org, now: now)
        // A newer subscription of the org wins over an old, ended one.
        if let current = row.stripeSubscriptionID, current != subID, ["canceled", "incomplete_expired"].contains(sub["status"].stringValue ?? "") {
            return row
        }
        let item = sub["items"]["data"][0]
        let newSubscription = row.stripeSubscriptionID != subID
        let status = sub["status"].stringValue ?? row.status
        if status == "past_due", row.status != "past_due" { row.pastDueSince = now }
        if status != "past_due" { row.pastDueSince = nil }
        row.status = status
        row.plan = plan(forLookupKey: item["price"]["lookup_key"].stringValue)?.id ?? sub["metadata"]["plan"].stringValue ?? row.plan
        row.stripeCustomerID = customer.isEmpty ? row.stripeCustomerID : customer
        row.stripeSubscriptionID = subID
        row.stripePriceID = item["price"]["id"].stringValue
        row.currentPeriodStart = item["current_period_start"].intValue
        row.currentPeriodEnd = item["current_period_end"].intValue
        row.trialEnd = sub["trial_end"].intValue
        row.cancelAtPeriodEnd = sub["cancel_at_period_end"].boolValue ?? false
        row.lastEventCreated = max(row.lastEventCreated, eventCreated)
        // Lead usage counts per billing period; a new subscription starts a new one even when it
        // begins in the same second as the free plan's period.
        if let start = row.currentPeriodStart, start != row.usagePeriodStart || newSubscription {
            row.leadsUsed = 0
            row.usagePeriodStart = start
        }
        try tx.saveSubscription(row)
        return row
    }
}
