/// A plan EFFINITY sells: its price, trial and the limits it grants.
///
/// Plans live in a committed catalog file rather than in code so that sales can change prices
/// and limits without a release, and so the scenario runner can load the same catalog.
public struct Plan: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Monthly price in cents; 0 for the free plan, which has no Stripe price.
    public var monthlyPriceCents: Int
    public var currency: String
    public var trialDays: Int
    public var limits: PlanLimits

    /// The Stripe price's `lookup_key`, so the app finds its prices idempotently.
    public var lookupKey: String { "effinity_\(id)_monthly" }
    public var isFree: Bool { monthlyPriceCents == 0 }
}

/// What a plan allows; `nil` means unlimited.
public struct PlanLimits: Sendable, Equatable, Codable {
    /// Leads created per billing period.
    public var leadsPerPeriod: Int?
    public var properties: Int?
    public var seats: Int?

    public init(leadsPerPeriod: Int?, properties: Int?, seats: Int?) {
        self.leadsPerPeriod = leadsPerPeriod
        self.properties = properties
        self.seats = seats
    }
}
