import Foundation
import HTTPTypes
import Testing
import StripeWire
@testable import Billing

/// Webhooks through the job queue: the route only records the event, a worker applies it,
/// a failing job backs off and ends as a dead letter that the dashboard and `/metrics` show.
@Suite struct JobWorkerTests {
    /// Subscribes an org to Pro (trialing), cancels the subscription in Stripe as the test,
    /// and returns the `customer.subscription.deleted` event (not delivered yet) and the customer.
    func canceledInStripe(_ env: AppEnv, org: String) async throws -> (event: JSONValue, token: String, customer: String) {
        let owner = try await env.token("owner@\(org).test", org: org)
        _ = try await env.subscribe(token: owner, plan: "pro")
        let sub = try await env.call(.get, "/api/billing/subscription", token: owner).json
        #expect(sub["status"] == "trialing")
        let subID = try #require(sub["stripe_subscription_id"].stringValue)
        let canceled = try await env.stripe("DELETE", "/v1/subscriptions/\(subID)")
        let event = try await env.stripe("GET", "/v1/events?type=customer.subscription.deleted")["data"][0]
        #expect(event["data"]["object"]["id"].stringValue == subID)
        return (event, owner, try #require(canceled["customer"].stringValue))
    }

    @Test func theRouteRecordsTheEventAndAWorkerAppliesIt() async throws {
        try await AppEnv.run { env in
            let (event, owner, customer) = try await canceledInStripe(env, org: "jobs")
            let id = try #require(event["id"].stringValue)
            let answer = try await env.post(event)
            #expect(answer.status == 200)
            #expect(answer.json["outcome"] == "queued")
            // Answered, not applied: the org is still trialing and the job waits.
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "trialing")
            let queued = try #require(try await env.service.store.read { tx in try tx.job(eventID: id) })
            #expect(queued.status == .queued && queued.kind == .stripeEvent && queued.attempts == 0)
            #expect(queued.orderKey == "customer:\(customer)")
            #expect(try await env.sample(#"effinity_job_queue_depth{kind="stripe_event"}"#) == 1)

            #expect(try await JobWorker(service: env.service).drain() == 1)
            let sub = try await env.call(.get, "/api/billing/subscription", token: owner).json
            #expect(sub["status"] == "canceled")
            #expect(sub["plan"] == "free")
            let done = try await env.service.store.read { tx in try tx.job(eventID: id) }
            #expect(done?.status == .done && done?.outcome == "processed" && done?.attempts == 1)
            #expect(try await env.sample(#"effinity_job_queue_depth{kind="stripe_event"}"#) == 0)
            #expect(try await env.sample(#"effinity_jobs_finished_total{kind="stripe_event",result="succeeded"}"#) ?? 0 >= 1)
            #expect(try await env.sample(#"effinity_business_events_total{event="trial_canceled",plan="pro"}"#) == 1)

            // The same event again (Stripe's retry or duplicate): recognized at the route, no new job.
            let again = try await env.post(event)
            #expect(again.json["outcome"] == "duplicate")
            #expect(try await env.sample(#"effinity_webhook_retries_seen_total{event_type="customer.subscription.deleted"}"#) == 1)
            #expect(try await JobWorker(service: env.service).drain() == 0)
        }
    }

    @Test func aFailingJobBacksOffThenIsDeadLetteredWhereOperatorsSeeIt() async throws {
        try await AppEnv.run { env in
            let (event, owner, _) = try await canceledInStripe(env, org: "dead")
            let id = try #require(event["id"].stringValue)
            // From now on Stripe answers 503 to every subscription read the app makes.
            try await env.stripe("POST", "/_emulator/faults/api", "path=/v1/subscriptions/*&status=503&count=1000")
            #expect(try await env.post(event).json["outcome"] == "queued")
            let worker = JobWorker(service: env.service)
            let t0 = env.clock.now()
            try await worker.drain()
            var job = try #require(try await env.service.store.read { tx in try tx.job(eventID: id) })
            #expect(job.status == .queued && job.attempts == 1 && job.runAt == t0 + 30)
            #expect(job.lastError?.contains("503") == true)
            #expect(try await env.sample(#"effinity_jobs_finished_total{kind="stripe_event",result="retried"}"#) == 1)
            #expect(try await env.sample(#"effinity_stripe_errors_total{endpoint="/v1/subscriptions/{id}",status="503"}"#) == 1)
            // Not due yet: a drain now runs nothing.
            #expect(try await worker.drain() == 0)

            // Backoff 30 s, 2 min, 8 min, 32 min, 128 min: attempts 2 to 6, then the dead letter.
            var at = t0
            for (attempt, wait) in [(2, 30), (3, 120), (4, 480), (5, 1920), (6, 7680)] {
                at += wait
                try await env.emulator.travel(account: env.key, to: at)
                try await worker.drain()
                job = try #require(try await env.service.store.read { tx in try tx.job(eventID: id) })
                #expect(job.attempts == attempt)
            }
            #expect(job.status == .dead)
            #expect(job.finishedAt == at)
            #expect(try await env.sample(#"effinity_jobs_dead{kind="stripe_event"}"#) == 1)
            #expect(try await env.sample(#"effinity_jobs_finished_total{kind="stripe_event",result="dead_lettered"}"#) == 1)
            #expect(try await env.call(.get, "/api/billing/subscription", token: owner).json["status"] == "trialing")

            let browser = try await env.browserSession("owner@dead.test", org: "dead")
            let page = try await env.app.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=\(browser)"])
            let html = String(buffer: page.body)
            #expect(html.contains("Billing updates that could not be applied"))
            #expect(html.contains(id))
        }
    }

    @Test func retryPolicyBacksOffFourfoldUpToItsCap() {
        let policy = JobRetryPolicy(maxAttempts: 6, firstBackoff: 30, maxBackoff: 3600, lease: 60)
        #expect((1...6).map { policy.backoff(afterAttempt: $0) } == [30, 120, 480, 1920, 3600, 3600])
        #expect(!policy.isExhausted(afterAttempt: 5) && policy.isExhausted(afterAttempt: 6))
    }

    @Test func eventsOfOneCustomerShareAnOrderKey() {
        let sub: JSONValue = ["id": "evt_1", "data": ["object": ["object": "subscription", "customer": "cus_1"]]]
        let customer: JSONValue = ["id": "evt_2", "data": ["object": ["object": "customer", "id": "cus_1"]]]
        let expanded: JSONValue = ["id": "evt_3", "data": ["object": ["object": "invoice", "customer": ["id": "cus_1"]]]]
        let product: JSONValue = ["id": "evt_4", "data": ["object": ["object": "product", "id": "prod_1"]]]
        #expect([sub, customer, expanded].map(BillingService.orderKey) == ["customer:cus_1", "customer:cus_1", "customer:cus_1"])
        #expect(BillingService.orderKey(product) == "event:evt_4")
    }

    @Test func stripeEndpointsAreLabelledWithoutIds() {
        #expect(StripeClient.endpoint("/v1/subscriptions/sub_000000000001?expand[0]=customer") == "/v1/subscriptions/{id}")
        #expect(StripeClient.endpoint("/v1/invoices/in_1AbCdEf") == "/v1/invoices/{id}")
        #expect(StripeClient.endpoint("/v1/test_helpers/test_clocks") == "/v1/test_helpers/test_clocks")
        #expect(StripeClient.endpoint("/v1/billing_portal/sessions") == "/v1/billing_portal/sessions")
    }
}
