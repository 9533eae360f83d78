import StripeWire

/// The org's subscription row as a mirror of its one current Stripe subscription.
extension BillingService {
    /// What mirroring a Stripe subscription did: the org's row afterwards (nil for an unknown
    /// org) and whether the subscription was the org's current one (see ``OrgSubscription/admit(subscription:status:)``).
    struct Mirrored {
        var row: OrgSubscription?
        var admission: OrgSubscription.Admission
        var subscriptionID: String
    }

    /// Re-reads a subscription from Stripe and mirrors it (the order-proof way to apply webhooks).
    @discardableResult
    public func refreshSubscription(id: String, eventCreated: Int, orgHint: String? = nil) async throws -> OrgSubscription? {
        let sub = try await stripe.get("/v1/subscriptions/\(id)")
        return try await store.write { tx in try self.mirror(sub, tx, orgHint: orgHint, eventCreated: eventCreated).row }
    }

    /// Applies a Stripe subscription object to the org's row, if it is the org's current one.
    ///
    /// `pastDueAt` is the `created` time of the event being handled when its own payload already
    /// said `past_due` (see ``OrgSubscription/markPastDue(failedAt:now:)``).
    func mirror(_ sub: JSONValue, _ tx: any BillingTransaction, orgHint: String?, eventCreated: Int, pastDueAt: Int? = nil) throws -> Mirrored {
        let subID = sub["id"].stringValue ?? ""
        let customer = sub["customer"].stringValue ?? sub["customer"]["id"].stringValue ?? ""
        guard let org = try orgHint ?? sub["metadata"]["org_id"].stringValue ?? tx.org(stripeSubscription: subID) ?? tx.org(stripeCustomer: customer),
              try tx.organization(org) != nil else {
            logger.warning("subscription for an unknown organization", metadata: ["subscription": "\(subID)"])
            return Mirrored(row: nil, admission: .ignoreStale, subscriptionID: subID)
        }
        let now = clock.now()
        var row = try tx.subscription(org: org) ?? .free(org: org, now: now)
        let before = row
        let status = sub["status"].stringValue ?? row.status
        let admission = row.admit(subscription: subID, status: status)
        guard admission == .mirror else {
            logger.notice("subscription is not the organization's current one; not mirrored", metadata: [
                "org": "\(org)", "subscription": "\(subID)", "status": "\(status)", "current": "\(row.stripeSubscriptionID ?? "")"])
            return Mirrored(row: row, admission: admission, subscriptionID: subID)
        }
        row.lastEventCreated = max(row.lastEventCreated, eventCreated)
        if OrgSubscription.isEnded(status) {
            let endedNow = row.stripeSubscriptionID == subID && row.hasLiveSubscription
            let endedPlan = policy.catalog.plan(row.plan)
            row.status = status
            row.stripeSubscriptionID = subID
            row.fallBackToFreePlan(policy.catalog.freePlan)
            try tx.saveSubscription(row)
            try recordBusinessEvents(before, row, sub, tx, now: now)
            // Canceled after dunning: the owners learn why their plan changed.
            if endedNow, sub["cancellation_details"]["reason"].stringValue == "payment_failed", let endedPlan, !endedPlan.isFree {
                try notifyDowngradedAfterDunning(org: org, endedPlan: endedPlan, tx, now: now)
            }
            return Mirrored(row: row, admission: admission, subscriptionID: subID)
        }
        let item = sub["items"]["data"][0]
        let newSubscription = row.stripeSubscriptionID != subID
        if status == "past_due" { row.markPastDue(failedAt: pastDueAt, now: now) } else { row.pastDueSince = nil }
        row.status = status
        row.plan = plan(forLookupKey: item["price"]["lookup_key"].stringValue)?.id ?? sub["metadata"]["plan"].stringValue ?? row.plan
        row.stripeCustomerID = customer.isEmpty ? row.stripeCustomerID : customer
        row.stripeSubscriptionID = subID
        row.stripePriceID = item["price"]["id"].stringValue
        // basil moved the period onto the items; before it, the subscription carries it.
        row.currentPeriodStart = item["current_period_start"].intValue ?? sub["current_period_start"].intValue
        row.currentPeriodEnd = item["current_period_end"].intValue ?? sub["current_period_end"].intValue
        row.trialEnd = sub["trial_end"].intValue
        row.cancelAtPeriodEnd = sub["cancel_at_period_end"].boolValue ?? false
        // Lead usage counts per billing period; a new subscription starts a new one even when it
        // begins in the same second as the free plan's period.
        if let start = row.currentPeriodStart, start != row.usagePeriodStart || newSubscription {
            row.leadsUsed = 0
            row.usagePeriodStart = start
        }
        try tx.saveSubscription(row)
        try recordBusinessEvents(before, row, sub, tx, now: now)
        return Mirrored(row: row, admission: admission, subscriptionID: subID)
    }

