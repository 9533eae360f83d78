import Foundation
import Testing
@testable import Billing

@Suite struct GuardTests {
    let policy = BillingPolicy(catalog: try! BillingService.defaultCatalog())
    let now = 1_800_000_000

    func sub(_ status: String, plan: String = "starter", pastDueSince: Int? = nil) -> OrgSubscription {
        var s = OrgSubscription.free(org: "o", now: now)
        s.status = status
        s.plan = plan
        s.pastDueSince = pastDueSince
        return s
    }

    @Test func activeAndTrialingPass() throws {
        #expect(try policy.requireActiveSubscription(sub("active"), now: now).id == "starter")
        #expect(try policy.requireActiveSubscription(sub("trialing"), now: now).id == "starter")
    }

    @Test(arguments: ["canceled", "unpaid", "incomplete", "incomplete_expired", "paused"])
    func inactiveStatusesAre402(status: String) {
        #expect(throws: BillingPolicy.Refusal.self) { try policy.requireActiveSubscription(sub(status), now: now) }
    }

    @Test func noSubscriptionIs402() {
        #expect(throws: BillingPolicy.Refusal.self) { try policy.requireActiveSubscription(nil, now: now) }
    }

    @Test func pastDueHasAGracePeriod() throws {
        #expect(try policy.requireActiveSubscription(sub("past_due", pastDueSince: now - 6 * 86400), now: now).id == "starter")
        #expect(throws: BillingPolicy.Refusal.self) {
            try policy.requireActiveSubscription(sub("past_due", pastDueSince: now - 8 * 86400), now: now)
        }
    }

    @Test func limitsGiveAnUpgradePrompt() throws {
        let plan = try #require(policy.catalog.plan("starter"))
        try policy.enforceLimit(plan: plan, resource: .lead, used: 199)
        do {
            try policy.enforceLimit(plan: plan, resource: .lead, used: 200)
            Issue.record("expected a refusal")
        } catch {
            guard case .limitReached(let prompt) = error else { Issue.record("wrong refusal \(error)"); return }
            #expect(prompt.limit == 200)
            #expect(prompt.used == 200)
            #expect(prompt.suggestedPlan == "pro")
            #expect(prompt.resource == "lead")
            #expect(prompt.message.contains("Upgrade to Pro"))
        }
        let enterprise = try #require(policy.catalog.plan("enterprise"))
        try policy.enforceLimit(plan: enterprise, resource: .seat, used: 10_000)
    }

    @Test func leadUsageRestartsEachPeriod() {
        var s = sub("active")
        s.currentPeriodStart = now - 100
        s.usagePeriodStart = now - 100
        s.leadsUsed = 7
        #expect(policy.leadUsage(s, now: now).used == 7)
        s.currentPeriodStart = now
        #expect(policy.leadUsage(s, now: now) == (0, now))
        var free = OrgSubscription.free(org: "o", now: 1_800_000_000)
        free.leadsUsed = 3
        free.usagePeriodStart = BillingPolicy.monthStart(1_800_000_000)
        #expect(policy.leadUsage(free, now: 1_800_000_000).used == 3)
        #expect(policy.leadUsage(free, now: 1_800_000_000 + 40 * 86400).used == 0)
    }
}
