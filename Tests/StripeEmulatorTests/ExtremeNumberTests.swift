import Testing
import StripeWire
@testable import StripeEmulator

/// Numbers from requests never make the fake trap or run without end: each request below used
/// to crash the process or hang it; now each is a Stripe-shaped 400 and the fake keeps answering.
@Suite struct ExtremeNumberTests {
    static let maxInt = "9223372036854775807"

    /// The fake still answers after a request (the process did not trap).
    func stillAlive(_ s: TestStripe) async {
        #expect(await s.get("/v1/customers").status == 200)
    }

    @Test func clockAdvanceBySecondsAtTheMaximum() async throws {
        let s = try TestStripe()
        let r = await s.post("/_emulator/time/advance", [("seconds", Self.maxInt)])
        #expect(r.status == 400)
        #expect(r.error["type"] == "invalid_request_error")
        #expect(r.error["param"] == "seconds")
        #expect(r.error["code"] == "parameter_invalid_integer")
        await stillAlive(s)
    }

    @Test func clockSetAndFreezeBeyondTheYear9999() async throws {
        let s = try TestStripe()
        #expect(await s.post("/_emulator/time/set", [("to", Self.maxInt)]).error["param"] == "to")
        #expect(await s.post("/_emulator/time/freeze", [("at", "253402300800")]).error["param"] == "at")
        #expect(await s.post("/_emulator/time/set", [("to", "-5")]).error["code"] == "parameter_invalid_integer")
        let far = await s.post("/_emulator/time/advance", [("by", "100000y")])
        #expect(far.status == 400)
        #expect(far.error["message"].stringValue?.contains("9999") == true)
        await stillAlive(s)
    }

