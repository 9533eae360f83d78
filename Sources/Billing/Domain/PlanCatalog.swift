import Foundation

/// The ordered list of plans, cheapest first, read from a JSON catalog file.
public struct PlanCatalog: Sendable, Equatable {
    public let plans: [Plan]

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(plans: [Plan]) throws(Invalid) {
        guard !plans.isEmpty else { throw Invalid(description: "the plan catalog is empty") }
        var ids: Set<String> = []
        for p in plans {
            guard ids.insert(p.id).inserted else { throw Invalid(description: "plan '\(p.id)' is listed twice") }
            guard p.priceCents >= 0, p.trialDays >= 0 else {
                throw Invalid(description: "plan '\(p.id)' has a negative price or trial")
            }
            guard Plan.intervals.contains(p.interval), (1...1095).contains(p.intervalCount) else {
                throw Invalid(description: "plan '\(p.id)' bills every \(p.intervalCount) \(p.interval): the interval is day, week, month or year, the count at least 1")
            }
            for (name, v) in [("leadsPerPeriod", p.limits.leadsPerPeriod), ("properties", p.limits.properties), ("seats", p.limits.seats)] {
                if let v, v < 0 { throw Invalid(description: "plan '\(p.id)' has a negative \(name) limit") }
            }
        }
        self.plans = plans.sorted { $0.monthlyPriceCents < $1.monthlyPriceCents }
    }

    public init(json: Data) throws {
        struct File: Decodable { let plans: [Plan] }
        try self.init(plans: JSONDecoder().decode(File.self, from: json).plans)
    }

    public func plan(_ id: String) -> Plan? { plans.first { $0.id == id } }

    /// The plan of an org without a live paid subscription: the free one, or the cheapest when
    /// a catalog has no free plan.
    public var freePlan: Plan { plans.first { $0.isFree } ?? plans[0] }

    /// The cheapest plan above `current` whose limit for a resource is higher, for upgrade prompts.
    public func upgrade(from current: String, for limit: KeyPath<PlanLimits, Int?>) -> Plan? {
        guard let index = plans.firstIndex(where: { $0.id == current }) else { return nil }
        let currentLimit = plans[index].limits[keyPath: limit]
        return plans[(index + 1)...].first { candidate in
            guard let have = currentLimit else { return false }
            guard let offered = candidate.limits[keyPath: limit] else { return true }
            return offered > have
        }
    }
}
