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
        let plan = Plan(id: "a", name: "A", priceCents: 1, currency: "usd", trialDays: 0,
                        limits: PlanLimits(leadsPerPeriod: 1, properties: 1, seats: 1))
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: []) }
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: [plan, plan]) }
        var negative = plan
        negative.limits.seats = -1
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: [negative]) }
    }

    @Test func yearlyAndOtherIntervals() throws {
        let json = """
            {"plans": [
              {"id": "free", "name": "Free", "monthlyPriceCents": 0, "currency": "usd", "trialDays": 0,
               "limits": {"leadsPerPeriod": 25, "properties": 3, "seats": 1}},
              {"id": "pro_annual", "name": "Pro (annual)", "priceCents": 99000, "interval": "year", "currency": "usd", "trialDays": 0,
               "limits": {"leadsPerPeriod": 2000, "properties": 250, "seats": 10}},
              {"id": "starter_q", "name": "Starter (quarterly)", "priceCents": 8100, "interval": "month", "intervalCount": 3,
               "currency": "usd", "trialDays": 0, "limits": {"leadsPerPeriod": 200, "properties": 25, "seats": 3}}
            ]}
            """
        let c = try PlanCatalog(json: Data(json.utf8))
        let annual = try #require(c.plan("pro_annual"))
        #expect(annual.lookupKey == "effinity_pro_annual_yearly")
        #expect(annual.monthlyPriceCents == 8250)  // $990.00 / 12
        #expect(annual.billingPeriod == "year")
        let quarterly = try #require(c.plan("starter_q"))
        #expect(quarterly.lookupKey == "effinity_starter_q_every_3_months")
        #expect(quarterly.monthlyPriceCents == 2700)  // $81.00 / 3
        #expect(c.plans.map(\.id) == ["free", "starter_q", "pro_annual"])  // ordered by the monthly equivalent
        // A yearly plan needs priceCents: monthlyPriceCents would say the wrong thing.
        let ambiguous = #"{"plans": [{"id": "y", "name": "Y", "monthlyPriceCents": 100, "interval": "year", "currency": "usd", "trialDays": 0, "limits": {"leadsPerPeriod": 1, "properties": 1, "seats": 1}}]}"#
        #expect(throws: DecodingError.self) { try PlanCatalog(json: Data(ambiguous.utf8)) }
        var fortnight = annual
        fortnight.interval = "fortnight"
        #expect(throws: PlanCatalog.Invalid.self) { try PlanCatalog(plans: [fortnight]) }
    }
}