    @Test func amountsQuantitiesAndDecimalsBeyondStripesLimits() async throws {
        let s = try TestStripe()
        let product = await s.post("/v1/products", [("name", "Seat")])
        let decimal = await s.post("/v1/prices", [("product", product.id), ("currency", "usd"), ("unit_amount_decimal", "1e30")])
        #expect(decimal.status == 400)
        #expect(decimal.error["code"] == "amount_too_large")
        #expect(decimal.error["param"] == "unit_amount_decimal")
        let tier = await s.post("/v1/prices", [("product", product.id), ("currency", "usd"), ("billing_scheme", "tiered"),
                                                ("tiers_mode", "graduated"), ("tiers[0][up_to]", "inf"),
                                                ("tiers[0][unit_amount]", Self.maxInt), ("recurring[interval]", "month")])
        #expect(tier.status == 400)
        #expect(tier.error["param"] == "tiers[0][unit_amount]")
        let price = await s.monthlyPrice(99_999_999)
        let customer = await s.customer()
        let huge = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                       ("items[0][quantity]", Self.maxInt)])
        #expect(huge.status == 400)
        #expect(huge.error["param"] == "items[0][quantity]")
        let intent = await s.post("/v1/payment_intents", [("amount", "100000000"), ("currency", "usd")])
        #expect(intent.error["code"] == "amount_too_large")
        #expect(intent.error["param"] == "amount")
        // The largest accepted values bill exactly: 99,999,999 x 100,000,000 = 9,999,999,900,000,000.
        let most = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                       ("items[0][quantity]", "100000000"), ("collection_method", "send_invoice"),
                                                       ("days_until_due", "30")])
        #expect(most.status == 200)
        let invoice = await s.invoice(most.json["latest_invoice"].stringValue ?? "")
        #expect(invoice["amount_due"].intValue == 9_999_999_900_000_000)
        await stillAlive(s)
    }

    @Test func timestampsAndDurationsOnObjectsAndControls() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer()
        for (name, value) in [("billing_cycle_anchor", Self.maxInt), ("cancel_at", "-9223372036854775808"),
                              ("trial_end", "253402300800")] {
            let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), (name, value)])
            #expect(r.status == 400, "\(name)")
            #expect(r.error["param"].stringValue == name)
        }
        let endpoint = await s.post("/v1/webhook_endpoints", [("url", "http://127.0.0.1:9/hook"), ("enabled_events[0]", "*")])
        #expect(await s.post("/_emulator/webhooks/chaos", [("delay_seconds", Self.maxInt)]).error["param"] == "delay_seconds")
        #expect(await s.post("/_emulator/webhook_endpoints/\(endpoint.id)/roll_secret", [("grace_period", Self.maxInt)])
            .error["param"] == "grace_period")
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(TestStripe.start))])
        #expect(await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance", [("frozen_time", Self.maxInt)])
            .error["param"] == "frozen_time")
        await stillAlive(s)
    }

    /// One request runs at most the configured number of scheduled items: a daily subscription
    /// advanced 60 days with a limit of 20 answers 400; time travel keeps what ran before the
    /// limit (the clock stops at the last renewal run), a test-clock advance runs nothing.
    @Test func workPerRequestIsBounded() async throws {
        let s = try TestStripe(workLimit: 20)
        let price = await s.monthlyPrice(500, interval: "day")
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.status == 200)
        let r = await s.post("/_emulator/time/advance", [("by", "60d")])
        #expect(r.status == 400)
        #expect(r.error["param"] == "by")
        #expect(r.error["message"].stringValue?.contains("smaller steps") == true)
        let now = await s.get("/_emulator/time").json["now"].intValue ?? 0
        #expect(now > TestStripe.start)
        #expect(now < TestStripe.start + 60 * 86400)
        // Smaller steps go through.
        #expect(await s.post("/_emulator/time/advance", [("by", "5d")]).status == 200)

        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(TestStripe.start))])
        let onClock = await s.customer(extra: [("test_clock", clock.id)])
        #expect(await s.post("/v1/subscriptions", [("customer", onClock), ("items[0][price]", price)]).status == 200)
        let invoicesBefore = await s.get("/v1/invoices", [("customer", onClock)]).json["data"].arrayValue?.count
        let refused = await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance",
                                   [("frozen_time", String(TestStripe.start + 60 * 86400))])
        #expect(refused.status == 400)
        #expect(refused.error["param"] == "frozen_time")
        #expect(await s.get("/v1/test_helpers/test_clocks/\(clock.id)").json["frozen_time"].intValue == TestStripe.start)
        #expect(await s.get("/v1/invoices", [("customer", onClock)]).json["data"].arrayValue?.count == invoicesBefore)
    }

    /// Time travel in chunks gives the same result as in one go: 300 daily renewals (more than
    /// one chunk of 256) each billed once, in order.
    @Test func longAdvanceRunsInChunksWithTheSameResult() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(700, interval: "day")
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.status == 200)
        #expect(await s.post("/_emulator/time/advance", [("by", "300d")]).status == 200)
        var invoices: [JSONValue] = []
        var after: String? = nil
        while true {
            var params = [("customer", customer), ("limit", "100")]
            if let after { params.append(("starting_after", after)) }
            let page = await s.get("/v1/invoices", params).json
            invoices += page["data"].arrayValue ?? []
            guard page["has_more"] == true, let last = invoices.last?["id"].stringValue else { break }
            after = last
        }
        // The first invoice plus one per day renewed (day 300 included).
        #expect(invoices.count == 301)
        // Newest first: the renewal drafted at day 300 finalizes an hour later; all others are paid.
        #expect(invoices.first?["status"] == "draft")
        #expect(invoices.dropFirst().allSatisfy { $0["amount_paid"].intValue == 700 && $0["status"] == "paid" })
        #expect(await s.get("/_emulator/time").json["now"].intValue == TestStripe.start + 300 * 86400)
    }
}

/// Values Stripe refuses are refused here too, with the parameter named.
@Suite struct RefusedValueTests {
    @Test func unsupportedCurrencies() async throws {
        let s = try TestStripe()
        let product = await s.post("/v1/products", [("name", "Seat")])
        let price = await s.post("/v1/prices", [("product", product.id), ("currency", "xxx"), ("unit_amount", "100")])
        #expect(price.status == 400)
        #expect(price.error["param"] == "currency")
        #expect(price.error["message"].stringValue?.hasPrefix("Invalid currency: xxx.") == true)
        #expect(await s.post("/v1/payment_intents", [("amount", "100"), ("currency", "abc")]).error["param"] == "currency")
        let ok = await s.post("/v1/prices", [("product", product.id), ("currency", "EUR"), ("unit_amount", "100")])
        #expect(ok.json["currency"] == "eur")
    }

    @Test func unknownEventTypes() async throws {
        let s = try TestStripe()
        func create(_ types: [String]) async -> TestStripe.Reply {
            var params = [("url", "https://app.test/hook")]
            for (i, t) in types.enumerated() { params.append(("enabled_events[\(i)]", t)) }
            return await s.post("/v1/webhook_endpoints", params)
        }
        #expect(await create(["invoice.paid", "charge.refunded", "invoice.*", "*"]).status == 200)
        let typo = await create(["invoice.paid", "invoce.paid"])
        #expect(typo.status == 400)
        #expect(typo.error["param"] == "enabled_events[1]")
        #expect(await create(["customer..created"]).status == 400)
        #expect(await create(["Invoice.Paid"]).status == 400)
    }
}
