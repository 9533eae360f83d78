import Foundation
import Testing
import StripeWire
@testable import Billing

/// A subscription's whole life through the fake: how it ends (back on the free plan), how an org
/// keeps one live subscription, trial reminders, deleted customers and vanished objects, and
/// where the past_due grace period starts.
@Suite struct LifecycleTests {
    func row(_ env: AppEnv, _ org: String) async throws -> OrgSubscription {
        try #require(try await env.service.store.read { tx in try tx.subscription(org: org) })
    }

    func emails(_ env: AppEnv, _ org: String) async throws -> [Email] {
        try await env.service.store.read { tx in try tx.emails(org: org) }
    }

    /// A subscription created in Stripe directly (not through the app's Checkout) for the org's
    /// customer, e.g. a trial without a card.
    func stripeSubscription(_ env: AppEnv, org: String, plan: String, _ extra: String) async throws -> JSONValue {
        let customer = try #require(try await row(env, org).stripeCustomerID)
        let price = try await env.stripe("GET", "/v1/prices?lookup_keys[0]=effinity_\(plan)_monthly")["data"][0]["id"].stringValue!
        let sub = try await env.stripe("POST", "/v1/subscriptions",
                                       "customer=\(customer)&items[0][price]=\(price)&metadata[org_id]=\(org)&\(extra)")
        try await env.drain()
        return sub
    }

    /// The org's Stripe subscriptions that are not over.
    func liveSubscriptions(_ env: AppEnv, customer: String) async throws -> [JSONValue] {
        let list = try await env.stripe("GET", "/v1/subscriptions?customer=\(customer)&status=all")
        return (list["data"].arrayValue ?? []).filter { !OrgSubscription.isEnded($0["status"].stringValue ?? "") }
    }

    // MARK: 1. Ended subscriptions are the free plan

