import StripeWire

/// Emails about the subscription's life (besides the invoice emails of the webhook receiver),
/// queued in the same transaction as the change they tell about.
extension BillingService {
    /// `customer.subscription.trial_will_end`, for a subscription that is still trialing when the
    /// app handles it. What the owner must do depends on whether Stripe has a card to charge:
    /// nothing (the card is charged when the trial ends) or add one (else the trial just ends).
    func notifyTrialEnding(org: String, subscription sub: JSONValue, _ tx: any BillingTransaction, now: Int) throws {
        let end = sub["trial_end"].intValue ?? now
        let days = max(0, (end - now + 86399) / 86400)
        let item = sub["items"]["data"][0]["price"]
        let plan = plan(forLookupKey: item["lookup_key"].stringValue)
        let planName = plan?.name ?? "paid"
        let amount = Self.money(item["unit_amount"].intValue ?? plan?.priceCents ?? 0, item["currency"].stringValue ?? plan?.currency ?? "usd")
        if Self.hasCardOnFile(sub) {
            try queue(org: org, kind: "trial_ending", subject: "Your EFFINITY trial ends in \(days) days",
                      body: "Your trial of the \(planName) plan ends on \(Self.date(end)). Your card on file will be charged \(amount) then; there is nothing to do to keep your plan.",
                      tx, now: now)
        } else {
            try queue(org: org, kind: "trial_ending", subject: "Your EFFINITY trial ends in \(days) days: add a payment method",
                      body: "Your trial of the \(planName) plan ends on \(Self.date(end)). Add a payment method in the billing dashboard to keep your plan; without one it stops when the trial ends.",
                      tx, now: now)
        }
    }

    /// A card Stripe will charge at the trial's end: the subscription's default payment method, or
    /// the customer's invoice default (the subscription must be read with `expand[]=customer`).
    static func hasCardOnFile(_ sub: JSONValue) -> Bool {
        !sub["default_payment_method"].isNull || !sub["customer"]["invoice_settings"]["default_payment_method"].isNull
    }

    /// The subscription was canceled after its payment failed through dunning: the org is on the
    /// free plan now (see ``OrgSubscription/fallBackToFreePlan(_:)``), and its owners are told.
    func notifyDowngradedAfterDunning(org: String, endedPlan: Plan, _ tx: any BillingTransaction, now: Int) throws {
        let free = policy.catalog.freePlan
        try queue(org: org, kind: "downgraded_to_free", subject: "Your \(endedPlan.name) plan ended: you are on the \(free.name) plan",
                  body: "We could not collect the payment for your \(endedPlan.name) subscription, so it was canceled. Your organization now has the \(free.name) plan's limits; nothing was deleted. Choose a plan in the billing dashboard to upgrade again.",
                  tx, now: now)
    }
}
