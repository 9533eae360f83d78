import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StripeWire
@testable import Billing

/// The error flow: clear 4xx JSON, a generic 500, every error carrying the request id (the
/// caller's or a new one) and counted in `/metrics`.
@Suite struct ErrorFlowTests {
    @Test func unknownRoutesAndRefusalsAreJSONWithARequestIdAndCounted() async throws {
        try await AppEnv.run { env in
            let missing = try await env.app.execute(uri: "/api/nope", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "trace-42"])
            #expect(missing.status == .notFound)
            #expect(missing.headers[HTTPField.Name("Request-Id")!] == "trace-42")
            let body = try JSONParser.parse(Array(buffer: missing.body))
            #expect(body["error"]["code"] == "route_not_found")
            #expect(body["error"]["request_id"] == "trace-42")

            // A request id that is not safe to log is replaced by the app's own.
            let odd = try await env.app.execute(uri: "/api/nope", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "a b\"c"])
            #expect(odd.headers[HTTPField.Name("Request-Id")!]?.hasPrefix("req_") == true)

            let anonymous = try await env.call(.get, "/api/billing/subscription")
            #expect(anonymous.status == 401)
            #expect(anonymous.json["error"]["code"] == "unauthorized")
            let invalid = try await env.call(.post, "/api/leads", token: try await env.token("owner@err.test", org: "err"), ["name": ""])
            #expect(invalid.status == 400)
            #expect(invalid.json["error"]["fields"]["name"] != .null)

            #expect(try await env.sample(#"effinity_http_errors_total{code="route_not_found",status="404"}"#) == 2)
            #expect(try await env.sample(#"effinity_http_errors_total{code="unauthorized",status="401"}"#) == 1)
            #expect(try await env.sample(#"effinity_http_errors_total{code="invalid_request",status="400"}"#) == 1)
        }
    }

    @Test func anInternalErrorAnswersAGenericBodyWithItsRequestId() async throws {
        // An app started without its webhook secret: its own fault, a 500 that says nothing of the cause.
        let service = BillingService(store: try SQLiteBillingStore.inMemory(),
                                     stripe: StripeClient(configuration: StripeConfiguration(apiBase: "http://127.0.0.1:1", secretKey: "sk_test_x")),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), appURL: "http://app.test")
        try await Application(router: BillingApp(service: service, metricsToken: "m").router()).test(.router) { client in
            let r = try await client.execute(uri: "/api/billing/webhooks", method: .post,
                                             headers: [HTTPField.Name("Stripe-Signature")!: "t=1,v1=00", HTTPField.Name("X-Request-Id")!: "req-500"],
                                             body: ByteBuffer(string: "{}"))
            #expect(r.status == .internalServerError)
            let text = String(buffer: r.body)
            #expect(!text.contains("STRIPE_WEBHOOK_SECRET"))
            let json = try JSONParser.parse(Array(text.utf8))
            #expect(json["error"]["code"] == "internal_error")
            #expect(json["error"]["request_id"] == "req-500")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer m"]).body)
            #expect(metrics.contains(#"effinity_http_errors_total{code="internal_error",status="500"} 1"#))
        }
    }
}
