import Foundation
import Testing
import StripeWire
@testable import Billing

@Suite struct APITests {
    @Test func errorStatuses() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@err.test", org: "err")
            let member = try await env.token("member@err.test", org: "err", role: .member)
            #expect(try await env.call(.get, "/api/billing/subscription").status == 401)
            #expect(try await env.call(.get, "/api/billing/subscription", token: "eff_nope").status == 401)
            let missing = try await env.call(.post, "/api/leads", token: owner, ["email": "x@y.test"])
            #expect(missing.status == 400)
            #expect(missing.json["error"]["fields"]["name"] == "Required.")
            let badEmail = try await env.call(.post, "/api/leads", token: owner, ["name": "A", "email": "nope"])
            #expect(badEmail.json["error"]["fields"]["email"] != .null)
            let badPlan = try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": "platinum"])
            #expect(badPlan.status == 400)
            #expect(badPlan.json["error"]["fields"]["plan"].stringValue?.contains("Unknown plan") == true)
            let forbidden = try await env.call(.post, "/api/billing/subscription", token: member, ["plan": "pro"])
            #expect(forbidden.status == 403)
            #expect(forbidden.json["error"]["code"] == "forbidden")
            #expect(try await env.call(.get, "/api/leads/lead_nope", token: owner).status == 404)
            // Free plan: 3 properties, then a 403 with an upgrade prompt.
            for i in 0..<3 { #expect(try await env.call(.post, "/api/properties", token: owner, ["title": .string("Flat \(i)")]).status == 201) }
            let limit = try await env.call(.post, "/api/properties", token: owner, ["title": "One too many"])
            #expect(limit.status == 403)
            #expect(limit.json["error"]["upgrade"]["limit"] == 3)
            #expect(limit.json["error"]["upgrade"]["suggested_plan"] == "starter")
            // Seats: the free plan has one, the owner's.
            let seat = try await env.call(.post, "/api/members", token: owner, ["email": "new@err.test"])
            #expect(seat.status == 403)
            let notJSON = try await env.app.execute(uri: "/api/leads", method: .post, headers: [.authorization: "Bearer \(owner)"],
                                                    body: .init(string: "name=x"))
            #expect(notJSON.status.code == 400)
        }
    }

    @Test func organizationsAreIsolated() async throws {
        try await AppEnv.run { env in
            let a = try await env.token("a@one.test", org: "one")
            let b = try await env.token("b@two.test", org: "two")
            let lead = try await env.call(.post, "/api/leads", token: a, ["name": "Secret buyer"])
            let id = lead.json["id"].stringValue!
            #expect(try await env.call(.get, "/api/leads/\(id)", token: a).status == 200)
            let other = try await env.call(.get, "/api/leads/\(id)", token: b)
            #expect(other.status == 404)
            #expect(try await env.call(.get, "/api/leads", token: b).json["data"] == [])
            #expect(try await env.call(.get, "/api/billing/usage", token: b).json["leads"]["used"] == 0)
            #expect(try await env.call(.get, "/api/billing/usage", token: a).json["leads"]["used"] == 1)
        }
    }

    @Test func concurrentCreatesAtTheLimitNeverExceedIt() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@race.test", org: "race")
            // The free plan allows 25 leads per period: 50 at once, exactly 25 succeed.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<50 { group.addTask { try await env.call(.post, "/api/leads", token: owner, ["name": .string("Lead \(i)")]).status } }
                var all: [Int] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0 == 201 }.count == 25)
            #expect(statuses.filter { $0 == 403 }.count == 25)
            #expect(try await env.call(.get, "/api/leads", token: owner).json["data"].arrayValue?.count == 25)
            let usage = try await env.service.store.read { tx in try tx.usage(org: "race", since: 0) }
            #expect(usage.count == 25)
        }
    }

    @Test func sessionsExpireAndCanBeRevoked() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("owner@sess.test", org: "sess")
            #expect(try await env.call(.get, "/api/leads", token: token).status == 200)
            try await env.service.store.write { tx in try tx.revokeSession(tokenHash: BillingService.hash(token), at: 0) }
            #expect(try await env.call(.get, "/api/leads", token: token).status == 401)
            let stored = try await env.service.store.read { tx in try tx.session(tokenHash: token, now: 0) }
            #expect(stored == nil)  // only the hash is stored
        }
    }
}

@Suite struct WebhookReceiverTests {
    @Test func signaturesDuplicatesAndOrder() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@hooks.test", org: "hooks")
            _ = try await env.subscribe(token: owner, plan: "pro")
            // Every delivery so far was accepted.
            let log = try await env.stripe("GET", "/_emulator/deliveries?limit=1000")
            #expect(log["data"].arrayValue?.allSatisfy { $0["status_code"] == 200 } == true)
            // A duplicate delivery is recognised and changes nothing.
            let event = log["data"].arrayValue!.first { $0["event_type"] == "customer.subscription.created" }!["event"].stringValue!
            try await env.stripe("POST", "/_emulator/events/\(event)/resend")
            try await env.drain()
            let again = try await env.stripe("GET", "/_emulator/deliveries?event=\(event)")
            #expect(again["data"].arrayValue?.count == 2)
            // Out of order: an old update delivered after the cancellation does not resurrect the subscription.
            let subID = try await env.call(.get, "/api/billing/subscription", token: owner).json["stripe_subscription_id"].stringValue!
            try await env.stripe("DELETE", "/v1/subscriptions/\(subID)")
            try await env.drain()
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "canceled")
            let updates = try await env.stripe("GET", "/v1/events?type=customer.subscription.updated")
            if let old = updates["data"].arrayValue?.last?["id"].stringValue {
                try await env.stripe("POST", "/_emulator/events/\(old)/resend")
                try await env.drain()
            }
            try await env.stripe("POST", "/_emulator/events/\(event)/resend")
            try await env.drain()
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "canceled")
        }
    }

    @Test func badSignaturesAreRefused() async throws {
        try await AppEnv.run { env in
            let payload = Array(#"{"id":"evt_x","type":"invoice.paid","data":{"object":{}}}"#.utf8)
            let good = WebhookSignature.header(payload: payload, secrets: [env.service.stripe.configuration.webhookSecret!],
                                               timestamp: env.clock.now())
            let wrong = WebhookSignature.header(payload: payload, secrets: ["whsec_wrong"], timestamp: env.clock.now())
            let old = WebhookSignature.header(payload: payload, secrets: [env.service.stripe.configuration.webhookSecret!],
                                              timestamp: env.clock.now() - 301)
            for (header, expected) in [(wrong, 400), (old, 400), (good, 200)] {
                let r = try await env.app.execute(uri: "/api/billing/webhooks", method: .post,
                                                  headers: [.init("Stripe-Signature")!: header], body: .init(bytes: payload))
                #expect(Int(r.status.code) == expected)
            }
            let tampered = try await env.app.execute(uri: "/api/billing/webhooks", method: .post,
                                                     headers: [.init("Stripe-Signature")!: good], body: .init(bytes: payload + [0x20]))
            #expect(tampered.status.code == 400)
            let missing = try await env.app.execute(uri: "/api/billing/webhooks", method: .post, body: .init(bytes: payload))
            #expect(missing.status.code == 400)
        }
    }
}
