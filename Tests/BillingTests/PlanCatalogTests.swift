import Foundation
import Testing
@testable import Billing

@Suite struct PlanCatalogTests {
    static let json = """
        {"plans": [
          {"id": "pro", "name": "Pro", "monthlyPriceCents": 9900, "currency": "usd", "trialDays": 14,
           "limits": {"leadsPerPeriod": 1000, "properties": 100, "seats": 10}},
          {"id": "free", "name": "Free", "monthlyPriceCents": 0, "currency": "usd", "trialDays": 0,
           "limits": {"leadsPerPeriod": 25, "properties": 3, "seats": 1}},
          {"id": "starter", "name": "Starter", "monthlyPriceCents": 2900, "currency": "usd", "trialDays": 14,
           "limits": {"leadsPerPeriod": 200, "properties": 20, "seats": 3}},
          {"id": "enterprise", "name": "Enterprise", "monthlyPriceCents": 49900, "currency": "usd", "trialDays": 30,
           "limits": {"leadsPerPeriod": null, "properties": null, "seats": null}}
        ]}
        """

    @Test func loadsSortedByPrice() throws {
        let c = try PlanCatalog(json: Data(Self.json.utf8))
        #expect(c.plans.map(\.id) == ["free", "starter", "pro", "enterprise"])
        #expect(c.plan("pro")?.lookupKey == "effinity_pro_monthly")
        #expect(c.plan("free")?.isFree == true)
    }

    @Test func suggestsTheCheapestPlanWithMoreRoom() throws {
        let c = try PlanCatalog(json: Data(Self.json.utf8))
        #expect(c.upgrade(from: "free", for: \.leadsPerPeriod)?.id == "starter")
        #expect(c.upgrade(from: "pro", for: \.seats)?.id == "enterprise")
        #expect(c.upgrade(from: "enterprise", for: \.seats) == nil)
    }

    @Test func rejectsBadCatalogs() {
        let plan = Plan(id: "a", name: "A", monthlyPriceCents: 1, currency: "usd", trialDays: 0,
                        limits: PlanLimits(leadsPerPeriod: 1, properties: 1, seats: 1))
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: []) }
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: [plan, plan]) }
        var negative = plan
        negative.limits.seats = -1
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: [negative]) }
    }
}
