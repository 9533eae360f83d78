import Foundation
import Testing
import StripeWire
@testable import Billing

@Suite struct EndToEndTests {
    @Test func subscribeThroughCheckoutAndSeeItActive() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@acme.test", org: "acme")
            let before = try await env.call(.get, "/api/billing/subscription", token: owner)
            #expect(before.json["plan"] == "free")
            #expect(before.json["status"] == "active")
            let r = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "pro"])
            #expect(r.status == 200)
            #expect(r.json["url"].stringValue?.contains("/c/pay/") == true)
            let session = r.json["checkout_session_id"].stringValue!
            let cs = try await env.stripe("GET", "/v1/checkout/sessions/\(session)")
            #expect(cs["client_reference_id"] == "acme")
            #expect(cs["amount_subtotal"] == 9900)
            try await env.stripe("POST", "/_emulator/checkout/\(session)/complete", "card=4242424242424242")
            try await env.drain()
            let after = try await env.call(.get, "/api/billing/subscription", token: owner)
            #expect(after.json["plan"] == "pro")
            #expect(after.json["status"] == "trialing")
            #expect(after.json["trial_end"] == .int(env.start + 14 * 86400))
            #expect(after.json["limits"]["leads_per_period"] == 2000)

            // The trial converts, the renewal is paid, the app mirrors both and queues the receipt.
            try await env.advance("14d1h")
            let active = try await env.call(.get, "/api/billing/subscription", token: owner)
            #expect(active.json["status"] == "active")
            let invoices = try await env.call(.get, "/api/billing/invoices", token: owner)
            let paid = invoices.json["data"].arrayValue?.filter { $0["status"] == "paid" && $0["amount_paid"] == 9900 } ?? []
            #expect(paid.count == 1)
            let emails = try await env.service.store.read { tx in try tx.emails(org: "acme") }
            #expect(emails.map(\.kind).contains("trial_ending"))
            #expect(emails.map(\.kind).contains("payment_confirmation"))
            #expect(emails.allSatisfy { $0.to == "owner@acme.test" })
        }
    }

    @Test func failedRenewalMakesTheOrgPastDueThenLocked() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@fail.test", org: "fail")
            _ = try await env.subscribe(token: owner, plan: "starter", card: "4000000000000341")
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "trialing")
            try await env.advance("14d1h")
            let pastDue = try await env.call(.get, "/api/billing/subscription", token: owner)
            #expect(pastDue.json["status"] == "past_due")
            let emails = try await env.service.store.read { tx in try tx.emails(org: "fail") }
            #expect(emails.map(\.kind).contains("payment_failed"))
            // Within the grace period the org keeps working.
            #expect(try await env.call(.post, "/api/leads", token: owner, ["name": "Grace"]).status == 201)
            try await env.advance("8d")
            let locked = try await env.call(.post, "/api/leads", token: owner, ["name": "Locked"])
            #expect(locked.status == 402)
            #expect(locked.json["error"]["code"] == "payment_required")
            try await env.advance("7d")
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "canceled")
        }
    }

    @Test func upgradeWithProrationAndPortal() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@up.test", org: "up")
            _ = try await env.subscribe(token: owner, plan: "starter")
            try await env.advance("14d1h")
            let upgraded = try await env.call(.post, "/api/billing/upgrade", token: owner, ["plan": "pro"])
            #expect(upgraded.status == 200)
            #expect(upgraded.json["plan"] == "pro")
            try await env.drain()
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["plan"] == "pro")
            let items = try await env.stripe("GET", "/v1/invoiceitems?pending=true")
            #expect(items["data"].arrayValue?.count == 2)
            let portal = try await env.call(.post, "/api/billing/portal", token: owner)
            #expect(portal.json["url"].stringValue?.contains("/p/session/") == true)
            let again = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "enterprise"])
            #expect(again.status == 409)
        }
    }
}
