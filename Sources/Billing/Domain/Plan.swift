/// A plan EFFINITY sells: its price, billing interval, trial and the limits it grants.
///
/// Plans live in a committed catalog file rather than in code so that sales can change prices
/// and limits without a release, and so the scenario runner can load the same catalog.
public struct Plan: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// The price of one billing interval, in cents; 0 for the free plan, which has no Stripe price.
    /// The catalog gives it as `priceCents`, or as `monthlyPriceCents` for a monthly plan.
    public var priceCents: Int
    /// Stripe's `recurring.interval`: `day`, `week`, `month` (the default) or `year`.
    public var interval: String
    /// Stripe's `recurring.interval_count` (1 by default): `interval: month, intervalCount: 3` is quarterly.
    public var intervalCount: Int
    public var currency: String
    public var trialDays: Int
    public var limits: PlanLimits

    public static let intervals = ["day", "week", "month", "year"]

    public init(id: String, name: String, priceCents: Int, interval: String = "month", intervalCount: Int = 1, currency: String,
                trialDays: Int, limits: PlanLimits) {
        self.id = id
        self.name = name
        self.priceCents = priceCents
        self.interval = interval
        self.intervalCount = intervalCount
        self.currency = currency
        self.trialDays = trialDays
        self.limits = limits
    }

    enum CodingKeys: String, CodingKey {
        case id, name, priceCents, monthlyPriceCents, interval, intervalCount, currency, trialDays, limits
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        interval = try c.decodeIfPresent(String.self, forKey: .interval) ?? "month"
        intervalCount = try c.decodeIfPresent(Int.self, forKey: .intervalCount) ?? 1
        if let p = try c.decodeIfPresent(Int.self, forKey: .priceCents) {
            priceCents = p
        } else {
            guard interval == "month", intervalCount == 1 else {
                throw DecodingError.keyNotFound(CodingKeys.priceCents, .init(codingPath: c.codingPath,
                    debugDescription: "plan '\(id)' bills every \(intervalCount) \(interval): give its price as priceCents"))
            }
            priceCents = try c.decode(Int.self, forKey: .monthlyPriceCents)
        }
        currency = try c.decode(String.self, forKey: .currency)
        trialDays = try c.decode(Int.self, forKey: .trialDays)
        limits = try c.decode(PlanLimits.self, forKey: .limits)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(priceCents, forKey: .priceCents)
        try c.encode(interval, forKey: .interval)
        try c.encode(intervalCount, forKey: .intervalCount)
        try c.encode(currency, forKey: .currency)
        try c.encode(trialDays, forKey: .trialDays)
        try c.encode(limits, forKey: .limits)
    }

    /// The price of a month of this plan, for MRR and for ordering plans by price (a yearly
    /// plan's price over 12, a weekly one's times 52/12), rounded to the cent.
    public var monthlyPriceCents: Int {
        let perInterval = Double(priceCents) / Double(max(1, intervalCount))
        let monthly: Double
        switch interval {
        case "year": monthly = perInterval / 12
        case "week": monthly = perInterval * 52 / 12
        case "day": monthly = perInterval * 365 / 12
        default: monthly = perInterval
        }
        return Int(monthly.rounded())
    }

    /// The Stripe price's `lookup_key`, so the app finds its prices idempotently
    /// (`effinity_pro_monthly`, `effinity_pro_yearly`, `effinity_pro_every_3_months`).
    public var lookupKey: String {
        if intervalCount == 1 { return "effinity_\(id)_" + (["day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"][interval] ?? interval) }
        return "effinity_\(id)_every_\(intervalCount)_\(interval)s"
    }

    /// "month", "year", "3 months": for prices shown to people.
    public var billingPeriod: String { intervalCount == 1 ? interval : "\(intervalCount) \(interval)s" }

    public var isFree: Bool { priceCents == 0 }
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
