/// The `business_events` table and the aggregates `/metrics` reads, for both backends.
extension SQLBillingTransaction {
    func recordBusinessEvent(org: String, _ event: BusinessEvent, plan: String, at: Int) throws {
        try sql.execute("INSERT INTO business_events (org_id, event, plan, created_at) VALUES (?, ?, ?, ?)", org, event.rawValue, plan, at)
    }

    func businessEventCounts() throws -> [BusinessEvent: [String: Int]] {
        var out: [BusinessEvent: [String: Int]] = [:]
        for row in try sql.all("SELECT event, plan, COUNT(*) AS n FROM business_events GROUP BY event, plan") {
            guard let event = BusinessEvent(rawValue: try row.string("event")) else { continue }
            out[event, default: [:]][try row.string("plan")] = try row.int("n")
        }
        return out
    }

    func averageUsage() throws -> [BillingPolicy.Resource: Double] {
        let orgs = try sql.count("SELECT COUNT(*) AS n FROM organizations")
        guard orgs > 0 else { return [.lead: 0, .property: 0, .seat: 0] }
        let leads = try sql.count("SELECT CAST(COALESCE(SUM(leads_used), 0) AS BIGINT) AS n FROM subscriptions")
        let properties = try sql.count("SELECT COUNT(*) AS n FROM properties")
        let seats = try sql.count("SELECT COUNT(*) AS n FROM memberships")
        return [.lead: Double(leads) / Double(orgs), .property: Double(properties) / Double(orgs), .seat: Double(seats) / Double(orgs)]
    }
}
