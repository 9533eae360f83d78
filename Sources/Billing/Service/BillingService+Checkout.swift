import StripeWire

/// Subscribing, managing and changing plans through Stripe.
extension BillingService {
    /// The org's Stripe customer, created on first need (again after the customer was deleted in Stripe).
    ///
    /// No org-wide idempotency key: after a `customer.deleted`, Stripe would replay the deleted
    /// customer for a key like `customer-<org>` for 24 hours (or refuse it for another owner's
    /// email). The client's own key covers its retries; two first subscribes at once are settled
    /// by the store: the first customer saved wins, and the other one is deleted again.
    func stripeCustomer(org: String, email: String) async throws -> String {
        if let existing = try await store.read({ tx in try tx.subscription(org: org)?.stripeCustomerID }) { return existing }
        let customer = try await stripe.post("/v1/customers", [
            ("email", .string(email)), ("metadata", .dict(["org_id": .string(org)])), ("name", .string(org)),
        ])
        let id = customer["id"].stringValue ?? ""
        let now = clock.now()
        let kept = try await store.write { tx in
            var sub = try tx.subscription(org: org) ?? .free(org: org, now: now)
            if let other = sub.stripeCustomerID { return other }
            sub.stripeCustomerID = id
            try tx.saveSubscription(sub)
            return id
        }
        if kept != id {
            logger.notice("a concurrent request created the organization's customer first; deleting ours", metadata: ["org": "\(org)", "customer": "\(id)"])
            _ = try? await stripe.delete("/v1/customers/\(id)")
        }
        return kept
    }

    /// `POST /api/billing/subscription`: a Checkout Session for a paid plan, with the plan's trial.
    ///
    /// An org never has two live subscriptions: an active or trialing one is changed with
    /// `/api/billing/upgrade` (409 here); one that owes money (`past_due`, `unpaid`) is a 409
    /// sending the owner to the portal to pay it; one that was never paid (`incomplete`) or
    /// paused at a trial's end without a card (`paused`) owes nothing, and is canceled before the
    /// new Checkout opens. An earlier Checkout still open for the org is expired, so only the
    /// newest can be paid; a completion racing past that is canceled by the webhook receiver.
    public func startCheckout(org: String, email: String, planID: String) async throws -> (id: String, url: String) {
        guard let plan = policy.catalog.plan(planID) else {
            throw AppError.validation(["plan": "Unknown plan '\(planID)'. Plans: \(policy.catalog.plans.map(\.id).joined(separator: ", "))."])
        }
        guard !plan.isFree else { throw AppError.validation(["plan": "The free plan needs no checkout."]) }
        guard checkoutsInFlight.claim(org, "checkout") else {
            throw AppError(409, "checkout_in_progress", "A Checkout for this organization is being opened; use that one or retry.")
        }
        defer { checkoutsInFlight.release(org, "checkout") }
        let current = try await currentSubscription(org: org)
        if let current, current.hasLiveSubscription, let subID = current.stripeSubscriptionID {
            let name = policy.catalog.plan(current.plan)?.name ?? current.plan
            switch current.status {
            case "active", "trialing":
                throw AppError(409, "already_subscribed", "This organization already has a \(current.plan) subscription; use /api/billing/upgrade to change plans.")
            case "past_due", "unpaid":
                throw AppError(409, "payment_overdue", "This organization's \(name) subscription has an unpaid invoice. Update the card in the billing portal (POST /api/billing/portal) to pay it and keep the plan.")
            default:
                try await cancelSubscription(subID, prorate: false)
                try await refreshSubscription(id: subID, eventCreated: clock.now(), orgHint: org)
            }
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
        let id = session["id"].stringValue ?? ""
        // After the new one exists: a failed create leaves the earlier Checkout usable.
        try await expireOpenCheckouts(customer: customer, except: id)
        return (id, session["url"].stringValue ?? "")
    }

    /// The org's row, its live subscription re-read from Stripe first: the mirror may lag behind
    /// (a webhook still on its way), and what Checkout allows depends on the present state. A
    /// subscription Stripe no longer knows (404: deleted with its test clock) counts as ended.
    func currentSubscription(org: String) async throws -> OrgSubscription? {
        guard let row = try await store.read({ tx in try tx.subscription(org: org) }) else { return nil }
        guard row.hasLiveSubscription, let subID = row.stripeSubscriptionID else { return row }
        do {
            return try await refreshSubscription(id: subID, eventCreated: clock.now(), orgHint: org) ?? row
        } catch let e as StripeCallError where e.isResourceMissing {
            let free = policy.catalog.freePlan
            return try await store.write { tx -> OrgSubscription? in
                guard var r = try tx.subscription(org: org) else { return nil }
                if r.stripeSubscriptionID == subID, r.hasLiveSubscription {
                    r.status = "canceled"
                    r.fallBackToFreePlan(free)
                    try tx.saveSubscription(r)
                }
                return r
            }
        }
    }

    /// Expires the customer's Checkout Sessions still open but `except` (another tab, a double
    /// click), so an org has one payable Checkout at a time. A session that completed or expired meanwhile
    /// (Stripe's 400) is left alone: a second subscription from it is canceled on its webhook.
    func expireOpenCheckouts(customer: String, except: String) async throws {
        let open = try await stripe.get("/v1/checkout/sessions", [("customer", .string(customer)), ("status", "open"), ("limit", "100")])
        for session in open["data"].arrayValue ?? [] where session["status"].stringValue == "open" {
            guard let id = session["id"].stringValue, id != except else { continue }
            do {
                _ = try await stripe.post("/v1/checkout/sessions/\(id)/expire")
            } catch let e as StripeCallError where !e.isRetryable {
                logger.notice("earlier Checkout Session could not be expired", metadata: ["session": "\(id)", "error": "\(e)"])
            }
        }
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
            if plan.isFree, let current, current.hasLiveSubscription, let stuck = current.stripeSubscriptionID {
                // Unpaid, paused or incomplete: no plan is granted until it is paid, so choosing
                // the free plan ends it now rather than at a period end.
                try await cancelSubscription(stuck, prorate: false)
                let ended = try await refreshSubscription(id: stuck, eventCreated: clock.now(), orgHint: org)
                return ["status": .string(ended?.status ?? "canceled"), "plan": .string(ended?.plan ?? plan.id)]
            }
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
}
