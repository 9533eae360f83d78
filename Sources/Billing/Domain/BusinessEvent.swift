/// The moments of a subscription's life the business watches (new subscriptions, trial
/// conversions, churn, plan moves, failed payments and recoveries), read off the change the
/// mirror makes to an organization's row. Recorded in the same transaction as that change, so
/// each is counted once however many servers and workers there are, and `/metrics` exports
/// the totals.
public enum BusinessEvent: String, Sendable, CaseIterable {
    /// A Stripe subscription became the org's, trialing or paid (not while `incomplete`).
    case newSubscription = "new_subscription"
    /// `trialing` → `active`: the first paid period began.
    case trialConverted = "trial_converted"
    /// `trialing` → ended: canceled (or expired) before paying.
    case trialCanceled = "trial_canceled"
    /// A paid subscription ended at the customer's wish (portal cancel, downgrade to free).
    case churnVoluntary = "churn_voluntary"
    /// A paid subscription ended because it was not paid (canceled after dunning).
    case churnInvoluntary = "churn_involuntary"
    /// The same subscription moved to a plan with a higher or a lower monthly price.
    case upgrade, downgrade
    /// An invoice's payment failed (`invoice.payment_failed`).
    case paymentFailed = "payment_failed"
    /// `past_due` or `unpaid` → `active`: a failed payment was made good.
    case paymentRecovered = "payment_recovered"

    /// The events in one change of an org's row from `before` to `after` (the subscription as
    /// mirrored; `after.plan` is already the free plan when the subscription ended, so the plan
    /// an ended subscription was on comes from `before`). `cancellationReason` is Stripe's
    /// `cancellation_details.reason`. Each event is paired with the plan it is about.
    public static func between(_ before: OrgSubscription, _ after: OrgSubscription, catalog: PlanCatalog,
                               cancellationReason: String?) -> [(BusinessEvent, String)] {
        let live: Set<String> = ["trialing", "active", "past_due"]
        let sameSubscription = before.stripeSubscriptionID != nil && before.stripeSubscriptionID == after.stripeSubscriptionID
        guard sameSubscription else {
            return live.contains(after.status) && after.stripeSubscriptionID != nil ? [(.newSubscription, after.plan)] : []
        }
        if before.status == after.status && before.plan == after.plan { return [] }
        var events: [(BusinessEvent, String)] = []
        if before.status == "incomplete", live.contains(after.status) { events.append((.newSubscription, after.plan)) }
        if OrgSubscription.isEnded(after.status), !OrgSubscription.isEnded(before.status) {
            if before.status == "trialing" {
                events.append((.trialCanceled, before.plan))
            } else if before.status != "incomplete" {
                let unpaid = cancellationReason == "payment_failed" || before.status == "past_due" || before.status == "unpaid"
                events.append((unpaid ? .churnInvoluntary : .churnVoluntary, before.plan))
            }
            return events
        }
        if before.status == "trialing", after.status == "active" { events.append((.trialConverted, after.plan)) }
        if before.status == "past_due" || before.status == "unpaid", after.status == "active" { events.append((.paymentRecovered, after.plan)) }
        if before.plan != after.plan, let old = catalog.plan(before.plan), let new = catalog.plan(after.plan), !old.isFree, !new.isFree {
            if new.monthlyPriceCents > old.monthlyPriceCents { events.append((.upgrade, after.plan)) }
            if new.monthlyPriceCents < old.monthlyPriceCents { events.append((.downgrade, after.plan)) }
        }
        return events
    }
}
