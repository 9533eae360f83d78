/// An organization (a real-estate agency) and the people in it.
public struct Organization: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var createdAt: Int
}

public struct User: Sendable, Equatable, Codable {
    public var id: String
    public var email: String
    public var createdAt: Int
}

/// Who may do what in an organization: only owners and admins manage billing.
public enum Role: String, Sendable, Codable, CaseIterable {
    case owner, admin, member

    public var managesBilling: Bool { Permission.manageBilling.allows(self) }
}

public struct Membership: Sendable, Equatable, Codable {
    public var orgID: String
    public var userID: String
    public var email: String
    public var role: Role
}

public struct Property: Sendable, Equatable, Codable {
    public var id: String
    public var orgID: String
    public var title: String
    public var address: String?
    public var createdAt: Int
}

public struct Lead: Sendable, Equatable, Codable {
    public var id: String
    public var orgID: String
    public var name: String
    public var email: String?
    public var createdAt: Int
}

/// The app's mirror of an organization's current Stripe subscription (one per organization;
/// see `SubscriptionLifecycle.swift` for which one is current).
public struct OrgSubscription: Sendable, Equatable, Codable {
    public var orgID: String
    /// The plan in force: the current subscription's, or the free plan once it ended.
    public var plan: String
    /// Stripe's status (`active`, `trialing`, `past_due`, `canceled`, ...); `active` for an org
    /// that never subscribed. After its subscription ended the org is on the free plan, and the
    /// final status (`canceled`, `incomplete_expired`) stays with the ended subscription's id.
    public var status: String
    public var stripeCustomerID: String?
    public var stripeSubscriptionID: String?
    public var stripePriceID: String?
    public var currentPeriodStart: Int?
    public var currentPeriodEnd: Int?
    public var trialEnd: Int?
    public var cancelAtPeriodEnd: Bool
    /// When the subscription last became `past_due` (for the grace period).
    public var pastDueSince: Int?
    /// Leads created in the current usage period, and when that period started.
    public var leadsUsed: Int
    public var usagePeriodStart: Int
    /// `created` of the newest Stripe event applied, so an older event never overwrites a newer state.
    public var lastEventCreated: Int

    public static func free(org: String, now: Int) -> OrgSubscription {
        OrgSubscription(orgID: org, plan: "free", status: "active", stripeCustomerID: nil, stripeSubscriptionID: nil,
                        stripePriceID: nil, currentPeriodStart: nil, currentPeriodEnd: nil, trialEnd: nil,
                        cancelAtPeriodEnd: false, pastDueSince: nil, leadsUsed: 0, usagePeriodStart: now, lastEventCreated: 0)
    }
}

public struct Invoice: Sendable, Equatable, Codable {
    public var stripeInvoiceID: String
    public var orgID: String
    public var number: String?
    public var amountDue: Int
    public var amountPaid: Int
    public var currency: String
    public var status: String
    public var hostedInvoiceURL: String?
    public var invoicePDF: String?
    public var periodStart: Int?
    public var periodEnd: Int?
    public var paidAt: Int?
    public var createdAt: Int
}

public struct UsageRecord: Sendable, Equatable, Codable {
    public var orgID: String
    public var resource: String
    public var action: String
    public var quantity: Int
    public var createdAt: Int
}

/// A message waiting to be sent (payment confirmation, payment failed, trial ending).
public struct Email: Sendable, Equatable, Codable {
    public var orgID: String
    public var to: String
    public var kind: String
    public var subject: String
    public var body: String
    public var createdAt: Int
}
