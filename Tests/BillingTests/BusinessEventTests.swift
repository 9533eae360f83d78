import Testing
@testable import Billing

/// Which business events one change of an organization's row is (``BusinessEvent/between``).
@Suite struct BusinessEventTests {
    static let catalog = try! BillingService.defaultCatalog()

    func row(_ sub: String?, _ status: String, _ plan: String) -> OrgSubscription {
        var r = OrgSubscription.free(org: "acme", now: 0)
        r.stripeSubscriptionID = sub
        r.status = status
        r.plan = plan
        return r
    }

    func events(_ before: OrgSubscription, _ after: OrgSubscription, reason: String? = nil) -> [String] {
        BusinessEvent.between(before, after, catalog: Self.catalog, cancellationReason: reason).map { "\($0.0.rawValue):\($0.1)" }
    }

    @Test func newSubscriptionsCountOnceTheyGrantThePlan() {
        #expect(events(row(nil, "active", "free"), row("sub_1", "trialing", "pro")) == ["new_subscription:pro"])
        #expect(events(row(nil, "active", "free"), row("sub_1", "active", "starter")) == ["new_subscription:starter"])
        // Incomplete (first payment pending) is not yet a subscription; paying it makes it one.
        #expect(events(row(nil, "active", "free"), row("sub_1", "incomplete", "pro")) == [])
        #expect(events(row("sub_1", "incomplete", "pro"), row("sub_1", "active", "pro")) == ["new_subscription:pro"])
        // A repeated mirror of the same state is nothing.
        #expect(events(row("sub_1", "trialing", "pro"), row("sub_1", "trialing", "pro")) == [])
        // A new subscription after an ended one is new again.
        #expect(events(row("sub_1", "canceled", "free"), row("sub_2", "active", "pro")) == ["new_subscription:pro"])
    }

    @Test func trialsConvertOrAreCanceled() {
        #expect(events(row("sub_1", "trialing", "pro"), row("sub_1", "active", "pro")) == ["trial_converted:pro"])
        // The ended row is on the free plan already: the event names the trial's plan.
        #expect(events(row("sub_1", "trialing", "pro"), row("sub_1", "canceled", "free")) == ["trial_canceled:pro"])
        // A trial whose first charge failed has not converted yet.
        #expect(events(row("sub_1", "trialing", "pro"), row("sub_1", "past_due", "pro")) == [])
    }

    @Test func churnIsVoluntaryUnlessThePaymentFailed() {
        #expect(events(row("sub_1", "active", "starter"), row("sub_1", "canceled", "free"), reason: "cancellation_requested")
                == ["churn_voluntary:starter"])
        #expect(events(row("sub_1", "active", "starter"), row("sub_1", "canceled", "free"), reason: "payment_failed")
                == ["churn_involuntary:starter"])
        #expect(events(row("sub_1", "unpaid", "pro"), row("sub_1", "canceled", "free")) == ["churn_involuntary:pro"])
        // An abandoned first payment never was a paying subscription.
        #expect(events(row("sub_1", "incomplete", "pro"), row("sub_1", "incomplete_expired", "free")) == [])
    }

    @Test func recoveriesAndPlanMoves() {
        #expect(events(row("sub_1", "past_due", "pro"), row("sub_1", "active", "pro")) == ["payment_recovered:pro"])
        #expect(events(row("sub_1", "unpaid", "pro"), row("sub_1", "active", "pro")) == ["payment_recovered:pro"])
        #expect(events(row("sub_1", "active", "starter"), row("sub_1", "active", "pro")) == ["upgrade:pro"])
        #expect(events(row("sub_1", "active", "pro"), row("sub_1", "active", "starter")) == ["downgrade:starter"])
        #expect(events(row("sub_1", "trialing", "starter"), row("sub_1", "active", "pro")) == ["trial_converted:pro", "upgrade:pro"])
    }
}
