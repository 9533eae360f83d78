import Testing
import StripeWire
@testable import StripeEmulator

/// `/_emulator/faults/api`: scripted 429/5xx answers that touch nothing, per tenant, refused
/// with a Stripe-shaped error when malformed.
@Suite struct APIFaultTests {
    @Test func theNextCallsToAPathFailThenItWorksAgain() async throws {
        let stripe = try TestStripe()
        let other = TestStripe(emulator: stripe.emulator, key: "sk_test_other_tenant")
        let set = await stripe.post("/_emulator/faults/api", [("path", "/v1/customers"), ("method", "post"), ("status", "429"), ("count", "2")])
        #expect(set.status == 200)
        #expect(set.json["data"][0]["remaining"] == 2)
        for _ in 0..<2 {
            let r = await stripe.post("/v1/customers", [("email", "a@b.test")])
            #expect(r.status == 429)
            #expect(r.error["code"] == "rate_limit")
        }
        // Other methods, paths and tenants are untouched, and nothing was written.
        #expect(await stripe.get("/v1/customers").json["data"].arrayValue?.isEmpty == true)
        #expect(await other.post("/v1/customers", [("email", "a@b.test")]).status == 200)
        #expect(await stripe.post("/v1/customers", [("email", "a@b.test")]).status == 200)

        _ = await stripe.post("/_emulator/faults/api", [("path", "/v1/prod*"), ("status", "503")])
        let failed = await stripe.post("/v1/products", [("name", "P")])
        #expect(failed.status == 503)
        #expect(failed.error["type"] == "api_error")
        #expect(failed.response.headers.contains { $0.0 == "Stripe-Should-Retry" && $0.1 == "true" })

        _ = await stripe.post("/_emulator/faults/api", [("path", "/v1/customers"), ("count", "5")])
        #expect(await stripe.post("/_emulator/faults/api", [("clear", "true")]).json["data"] == [])
        #expect(await stripe.get("/v1/customers").status == 200)
    }

    @Test func malformedFaultsAreRefused() async throws {
        let stripe = try TestStripe()
        let cases: [([(String, String)], String)] = [
            ([("path", "/v1/customers"), ("status", "404")], "status"),
            ([("path", "customers")], "path"),
            ([("path", "/v1/customers"), ("count", "0")], "count"),
            ([("path", "/v1/customers"), ("method", "PATCH")], "method"),
            ([("path", "/v1/customers"), ("colour", "red")], "colour"),
            ([("clear", "yes")], "clear"),
            ([("clear", "true"), ("path", "/v1/customers")], "clear"),
        ]
        for (params, param) in cases {
            let r = await stripe.post("/_emulator/faults/api", params)
            #expect(r.status == 400, "\(params)")
            #expect(r.error["type"] == "invalid_request_error")
            #expect(r.error["param"] == .string(param), "\(params)")
        }
        #expect(await stripe.post("/v1/customers", [("email", "a@b.test")]).status == 200)
    }
}
