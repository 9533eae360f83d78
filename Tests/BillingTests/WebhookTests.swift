import Foundation
import Testing
import StripeWire
@testable import Billing

/// Every webhook type the app handles, through real signed deliveries from the fake where the fake
/// sends them, and through payloads signed here for duplicates, order and signature checks.
@Suite struct WebhookTests {
    static func processed(_ type: String) -> String { #"effinity_webhook_events_total{event_type="\#(type)",outcome="processed"}"# }
    static func duplicate(_ type: String) -> String { #"effinity_webhook_events_total{event_type="\#(type)",outcome="duplicate"}"# }

    func emails(_ env: AppEnv, _ org: String) async throws -> [Email] {
        try await env.service.store.read { tx in try tx.emails(org: org) }
    }

    func invoices(_ env: AppEnv, _ org: String) async throws -> [Invoice] {
        try await env.service.store.read { tx in try tx.invoices(org: org) }
    }

    func subscription(_ env: AppEnv, _ org: String) async throws -> OrgSubscription? {
        try await env.service.store.read { tx in try tx.subscription(org: org) }
    }

    /// The newest event of a type, as the fake stores (and delivers) it.
    func event(_ env: AppEnv, _ type: String) async throws -> JSONValue {
        let list = try await env.stripe("GET", "/v1/events?type=\(type)&limit=1")
        let first = list["data"][0]
        _ = try #require(first["id"].stringValue, "no \(type) event in the fake")
        return first
    }

    @Test func trialSubscriptionFromCheckoutToRenewalToCancellation() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@life.test", org: "life")
            _ = try await env.subscribe(token: owner, plan: "pro")
            for type in ["checkout.session.completed", "customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid"] {
                #expect(try await env.sample(Self.processed(type)) ?? 0 >= 1, "\(type) was not processed")
            }
            var sub = try #require(try await subscription(env, "life"))
            #expect(sub.plan == "pro")
            #expect(sub.status == "trialing")
            #expect(sub.trialEnd == env.start + 14 * 86400)
            #expect(sub.stripeSubscriptionID?.hasPrefix("sub_") == true)
            // The trial's invoice is mirrored, paid at 0; nothing was charged, so no receipt.
            let trialInvoices = try await invoices(env, "life")
            #expect(trialInvoices.count == 1)
            #expect(trialInvoices.first?.status == "paid")
            #expect(trialInvoices.first?.amountPaid == 0)
            #expect(try await emails(env, "life").isEmpty)

            // Three days before the trial ends: trial_will_end queues the reminder to the owner.
            try await env.advance("11d1h")
            #expect(try await env.sample(Self.processed("customer.subscription.trial_will_end")) == 1)
            let reminder = try await emails(env, "life")
            #expect(reminder.map(\.kind) == ["trial_ending"])
            #expect(reminder.first?.to == "owner@life.test")
            #expect(reminder.first?.subject.contains("trial ends in") == true)

            // The trial converts: the first real charge is paid and confirmed by email.
            try await env.advance("3d")
            #expect(try await env.sample(Self.processed("customer.subscription.updated")) ?? 0 >= 1)
            sub = try #require(try await subscription(env, "life"))
            #expect(sub.status == "active")
            let paid = try await invoices(env, "life").filter { $0.amountPaid == 9900 }
            #expect(paid.count == 1)
            #expect(paid.first?.status == "paid")
            #expect(paid.first?.paidAt != nil)
            #expect(paid.first?.hostedInvoiceURL != nil)
            #expect(try await emails(env, "life").map(\.kind) == ["trial_ending", "payment_confirmation"])

            // Canceled in Stripe: customer.subscription.deleted mirrors it.
            try await env.stripe("DELETE", "/v1/subscriptions/\(sub.stripeSubscriptionID!)")
            try await env.drain()
            #expect(try await env.sample(Self.processed("customer.subscription.deleted")) == 1)
            #expect(try await subscription(env, "life")?.status == "canceled")
        }
    }