    @Test func aDowngradeToFreeReachesThePeriodEndOnTheFreePlan() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@down.test", org: "down")
            _ = try await env.subscribe(token: owner, plan: "starter")
            let change = try await env.call(.post, "/api/billing/upgrade", token: owner, ["plan": "free"])
            #expect(change.json["status"] == "canceling")
            try await env.advance("14d2h")
            let sub = try await row(env, "down")
            #expect(sub.status == "canceled")
            #expect(sub.plan == "free")
            let api = try await env.call(.get, "/api/billing/subscription", token: owner)
            #expect(api.json["plan"] == "free")
            #expect(api.json["limits"]["properties"] == 3)
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "Still here"]).status == 201)
            for i in 0..<3 { #expect(try await env.call(.post, "/api/properties", token: owner, ["title": .string("Flat \(i)")]).status == 201) }
            let limit = try await env.call(.post, "/api/properties", token: owner, ["title": "One too many"])
            #expect(limit.status == 403)
            #expect(limit.json["error"]["upgrade"]["current_plan"] == "free")
            #expect(try await env.call(.get, "/api/billing/usage", token: owner).json["plan"] == "free")
            // A voluntary end sends no dunning notice.
            #expect(try await emails(env, "down").contains { $0.kind == "downgraded_to_free" } == false)
            // The metrics count the org among the free plan's users again.
            #expect(try await env.sample(#"effinity_active_subscriptions{plan="free"}"#) == 1)
            #expect(try await env.sample(#"effinity_active_subscriptions{plan="starter"}"#) == 0)
        }
    }

    @Test func choosingFreeWhilePausedEndsThePausedSubscription() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@tofree.test", org: "tofree")
            #expect(try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "starter"]).status == 200)
            let paused = try await stripeSubscription(env, org: "tofree", plan: "starter",
                                                      "trial_period_days=1&trial_settings[end_behavior][missing_payment_method]=pause")
            try await env.advance("1d1h")
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "Paused"]).status == 402)
            let r = try await env.call(.post, "/api/billing/upgrade", token: owner, ["plan": "free"])
            #expect(r.status == 200)
            #expect(r.json["plan"] == "free")
            #expect(try await env.stripe("GET", "/v1/subscriptions/\(paused["id"].stringValue!)")["status"] == "canceled")
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "Free again"]).status == 201)
        }
    }

    @Test func anIncompleteSubscriptionKeepsTheFreePlanAndExpiresToIt() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@inc.test", org: "inc")
            // The app's Checkout creates the org's customer and the plan's price.
            #expect(try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "starter"]).status == 200)
            let sub = try await stripeSubscription(env, org: "inc", plan: "starter", "payment_behavior=default_incomplete")
            #expect(sub["status"] == "incomplete")
            #expect(try await row(env, "inc").status == "incomplete")
            // Never paid: the free plan it had still works.
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "While incomplete"]).status == 201)
            try await env.advance("1d")
            let ended = try await row(env, "inc")
            #expect(ended.status == "incomplete_expired")
            #expect(ended.plan == "free")
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "After expiry"]).status == 201)
        }
    }

    // MARK: 2. One live subscription

    @Test func checkoutWhilePausedCancelsThePausedSubscriptionFirst() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@pause.test", org: "pause")
            let first = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "starter"])
            let firstSession = try #require(first.json["checkout_session_id"].stringValue)
            let paused = try await stripeSubscription(env, org: "pause", plan: "starter",
                                                      "trial_period_days=1&trial_settings[end_behavior][missing_payment_method]=pause")
            try await env.advance("1d1h")
            #expect(try await row(env, "pause").status == "paused")
            let again = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "pro"])
            #expect(again.status == 200)
            let oldID = try #require(paused["id"].stringValue)
            #expect(try await env.stripe("GET", "/v1/subscriptions/\(oldID)")["status"] == "canceled")
            // Item 3: the earlier Checkout still open was expired when the new one opened.
            #expect(try await env.stripe("GET", "/v1/checkout/sessions/\(firstSession)")["status"] == "expired")
            try await env.stripe("POST", "/_emulator/checkout/\(again.json["checkout_session_id"].stringValue!)/complete", "card=4242424242424242")
            try await env.drain()
            let sub = try await row(env, "pause")
            #expect(sub.plan == "pro")
            #expect(sub.status == "active")
            #expect(sub.stripeSubscriptionID != oldID)
            #expect(try await liveSubscriptions(env, customer: sub.stripeCustomerID!).count == 1)
        }
    }

    @Test func checkoutWhileAPaymentIsOwedIsRefusedTowardsThePortal() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@owe.test", org: "owe")
            _ = try await env.subscribe(token: owner, plan: "starter", card: "4000000000000341")
            try await env.advance("14d2h")
            #expect(try await row(env, "owe").status == "past_due")
            let r = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "pro"])
            #expect(r.status == 409)
            #expect(r.json["error"]["code"] == "payment_overdue")
            #expect(try await liveSubscriptions(env, customer: try await row(env, "owe").stripeCustomerID!).count == 1)
        }
    }

    @Test func aSecondSubscriptionCreatedInStripeIsNotMirrored() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@stale.test", org: "stale")
            _ = try await env.subscribe(token: owner, plan: "starter")
            let current = try await row(env, "stale")
            let other = try await stripeSubscription(env, org: "stale", plan: "pro", "trial_period_days=3")
            #expect(other["status"] == "trialing")
            let after = try await row(env, "stale")
            #expect(after.stripeSubscriptionID == current.stripeSubscriptionID)
            #expect(after.plan == "starter")
            // Its later news (a cancel) does not touch the org either.
            try await env.stripe("DELETE", "/v1/subscriptions/\(other["id"].stringValue!)")
            try await env.drain()
            #expect(try await row(env, "stale") == after)
        }
    }

    // MARK: 3. Parallel Checkouts

    /// Decision: a second Checkout that completes anyway is canceled and refunded (issue 25).
    @Test func aSecondCheckoutCompletionIsCanceledAndRefunded() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@twice.test", org: "twice")
            let a = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "starter"])
            let b = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "pro"])
            let sessionA = try #require(a.json["checkout_session_id"].stringValue)
            let sessionB = try #require(b.json["checkout_session_id"].stringValue)
            #expect(try await env.stripe("GET", "/v1/checkout/sessions/\(sessionA)")["status"] == "expired")
            try await env.stripe("POST", "/_emulator/checkout/\(sessionB)/complete", "card=4242424242424242")
            try await env.drain()
            let first = try await row(env, "twice")
            #expect(first.plan == "pro")
            // A Checkout that raced past the expiry (opened before it, completed after the first).
            let customer = try #require(first.stripeCustomerID)
            let price = try await env.stripe("GET", "/v1/prices?lookup_keys[0]=effinity_starter_monthly")["data"][0]["id"].stringValue!
            let raced = try await env.stripe("POST", "/v1/checkout/sessions",
                                             "mode=subscription&customer=\(customer)&client_reference_id=twice&line_items[0][price]=\(price)"
                                             + "&line_items[0][quantity]=1&success_url=http://app.test/ok&subscription_data[metadata][org_id]=twice")
            try await env.stripe("POST", "/_emulator/checkout/\(raced["id"].stringValue!)/complete", "card=4242424242424242")
            try await env.drain()
            let extraID = try #require(try await env.stripe("GET", "/v1/checkout/sessions/\(raced["id"].stringValue!)")["subscription"].stringValue)
            #expect(try await env.stripe("GET", "/v1/subscriptions/\(extraID)")["status"] == "canceled")
            // It was paid at once (no trial for a second subscription): starter's $29.00, refunded in full.
            let refunds = try await env.stripe("GET", "/v1/refunds?limit=100")["data"].arrayValue ?? []
            #expect(refunds.count == 1)
            #expect(refunds.first?["amount"] == 2900)
            #expect(refunds.first?["status"] == "succeeded")
            #expect(try await row(env, "twice") == first)
            #expect(try await liveSubscriptions(env, customer: customer).count == 1)
        }
    }

    // MARK: 4. Trial reminders

    @Test func theTrialReminderSaysWhetherACardWillBeCharged() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@card.test", org: "card")
            _ = try await env.subscribe(token: owner, plan: "pro")
            try await env.advance("11d1h")
            let withCard = try #require(try await emails(env, "card").first { $0.kind == "trial_ending" })
            #expect(withCard.body.contains("card on file will be charged $99.00"))

            let other = try await env.token("owner@nocard.test", org: "nocard")
            #expect(try await env.call(.post, "/api/billing/subscription", token: other, ["plan": "starter"]).status == 200)
            _ = try await stripeSubscription(env, org: "nocard", plan: "starter", "trial_period_days=7")
            try await env.advance("4d1h")
            let noCard = try #require(try await emails(env, "nocard").first { $0.kind == "trial_ending" })
            #expect(noCard.subject.contains("add a payment method"))
            #expect(noCard.body.contains("Add a payment method"))
        }
    }

    @Test func noTrialReminderOnceTheTrialIsOver() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@over.test", org: "over")
            _ = try await env.subscribe(token: owner, plan: "pro")
            let subID = try #require(try await row(env, "over").stripeSubscriptionID)
            let trialing = try await env.stripe("GET", "/v1/subscriptions/\(subID)")
            try await env.stripe("POST", "/v1/subscriptions/\(subID)", "trial_end=now")
            try await env.drain()
            // The reminder was queued before the trial ended early, and is handled after.
            let late: JSONValue = ["id": "evt_late_trial_end", "object": "event", "type": "customer.subscription.trial_will_end", "livemode": false,
                                   "created": .int(env.clock.now() - 60), "data": ["object": trialing]]
            #expect(try await env.deliver(late).json["outcome"] == "processed")
            #expect(try await emails(env, "over").contains { $0.kind == "trial_ending" } == false)
        }
    }

    // MARK: 5. Deleted customers and Stripe's 4xx

    @Test func aDeletedCustomerIsForgottenAndTheOrgCanSubscribeAgain() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@gone.test", org: "gone")
            _ = try await env.subscribe(token: owner, plan: "starter")
            let old = try #require(try await row(env, "gone").stripeCustomerID)
            try await env.stripe("DELETE", "/v1/customers/\(old)")
            try await env.drain()
            let cleared = try await row(env, "gone")
            #expect(cleared.stripeCustomerID == nil)
            #expect(cleared.plan == "free")
            #expect(cleared.status == "canceled")
            _ = try await env.subscribe(token: owner, plan: "starter")
            let again = try await row(env, "gone")
            #expect(again.stripeCustomerID != nil)
            #expect(again.stripeCustomerID != old)
            #expect(again.status == "active")
            #expect(again.plan == "starter")
        }
    }

    @Test func aStripe4xxIsAnApp4xxNotA502() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@lag.test", org: "lag")
            _ = try await env.subscribe(token: owner, plan: "starter")
            // The customer is deleted in Stripe and the app has not heard yet.
            let endpoint = try #require(try await env.stripe("GET", "/v1/webhook_endpoints")["data"][0]["id"].stringValue)
            try await env.stripe("POST", "/v1/webhook_endpoints/\(endpoint)", "disabled=true")
            try await env.stripe("DELETE", "/v1/customers/\(try await row(env, "lag").stripeCustomerID!)")
            let portal = try await env.call(.post, "/api/billing/portal", token: owner)
            #expect(portal.status == 409)
            #expect(portal.json["error"]["code"] == "billing_out_of_sync")
        }
    }

    @Test func stripeFailuresMapToRetryableOrNot() {
        func mapped(_ status: Int) -> Int { AppError(.stripe(StripeError(status: status, type: .invalidRequestError, message: "m"))).status }
        #expect(mapped(400) == 400)
        #expect(mapped(402) == 402)
        #expect(mapped(404) == 409)
        // A deleted object named by a parameter: Stripe's 400 resource_missing, the same out-of-sync case.
        #expect(AppError(.stripe(StripeError(status: 400, type: .invalidRequestError, code: "resource_missing", message: "m"))).status == 409)
        #expect(mapped(429) == 502)
        #expect(mapped(500) == 502)
        #expect(mapped(503) == 502)
        #expect(AppError(.transport("refused")).status == 502)
    }

    // MARK: 6. Objects that no longer exist

    @Test func eventsAboutVanishedObjectsAreAcknowledgedAndIgnored() async throws {
        try await AppEnv.run { env in
            _ = try await env.token("owner@vanish.test", org: "vanish")
            let now = env.clock.now()
            let sub: JSONValue = ["id": "evt_vanished_sub", "object": "event", "type": "customer.subscription.updated", "livemode": false, "created": .int(now),
                                  "data": ["object": ["id": "sub_vanished", "object": "subscription", "status": "active",
                                                      "metadata": ["org_id": "vanish"]]]]
            let first = try await env.deliver(sub)
            #expect(first.status == 200)
            #expect(first.json["outcome"] == "ignored")
            #expect(try await env.deliver(sub).json["outcome"] == "duplicate")
            let invoice: JSONValue = ["id": "evt_vanished_inv", "object": "event", "type": "invoice.paid", "livemode": false, "created": .int(now),
                                      "data": ["object": ["id": "in_vanished", "object": "invoice"]]]
            #expect(try await env.deliver(invoice).json["outcome"] == "ignored")
            #expect(try await row(env, "vanish").plan == "free")
        }
    }

    @Test func eventsAboutADeletedTestClocksSubscriptionAreIgnored() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@clock.test", org: "clock")
            #expect(try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "starter"]).status == 200)
            let price = try await env.stripe("GET", "/v1/prices?lookup_keys[0]=effinity_starter_monthly")["data"][0]["id"].stringValue!
            // The app hears nothing until the clock is gone (an outage, or a suite that cleans up fast).
            let endpoint = try #require(try await env.stripe("GET", "/v1/webhook_endpoints")["data"][0]["id"].stringValue)
            try await env.stripe("POST", "/v1/webhook_endpoints/\(endpoint)", "disabled=true")
            let clock = try await env.stripe("POST", "/v1/test_helpers/test_clocks", "frozen_time=\(env.clock.now())")["id"].stringValue!
            let customer = try await env.stripe("POST", "/v1/customers", "test_clock=\(clock)&metadata[org_id]=clock")["id"].stringValue!
            let sub = try await env.stripe("POST", "/v1/subscriptions",
                                           "customer=\(customer)&items[0][price]=\(price)&trial_period_days=3&metadata[org_id]=clock")
            try await env.stripe("DELETE", "/v1/test_helpers/test_clocks/\(clock)")
            let created = try await env.stripe("GET", "/v1/events?type=customer.subscription.created&limit=1")["data"][0]
            #expect(created["data"]["object"]["id"] == sub["id"])
            let reply = try await env.deliver(created)
            #expect(reply.status == 200)
            #expect(reply.json["outcome"] == "ignored")
            #expect(try await row(env, "clock").stripeSubscriptionID == nil)
        }
    }

    // MARK: 7. The grace period starts at the failure

    @Test func aWebhookOutageDoesNotExtendTheGracePeriod() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@outage.test", org: "outage")
            _ = try await env.subscribe(token: owner, plan: "starter", card: "4000000000000341")
            let endpoint = try #require(try await env.stripe("GET", "/v1/webhook_endpoints")["data"][0]["id"].stringValue)
            try await env.stripe("POST", "/v1/webhook_endpoints/\(endpoint)", "disabled=true")
            try await env.advance("14d2h")  // the trial ends, its first charge fails
            try await env.advance("5d")
            // The outage ends: the subscription's events arrive late, in order.
            let events = try await env.stripe("GET", "/v1/events?type=customer.subscription.updated&limit=100")["data"].arrayValue ?? []
            for event in events.reversed() { #expect(try await env.deliver(event).status == 200) }
            let failure = try #require(events.last { $0["data"]["object"]["status"] == "past_due" }?["created"].intValue)
            let sub = try await row(env, "outage")
            #expect(sub.status == "past_due")
            #expect(sub.pastDueSince == failure)
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "In grace"]).status == 201)
            // Seven days after the failure (not after the late delivery), the grace is over.
            try await env.advance("2d")
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "After grace"]).status == 402)
        }
    }
}
