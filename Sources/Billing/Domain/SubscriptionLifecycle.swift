/// The rules of an organization's subscription over its life, from Stripe's statuses alone (no
/// HTTP, no SQL): which Stripe subscription is the org's current one, when it is over, and what
/// the org falls back to.
///
/// An organization has at most one *live* Stripe subscription. Every path that could give it a
/// second (Checkout while an unpaid or incomplete one exists, two Checkouts completed in
/// parallel, a stale subscription's late webhooks) goes through ``OrgSubscription/admit(subscription:status:)``.
extension OrgSubscription {
    /// Stripe statuses after which a subscription never bills nor grants its plan again.
    public static let endedStatuses: Set<String> = ["canceled", "incomplete_expired"]

    /// Whether a status is final (see ``endedStatuses``).
    public static func isEnded(_ status: String) -> Bool { endedStatuses.contains(status) }

    /// The org has a Stripe subscription that is not over (it may still bill, be paid, be resumed):
    /// it must not get a second one.
    public var hasLiveSubscription: Bool { stripeSubscriptionID != nil && !Self.isEnded(status) }

    /// What to do with a Stripe subscription that a webhook (or a re-read) reports for this org.
    public enum Admission: Equatable, Sendable {
        /// It is the org's current subscription, or becomes it: mirror it.
        case mirror
        /// Another subscription that ended (an older one, or an extra one already canceled): its
        /// news must not overwrite the current one.
        case ignoreStale
        /// Another subscription that is live while the org's current one is live too: a second
        /// paid subscription (two Checkouts completed in parallel). It is never mirrored, and the
        /// Checkout completion that made it cancels it.
        case extra
    }

    /// Whether subscription `id`, now in `status`, may be mirrored onto this row.
    ///
    /// A different subscription replaces the current one only once the current one is over (a
    /// new subscription after a cancel); otherwise the current one wins, whatever order the
    /// webhooks arrive in.
    public func admit(subscription id: String, status: String) -> Admission {
        if stripeSubscriptionID == nil || stripeSubscriptionID == id { return .mirror }
        if Self.isEnded(status) { return .ignoreStale }
        return hasLiveSubscription ? .extra : .mirror
    }

    /// The org's subscription ended (canceled, voluntarily or after dunning; or `incomplete_expired`,
    /// never paid): the org is back on the free plan, with the free plan's limits and its lead
    /// counter per calendar month. The ended subscription's id and final status stay, as history
    /// (and so no new trial is offered).
    public mutating func fallBackToFreePlan(_ free: Plan) {
        plan = free.id
        stripePriceID = nil
        currentPeriodStart = nil
        currentPeriodEnd = nil
        trialEnd = nil
        cancelAtPeriodEnd = false
        pastDueSince = nil
    }

    /// When the grace period of a `past_due` subscription starts: when the payment failed, not
    /// when the app happened to process the news (a webhook outage must not extend the grace).
    ///
    /// `failedAt` is the `created` time of an event whose own payload was already `past_due` (the
    /// event that reported the failure, or a later one); it is nil when the app learnt of the
    /// status from a re-read only (an event older than the failure, or the app's own call), and
    /// then `now` stands in until an event with a time arrives. The earliest time known wins, so
    /// webhooks in any order give the same start.
    public mutating func markPastDue(failedAt: Int?, now: Int) {
        let known = status == "past_due" ? pastDueSince : nil
        pastDueSince = [known, failedAt ?? (known == nil ? now : nil)].compactMap { $0 }.min()
    }
}