    @Test func failedRenewalIsMirroredAsPastDueWithAnEmail() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@declined.test", org: "declined")
            _ = try await env.subscribe(token: owner, plan: "starter", card: "4000000000000341")
            try await env.advance("14d1h")
            #expect(try await env.sample(Self.processed("invoice.payment_failed")) ?? 0 >= 1)
            #expect(try await subscription(env, "declined")?.status == "past_due")
            let open = try await invoices(env, "declined").filter { $0.amountDue == 2900 }
            #expect(open.count == 1)
            #expect(open.first?.status == "open")
            #expect(open.first?.amountPaid == 0)
            let sent = try await emails(env, "declined").filter { $0.kind == "payment_failed" }
            #expect(sent.count >= 1)
            #expect(sent.first?.subject == "Your payment of $29.00 failed")
            #expect(try await emails(env, "declined").contains { $0.kind == "payment_confirmation" && $0.subject.contains("29.00") } == false)
        }
    }

    @Test func renewalNeedingThreeDSecureAsksTheOwnerToConfirm() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@sca.test", org: "sca")
            // 4000002760003184 needs authentication on every charge, off-session renewals included.
            _ = try await env.subscribe(token: owner, plan: "pro", card: "4000002760003184&authentication=complete")
            #expect(try await subscription(env, "sca")?.status == "trialing")
            try await env.advance("14d1h")
            #expect(try await env.sample(Self.processed("invoice.payment_action_required")) ?? 0 >= 1)
            let confirm = try await emails(env, "sca").filter { $0.kind == "payment_action_required" }
            #expect(confirm.count >= 1)
            #expect(confirm.first?.subject == "Confirm your payment of $99.00")
            let open = try #require(try await invoices(env, "sca").first { $0.amountDue == 9900 })
            #expect(open.status == "open")
            #expect(confirm.first?.body.contains(open.hostedInvoiceURL ?? "<none>") == true)
            // The mirror follows Stripe's subscription, past_due while the charge waits for the customer.
            let subID = try #require(try await subscription(env, "sca")?.stripeSubscriptionID)
            let stripeSub = try await env.stripe("GET", "/v1/subscriptions/\(subID)")
            #expect(try await subscription(env, "sca")?.status == stripeSub["status"].stringValue)
            #expect(try await subscription(env, "sca")?.status == "past_due")
        }
    }

    @Test func duplicatesAreRecognisedAndSendNoSecondEmail() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@dup.test", org: "dup")
            _ = try await env.subscribe(token: owner, plan: "pro")
            // The fake delivers the same event again.
            let created = try await event(env, "customer.subscription.created")
            try await env.stripe("POST", "/_emulator/events/\(created["id"].stringValue!)/resend")
            try await env.drain()
            #expect(try await env.sample(Self.processed("customer.subscription.created")) == 1)
            #expect(try await env.sample(Self.duplicate("customer.subscription.created")) == 1)
            // The same event signed and posted by hand: the app answers `duplicate`.
            let completed = try await event(env, "checkout.session.completed")
            let again = try await env.deliver(completed)
            #expect(again.status == 200)
            #expect(again.json["outcome"] == "duplicate")

            // An emailing event twice: one email.
            let subID = try #require(try await subscription(env, "dup")?.stripeSubscriptionID)
            let stripeSub = try await env.stripe("GET", "/v1/subscriptions/\(subID)")
            let trialEnd: JSONValue = ["id": "evt_trial_end_dup", "object": "event", "type": "customer.subscription.trial_will_end", "livemode": false,
                                       "created": .int(env.clock.now()), "data": ["object": stripeSub]]
            #expect(try await env.deliver(trialEnd).json["outcome"] == "processed")
            #expect(try await env.deliver(trialEnd).json["outcome"] == "duplicate")
            #expect(try await emails(env, "dup").filter { $0.kind == "trial_ending" }.count == 1)
        }
    }

    @Test func aDeletionHandledBeforeAnOlderUpdateStaysCanceled() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@order.test", org: "order")
            _ = try await env.subscribe(token: owner, plan: "pro")
            let subID = try #require(try await subscription(env, "order")?.stripeSubscriptionID)
            let created = try await event(env, "customer.subscription.created")
            try await env.stripe("DELETE", "/v1/subscriptions/\(subID)")
            let deleted = try await event(env, "customer.subscription.deleted")
            // The deletion arrives first (posted by hand, before the fake's own delivery).
            #expect(try await env.deliver(deleted).json["outcome"] == "processed")
            #expect(try await subscription(env, "order")?.status == "canceled")
            // Then an older update whose object still says trialing: the app re-reads Stripe, so it stays canceled.
            var stale = created
            stale["id"] = "evt_stale_update"
            stale["type"] = "customer.subscription.updated"
            stale["created"] = .int(env.start)
            #expect(stale["data"]["object"]["status"] == "trialing")
            #expect(try await env.deliver(stale).json["outcome"] == "processed")
            try await env.drain()
            let sub = try #require(try await subscription(env, "order"))
            #expect(sub.status == "canceled")
            // Ended: the org is back on the free plan (the ended subscription's id stays, as history).
            #expect(sub.plan == "free")
            #expect(sub.stripeSubscriptionID == subID)
            #expect(try await env.sample(Self.duplicate("customer.subscription.deleted")) == 1)
        }
    }

    @Test func signaturesAndTimestampsAreChecked() async throws {
        try await AppEnv.run { env in
            let event: JSONValue = ["id": "evt_sig", "object": "event", "type": "customer.created", "livemode": false, "created": .int(env.clock.now()),
                                    "data": ["object": ["id": "cus_x", "object": "customer"]]]
            let wrong = try await env.deliver(event, secret: "whsec_wrong")
            #expect(wrong.status == 400)
            #expect(wrong.json["error"]["code"] == "invalid_signature")
            let stale = try await env.deliver(event, timestamp: env.clock.now() - 301)
            #expect(stale.status == 400)
            #expect(stale.json["error"]["code"] == "invalid_signature")
            let missing = try await env.app.execute(uri: "/api/billing/webhooks", method: .post, body: .init(bytes: JSONWriter.data(event)))
            #expect(missing.status.code == 400)
            #expect(try await env.sample(#"effinity_webhook_events_total{event_type="unverified",outcome="rejected"}"#) == 3)
            // At exactly 300 s it is still accepted; a type the app does not handle is recorded and ignored.
            let edge = try await env.deliver(event, timestamp: env.clock.now() - 300)
            #expect(edge.status == 200)
            #expect(edge.json["outcome"] == "ignored")
            #expect(try await env.deliver(event).json["outcome"] == "duplicate")
            #expect(try await env.sample(#"effinity_webhook_events_total{event_type="customer.created",outcome="ignored"}"#) == 1)
        }
    }
}
