import StripeWire

/// What an organization may create, decided from its subscription and plan alone (no HTTP, no SQL).
///
/// The store calls these inside the transaction that counts and inserts, so the check and the
/// count can never disagree, even with many concurrent requests at the limit.
public struct BillingPolicy: Sendable {
    public var catalog: PlanCatalog
    /// How long a `past_due` subscription keeps working while Stripe retries the payment.
    public var pastDueGraceSeconds: Int
    /// Where the upgrade prompt sends people.
    public var upgradeURL: String

    public init(catalog: PlanCatalog, pastDueGraceSeconds: Int = 7 * 86400, upgradeURL: String = "/dashboard/billing") {
        self.catalog = catalog
        self.pastDueGraceSeconds = pastDueGraceSeconds
        self.upgradeURL = upgradeURL
    }

    /// The resources a plan limits.
    public enum Resource: String, Sendable, Codable, CaseIterable {
        case lead, property, seat

        var limit: KeyPath<PlanLimits, Int?> {
            switch self {
            case .lead: return \.leadsPerPeriod
            case .property: return \.properties
            case .seat: return \.seats
            }
        }
    }

    /// The body of a 403 at a limit: what was hit and what to buy instead.
    public struct UpgradePrompt: Sendable, Equatable, Codable {
        public var resource: String
        public var limit: Int
        public var used: Int
        public var currentPlan: String
        public var suggestedPlan: String?
        public var upgradeURL: String
        public var message: String
    }

    public enum Refusal: Error, Sendable, Equatable {
        /// 402: no usable subscription.
        case paymentRequired(String)
        /// 403: the plan's limit is reached.
        case limitReached(UpgradePrompt)
    }

    /// The plan whose limits apply to an org, whatever its payment standing.
    ///
    /// An org whose Stripe subscription is over (`canceled` after a cancel or after dunning,
    /// `incomplete_expired`) or has not been paid yet (`incomplete`) is on the free plan: it
    /// never loses the free plan it had before subscribing, and is never held to (or refused
    /// under) the name of a paid plan it no longer has. Rows mirrored before the mirror moved
    /// ended subscriptions to the free plan itself are covered too.
    public func planInForce(_ sub: OrgSubscription) -> Plan? {
        if OrgSubscription.isEnded(sub.status) || sub.status == "incomplete" { return catalog.freePlan }
        return catalog.plan(sub.plan)
    }

    /// `requireActiveSubscription`: the plan in force, or 402 when a live paid subscription is
    /// owed money (past_due beyond the grace period, unpaid, paused): paying it restores the plan.
    public func requireActiveSubscription(_ sub: OrgSubscription?, now: Int) throws(Refusal) -> Plan {
        guard let sub else { throw .paymentRequired("This organization has no subscription. Choose a plan to continue.") }
        guard let plan = planInForce(sub) else { throw .paymentRequired("The plan '\(sub.plan)' no longer exists. Choose a plan.") }
        // The free plan needs no payment, whatever the status of a subscription that ended.
        if plan.isFree { return plan }
        switch sub.status {
        case "active", "trialing":
            return plan
        case "past_due":
            if let since = sub.pastDueSince, now - since > pastDueGraceSeconds {
                throw .paymentRequired("Your last payment failed and the grace period has ended. Update your card to continue.")
            }
            return plan
        case "paused":
            throw .paymentRequired("Your \(plan.name) subscription is paused. Add a payment method in the billing portal to resume it.")
        default:
            throw .paymentRequired("Your \(plan.name) subscription is \(sub.status.replacingOccurrences(of: "_", with: " ")). Pay the open invoice in the billing portal to continue.")
        }
    }

    /// `enforceLimit`: 403 with an upgrade prompt when `used` has reached the plan's limit.
    public func enforceLimit(plan: Plan, resource: Resource, used: Int) throws(Refusal) {
        guard let limit = plan.limits[keyPath: resource.limit], used >= limit else { return }
        let suggested = catalog.upgrade(from: plan.id, for: resource.limit)
        let noun = ["lead": "leads this billing period", "property": "properties", "seat": "seats"][resource.rawValue]!
        throw .limitReached(UpgradePrompt(
            resource: resource.rawValue, limit: limit, used: used, currentPlan: plan.id, suggestedPlan: suggested?.id,
            upgradeURL: upgradeURL,
            message: "Your \(plan.name) plan includes \(limit) \(noun)." + (suggested.map { " Upgrade to \($0.name) for more." } ?? "")))
    }

    /// `guardResourceCreation`: both checks, in order.
    public func guardResourceCreation(_ sub: OrgSubscription?, resource: Resource, used: Int, now: Int) throws(Refusal) -> Plan {
        let plan = try requireActiveSubscription(sub, now: now)
        try enforceLimit(plan: plan, resource: resource, used: used)
        return plan
    }

    /// The lead counter as of `now`: it starts again with each billing period (calendar month on the free plan).
    public func leadUsage(_ sub: OrgSubscription, now: Int) -> (used: Int, periodStart: Int) {
        let start = sub.currentPeriodStart ?? Self.monthStart(now)
        return start == sub.usagePeriodStart ? (sub.leadsUsed, start) : (0, start)
    }

    static func monthStart(_ t: Int) -> Int {
        let (y, m, _) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        return UTCCalendar.days(fromCivil: y, m, 1) * 86400
    }
}
