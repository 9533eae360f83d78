import Foundation
import HTTPTypes
import Testing
import StripeWire
@testable import Billing

@Suite struct MetricsTests {
    @Test func metricsExposeRequestsWebhooksLimitsSubscriptionsAndMRR() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@met.test", org: "met")
            _ = try await env.subscribe(token: owner, plan: "pro")
            // A second org on the free plan hits its property limit (3) once.
            let free = try await env.token("owner@metfree.test", org: "metfree")
            for i in 0..<3 { #expect(try await env.call(.post, "/api/properties", token: free, ["title": .string("Flat \(i)")]).status == 201) }
            #expect(try await env.call(.post, "/api/properties", token: free, ["title": "One too many"]).status == 403)
            // A payment-required refusal (402) is not a limit reached; a forged webhook is rejected.
            let bad = try await env.deliver(["id": "evt_forged", "type": "invoice.paid", "data": ["object": [:]]], secret: "whsec_wrong")
            #expect(bad.status == 400)

            let response = try await env.app.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(AppEnv.metricsToken)"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let lines = Set(String(buffer: response.body).split(separator: "\n").map(String.init))
            for expected in [
                #"effinity_active_subscriptions{plan="pro"} 1.0"#,
                #"effinity_active_subscriptions{plan="free"} 1.0"#,
                #"effinity_active_subscriptions{plan="starter"} 0.0"#,
                // Trialing is not revenue yet.
                "effinity_mrr_cents 0.0",
                #"effinity_limit_reached_total{resource="property"} 1"#,
                #"effinity_limit_reached_total{resource="lead"} 0"#,
                #"effinity_webhook_events_total{event_type="unverified",outcome="rejected"} 1"#,
                #"effinity_http_request_duration_seconds_bucket{method="POST",route="/api/properties",status="403",le="+Inf"} 1"#,
                #"effinity_http_request_duration_seconds_count{method="POST",route="/api/properties",status="201"} 3"#,
                "# TYPE effinity_http_request_duration_seconds histogram",
                "# TYPE effinity_webhook_processing_duration_seconds histogram",
            ] {
                #expect(lines.contains(expected), "missing: \(expected)")
            }
            let processed = try await env.sample(#"effinity_webhook_events_total{event_type="checkout.session.completed",outcome="processed"}"#)
            #expect((processed ?? 0) > 0)
            let timed = try await env.sample(#"effinity_webhook_processing_duration_seconds_count{event_type="customer.subscription.created"}"#)
            #expect((timed ?? 0) > 0)
            // Route patterns, never raw ids, label requests.
            let lead = try await env.call(.post, "/api/leads", token: owner, ["name": "Buyer"]).json["id"].stringValue!
            #expect(try await env.call(.get, "/api/leads/\(lead)", token: owner).status == 200)
            let text = try await env.metrics()
            #expect(text.contains(#"route="/api/leads/{id}""#))
            #expect(!text.contains(lead))

            // Once the trial converts and the renewal is paid, the plan's price counts as MRR.
            try await env.advance("14d1h")
            #expect(try await env.sample("effinity_mrr_cents") == 9900)
            #expect(try await env.sample(#"effinity_active_subscriptions{plan="pro"}"#) == 1)
            // 9,900 cents a month is 118,800 a year, all of it Pro's.
            #expect(try await env.sample(#"effinity_plan_mrr_cents{plan="pro"}"#) == 9900)
            #expect(try await env.sample(#"effinity_plan_arr_cents{plan="pro"}"#) == 118_800)
            #expect(try await env.sample(#"effinity_plan_mrr_cents{plan="starter"}"#) == 0)
            #expect(try await env.sample("effinity_arr_cents") == 118_800)
            // The story so far: one new Pro subscription, whose trial converted.
            #expect(try await env.sample(#"effinity_business_events_total{event="new_subscription",plan="pro"}"#) == 1)
            #expect(try await env.sample(#"effinity_business_events_total{event="trial_converted",plan="pro"}"#) == 1)
            #expect(try await env.sample(#"effinity_business_events_total{event="churn_voluntary",plan="pro"}"#) == 0)
            // Two orgs, three properties and two seats between them.
            #expect(try await env.sample(#"effinity_average_usage{resource="property"}"#) == 1.5)
            #expect(try await env.sample(#"effinity_average_usage{resource="seat"}"#) == 1)
            // The trial reminder and the first paid invoice's confirmation went out through their jobs.
            #expect(try await env.sample(#"effinity_emails_sent_total{kind="trial_ending"}"#) == 1)
            #expect(try await env.sample(#"effinity_emails_sent_total{kind="payment_confirmation"}"#) == 1)
            let emails = try await env.service.store.read { tx in try tx.emails(org: "met") }
            #expect(emails.map(\.kind) == ["trial_ending", "payment_confirmation"])
            #expect(try await env.service.store.read { tx in try (1...2).map { try tx.email(id: $0)?.sentAt } }.allSatisfy { $0 != nil })
            #expect((try await env.sample(#"effinity_jobs_enqueued_total{kind="stripe_event"}"#) ?? 0) > 0)
            // The Stripe client, the queue and the database are measured too.
            #expect((try await env.sample(#"effinity_stripe_request_duration_seconds_count{endpoint="/v1/subscriptions/{id}",method="GET",status="200"}"#) ?? 0) > 0)
            #expect(try await env.sample(#"effinity_job_queue_depth{kind="stripe_event"}"#) == 0)
            #expect(try await env.sample("effinity_job_oldest_age_seconds") == 0)
            #expect((try await env.sample(#"effinity_job_wait_seconds_count{kind="stripe_event"}"#) ?? 0) > 0)
            #expect(try await env.sample("effinity_db_connections_max") == 1)
            #expect((try await env.sample(#"effinity_db_transaction_duration_seconds_count{kind="write"}"#) ?? 0) > 0)
        }
    }

    @Test func eachAppHasItsOwnRegistry() async throws {
        try await AppEnv.run { env in
            let a = try await env.token("owner@reg.test", org: "reg")
            for i in 0..<3 { _ = try await env.call(.post, "/api/properties", token: a, ["title": .string("P\(i)")]) }
            _ = try await env.call(.post, "/api/properties", token: a, ["title": "Over"])
            try await AppEnv.run { other in
                let fresh = try await other.sample(#"effinity_limit_reached_total{resource="property"}"#)
                #expect(fresh == 0)
            }
            #expect(try await env.sample(#"effinity_limit_reached_total{resource="property"}"#) == 1)
        }
    }
}
