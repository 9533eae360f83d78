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

    @Test(arguments: ["unpaid", "paused"])
    func aLivePaidSubscriptionThatOwesMoneyIs402(status: String) {
        #expect(throws: BillingPolicy.Refusal.self) { try policy.requireActiveSubscription(sub(status), now: now) }
    }

    /// Ended (canceled, incomplete_expired) or never paid (incomplete): the free plan and its
    /// limits, not a 402 under the old paid plan's name; also for rows mirrored before the fix,
    /// whose plan still names the paid plan.
    @Test(arguments: ["canceled", "incomplete_expired", "incomplete"])
    func anEndedOrUnpaidFirstSubscriptionIsTheFreePlan(status: String) throws {
        let plan = try policy.requireActiveSubscription(sub(status, plan: "pro"), now: now)
        #expect(plan.id == "free")
        #expect(throws: BillingPolicy.Refusal.self) { try policy.guardResourceCreation(sub(status, plan: "pro"), resource: .property, used: 3, now: now) }
        #expect(try policy.guardResourceCreation(sub(status, plan: "pro"), resource: .property, used: 2, now: now).id == "free")
        var ended = sub(status, plan: "pro")
        ended.fallBackToFreePlan(policy.catalog.freePlan)
        #expect(ended.plan == "free")
        #expect(try policy.requireActiveSubscription(ended, now: now).id == "free")
    }

    @Test func onlyTheCurrentSubscriptionIsMirrored() {
        var row = sub("active")
        #expect(row.admit(subscription: "sub_new", status: "active") == .mirror)  // no Stripe subscription yet
        row.stripeSubscriptionID = "sub_1"
        #expect(row.admit(subscription: "sub_1", status: "canceled") == .mirror)
        #expect(row.admit(subscription: "sub_2", status: "active") == .extra)
        #expect(row.admit(subscription: "sub_2", status: "canceled") == .ignoreStale)
        for live in ["unpaid", "incomplete", "paused", "past_due", "trialing"] {
            row.status = live
            #expect(row.admit(subscription: "sub_2", status: "trialing") == .extra, "current \(live)")
        }
        row.status = "canceled"
        #expect(row.admit(subscription: "sub_2", status: "active") == .mirror)  // a new subscription after a cancel
        #expect(row.admit(subscription: "sub_0", status: "incomplete_expired") == .ignoreStale)
    }

    /// The grace period starts when the payment failed, whatever order (and delay) the webhooks come in.
    @Test func pastDueStartsAtTheFailure() {
        var row = sub("active")
        row.markPastDue(failedAt: now - 5 * 86400, now: now)
        #expect(row.pastDueSince == now - 5 * 86400)
        row.status = "past_due"
        row.markPastDue(failedAt: nil, now: now + 100)
        #expect(row.pastDueSince == now - 5 * 86400)
        row.markPastDue(failedAt: now - 2 * 86400, now: now)
        #expect(row.pastDueSince == now - 5 * 86400)
        var late = sub("active")
        late.markPastDue(failedAt: nil, now: now)  // learnt from a re-read only
        late.status = "past_due"
        late.markPastDue(failedAt: now - 86400, now: now)  // the failure's own event, delivered late
        #expect(late.pastDueSince == now - 86400)
        #expect(throws: BillingPolicy.Refusal.self) {
            try policy.requireActiveSubscription(sub("past_due", pastDueSince: now - 8 * 86400), now: now)
        }
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