    /// The ``BusinessEvent``s of one change of the org's row, in the change's transaction.
    func recordBusinessEvents(_ before: OrgSubscription, _ after: OrgSubscription, _ sub: JSONValue,
                              _ tx: any BillingTransaction, now: Int) throws {
        for (event, plan) in BusinessEvent.between(before, after, catalog: policy.catalog,
                                                   cancellationReason: sub["cancellation_details"]["reason"].stringValue) {
            try tx.recordBusinessEvent(org: after.orgID, event, plan: plan, at: now)
        }
    }

    /// Cancels a subscription the org must not keep, now: an unpaid first attempt or a paused
    /// trial replaced by a new Checkout, or a second paid subscription from a parallel Checkout
    /// (`prorate`: its unused time is credited to the customer's next invoice). One that is
    /// already canceled or gone (Stripe's 404) is fine: the goal is reached.
    func cancelSubscription(_ id: String, prorate: Bool) async throws {
        do {
            _ = try await stripe.delete("/v1/subscriptions/\(id)", prorate ? [("prorate", "true")] : [])
            logger.notice("canceled a subscription the organization must not keep", metadata: ["subscription": "\(id)"])
        } catch let e as StripeCallError where e.isResourceMissing {
            logger.notice("subscription to cancel is already canceled or gone", metadata: ["subscription": "\(id)"])
        }
    }

    /// Ends a second subscription that a parallel Checkout completed (decision: cancelled and
    /// refunded, never kept): it is canceled at once without proration, and what its first
    /// invoice collected is refunded in full, since the org never meant to buy it twice. A trial
    /// collected nothing, so only the cancel happens. The refund's idempotency key is the
    /// subscription's, so a retried webhook never refunds twice.
    func endExtraSubscription(_ id: String) async throws {
        let sub = try await stripe.get("/v1/subscriptions/\(id)", [("expand[0]", "latest_invoice")])
        try await cancelSubscription(id, prorate: false)
        let invoice = sub["latest_invoice"]
        guard (invoice["amount_paid"].intValue ?? 0) > 0 else { return }
        // The payment intent is on the invoice's payments since basil, on the invoice before.
        let paid = invoice["payments"]["data"].arrayValue?.first { $0["status"].stringValue == "paid" }
        guard let intent = paid?["payment"]["payment_intent"].stringValue ?? invoice["payment_intent"].stringValue else {
            logger.warning("extra subscription was paid but its payment is not found: refund it by hand", metadata: ["subscription": "\(id)"])
            return
        }
        _ = try await stripe.post("/v1/refunds", [("payment_intent", .string(intent)), ("metadata", .dict(["subscription": .string(id)]))],
                                  idempotencyKey: "effinity-extra-subscription-refund-\(id)")
        logger.notice("refunded the first payment of an extra subscription", metadata: ["subscription": "\(id)", "payment_intent": "\(intent)"])
    }
}
