import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// Usage-based billing: billing meters and their events, metered prices billed in arrears at
/// each renewal (amounts worked out by hand), tiers and `transform_quantity`, and the legacy
/// usage records of API versions before basil.
@Suite struct MeterTests {
    static let legacy = ["Stripe-Version": "2024-06-20"]

    func meter(_ s: TestStripe, event: String = "api_calls", formula: String = "sum", extra: [(String, String)] = []) async -> JSONValue {
        let r = await s.post("/v1/billing/meters", [("display_name", "API calls"), ("event_name", event),
                                                    ("default_aggregation[formula]", formula)] + extra)
        precondition(r.status == 200, r.response.bodyString)
        return r.json
    }

    func meteredPrice(_ s: TestStripe, meter: String, _ params: [(String, String)] = [("unit_amount", "5")]) async -> String {
        let r = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("recurring[interval]", "month"),
                                            ("recurring[usage_type]", "metered"), ("recurring[meter]", meter)] + params)
        precondition(r.status == 200, r.response.bodyString)
        return r.id
    }

    func usage(_ s: TestStripe, customer: String, _ value: Int, at timestamp: Int? = nil, identifier: String? = nil,
               event: String = "api_calls") async -> TestStripe.Reply {
        var params = [("event_name", event), ("payload[stripe_customer_id]", customer), ("payload[value]", String(value))]
        if let timestamp { params.append(("timestamp", String(timestamp))) }
        if let identifier { params.append(("identifier", identifier)) }
        return await s.post("/v1/billing/meter_events", params)
    }

    // MARK: Price math

    @Test func graduatedAndVolumeTiers() {
        let tiers: [JSONValue] = [["up_to": 100, "unit_amount": 10, "flat_amount": nil],
                                  ["up_to": 1000, "unit_amount": 5, "flat_amount": nil],
                                  ["up_to": nil, "unit_amount": 2, "flat_amount": 500]]
        // Graduated 1500: 100 × 10 + 900 × 5 + 500 × 2 + 500 flat = 1000 + 4500 + 1000 + 500 = 7000.
        #expect(PriceMath.tiered(tiers, mode: "graduated", quantity: 1500) == 7000)
        // Graduated 150: 100 × 10 + 50 × 5 = 1250; no flat amount of the last tier.
        #expect(PriceMath.tiered(tiers, mode: "graduated", quantity: 150) == 1250)
        // Volume 1500: all at tier 3, 1500 × 2 + 500 = 3500; volume 1000: all at tier 2, 5000.
        #expect(PriceMath.tiered(tiers, mode: "volume", quantity: 1500) == 3500)
        #expect(PriceMath.tiered(tiers, mode: "volume", quantity: 1000) == 5000)
        // Decimal unit amounts: 0.25¢ × 1001 = 250.25 -> 250.
        #expect(PriceMath.tiered([["up_to": nil, "unit_amount_decimal": "0.25"]], mode: "volume", quantity: 1001) == 250)
    }

    @Test func transformQuantityRoundsUpOrDown() {
        let up: JSONValue = ["unit_amount": 100, "transform_quantity": ["divide_by": 1000, "round": "up"]]
        let down: JSONValue = ["unit_amount": 100, "transform_quantity": ["divide_by": 1000, "round": "down"]]
        // 2500 per 1000 -> 3 packages up (300), 2 down (200); 2000 -> 2 either way.
        #expect(PriceMath.amount(up, quantity: 2500) == 300)
        #expect(PriceMath.amount(down, quantity: 2500) == 200)
        #expect(PriceMath.amount(up, quantity: 2000) == 200)
        #expect(PriceMath.amount(up, quantity: 0) == 0)
    }

    // MARK: Meters

    @Test func meterLifecycleAndEvents() async throws {
        let s = try TestStripe()
        let m = await meter(s, extra: [("customer_mapping[event_payload_key]", "cust"), ("customer_mapping[type]", "by_id"),
                                       ("value_settings[event_payload_key]", "n"), ("event_time_window", "hour")])
        let id = m["id"].stringValue!
        #expect(id.hasPrefix("mtr_"))
        #expect(m["object"] == "billing.meter")
        #expect(m["status"] == "active")
        #expect(m["customer_mapping"] == ["event_payload_key": "cust", "type": "by_id"])
        #expect(m["value_settings"] == ["event_payload_key": "n"])
        #expect(m["default_aggregation"] == ["formula": "sum"])
        #expect(m["event_time_window"] == "hour")
        #expect(m["status_transitions"]["deactivated_at"] == .null)

        let renamed = await s.post("/v1/billing/meters/\(id)", [("display_name", "Calls")])
        #expect(renamed.json["display_name"] == "Calls")
        let off = await s.post("/v1/billing/meters/\(id)/deactivate")
        #expect(off.json["status"] == "inactive")
        #expect(off.json["status_transitions"]["deactivated_at"] == .int(TestStripe.start))
        #expect(await s.get("/v1/billing/meters", [("status", "inactive")]).json["data"].arrayValue?.count == 1)
        #expect(await s.get("/v1/billing/meters", [("status", "active")]).json["data"] == [])
        // An inactive meter takes no events and no prices.
        let customer = await s.customer()
        let refused = await s.post("/v1/billing/meter_events", [("event_name", "api_calls"), ("payload[cust]", customer), ("payload[n]", "1")])
        #expect(refused.status == 400)
        #expect(refused.error["param"] == "event_name")
        let price = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "1"),
                                                ("recurring[interval]", "month"), ("recurring[usage_type]", "metered"), ("recurring[meter]", id)])
        #expect(price.status == 400)
        #expect(price.error["param"] == "recurring[meter]")
        #expect(await s.post("/v1/billing/meters/\(id)/deactivate").status == 400)
        #expect(await s.post("/v1/billing/meters/\(id)/reactivate").json["status"] == "active")
        let accepted = await s.post("/v1/billing/meter_events", [("event_name", "api_calls"), ("payload[cust]", customer), ("payload[n]", "3")])
        #expect(accepted.status == 200)
        #expect(accepted.json["payload"] == ["cust": .string(customer), "n": "3"])
        #expect(await s.eventTypes().filter { $0.hasPrefix("billing.") } ==
                ["billing.meter.created", "billing.meter.updated", "billing.meter.deactivated", "billing.meter.reactivated"])
        #expect(await s.get("/v1/billing/meters/mtr_nope").status == 404)
    }

    @Test func meterCreateErrors() async throws {
        let s = try TestStripe()
        let missing = await s.post("/v1/billing/meters", [("display_name", "x"), ("event_name", "e")])
        #expect(missing.error["param"] == "default_aggregation[formula]")
        #expect(missing.error["code"] == "parameter_missing")
        let bad = await s.post("/v1/billing/meters", [("display_name", "x"), ("event_name", "e"), ("default_aggregation[formula]", "avg")])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "default_aggregation[formula]")
        let unknown = await s.post("/v1/billing/meters", [("display_name", "x"), ("event_name", "e"), ("default_aggregation[formula]", "sum"),
                                                          ("color", "red")])
        #expect(unknown.error["param"] == "color")
        _ = await meter(s, event: "e")
        let taken = await s.post("/v1/billing/meters", [("display_name", "y"), ("event_name", "e"), ("default_aggregation[formula]", "count")])
        #expect(taken.status == 400)
        #expect(taken.error["param"] == "event_name")
    }

    @Test func meterEventTimestampsAndIdentifiers() async throws {
        let s = try TestStripe()
        _ = await meter(s)
        let customer = await s.customer()
        let now = TestStripe.start
        let old = await usage(s, customer: customer, 1, at: now - 35 * 86400 - 1)
        #expect(old.status == 400)
        #expect(old.error["param"] == "timestamp")
        #expect(await usage(s, customer: customer, 1, at: now - 35 * 86400).status == 200)
        let ahead = await usage(s, customer: customer, 1, at: now + 301)
        #expect(ahead.status == 400)
        #expect(ahead.error["param"] == "timestamp")
        #expect(await usage(s, customer: customer, 1, at: now + 300).status == 200)
        let first = await usage(s, customer: customer, 1, identifier: "req-1")
        #expect(first.json["identifier"] == "req-1")
        #expect(first.json["timestamp"] == .int(now))
        #expect(first.json["object"] == "billing.meter_event")
        let again = await usage(s, customer: customer, 1, identifier: "req-1")
        #expect(again.status == 400)
        #expect(again.error["param"] == "identifier")
        // Generated identifiers are unique too.
        #expect(await usage(s, customer: customer, 1).json["identifier"] != (await usage(s, customer: customer, 1)).json["identifier"])
        _ = await s.advance("25h")
        #expect(await usage(s, customer: customer, 1, identifier: "req-1").status == 200)
        let noCustomer = await s.post("/v1/billing/meter_events", [("event_name", "api_calls"), ("payload[value]", "1")])
        #expect(noCustomer.error["param"] == "payload[stripe_customer_id]")
        #expect(noCustomer.error["code"] == "parameter_missing")
        let notNumber = await s.post("/v1/billing/meter_events", [("event_name", "api_calls"), ("payload[stripe_customer_id]", customer),
                                                                  ("payload[value]", "lots")])
        #expect(notNumber.error["param"] == "payload[value]")
    }

    @Test func summariesByDayAndCancellation() async throws {
        let s = try TestStripe()
        let m = await meter(s)
        let customer = await s.customer()
        let day = 86400
        let midnight = TestStripe.start - TestStripe.start % day  // 2027-01-15 00:00 UTC
        _ = await usage(s, customer: customer, 10, at: midnight - day + 60)
        _ = await usage(s, customer: customer, 5, at: midnight - day + 3600)
        _ = await usage(s, customer: customer, 7, at: midnight + 60, identifier: "oops")
        _ = await usage(s, customer: customer, 2, at: midnight + 120)
        let path = "/v1/billing/meters/\(m["id"].stringValue!)/event_summaries"
        let whole = await s.get(path, [("customer", customer), ("start_time", String(midnight - day)), ("end_time", String(midnight + day))])
        #expect(whole.json["data"].arrayValue?.map { $0["aggregated_value"] } == [24])
        let byDay = await s.get(path, [("customer", customer), ("start_time", String(midnight - day)), ("end_time", String(midnight + day)),
                                       ("value_grouping_window", "day")])
        #expect(byDay.json["data"].arrayValue?.map { $0["aggregated_value"] } == [15, 9])
        #expect(byDay.json["data"][0]["start_time"] == .int(midnight - day))
        #expect(byDay.json["data"][0]["object"] == "billing.meter_event_summary")
        let adjustment = await s.post("/v1/billing/meter_event_adjustments", [("event_name", "api_calls"), ("type", "cancel"),
                                                                             ("cancel[identifier]", "oops")])
        #expect(adjustment.status == 200)
        #expect(adjustment.json["object"] == "billing.meter_event_adjustment")
        #expect(adjustment.json["cancel"]["identifier"] == "oops")
        let after = await s.get(path, [("customer", customer), ("start_time", String(midnight)), ("end_time", String(midnight + day))])
        #expect(after.json["data"][0]["aggregated_value"] == 2)
        let unknown = await s.post("/v1/billing/meter_event_adjustments", [("event_name", "api_calls"), ("cancel[identifier]", "never")])
        #expect(unknown.status == 400)
        let unaligned = await s.get(path, [("customer", customer), ("start_time", String(midnight + 1)), ("end_time", String(midnight + day))])
        #expect(unaligned.error["param"] == "start_time")
        let missing = await s.get(path, [("start_time", String(midnight)), ("end_time", String(midnight + day))])
        #expect(missing.error["param"] == "customer")
    }

    // MARK: Metered subscriptions

    @Test func meteredUsageIsBilledInArrears() async throws {
        let s = try TestStripe()
        let m = await meter(s)
        let price = await meteredPrice(s, meter: m["id"].stringValue!)
        let customer = await s.customer()
        let refused = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("items[0][quantity]", "2")])
        #expect(refused.status == 400)
        #expect(refused.error["param"] == "items[0][quantity]")
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        #expect(sub["status"] == "active")
        #expect(sub["items"]["data"][0]["quantity"] == .null)
        let first = await s.invoice(sub["latest_invoice"].stringValue!)
        #expect(first["total"] == 0)
        #expect(first["lines"]["data"][0]["quantity"] == 0)
        _ = await usage(s, customer: customer, 1000)
        _ = await usage(s, customer: customer, 234)
        // The preview shows the usage so far: 1234 × 5¢ = $61.70.
        let preview = await s.post("/v1/invoices/create_preview", [("customer", customer), ("subscription", sub["id"].stringValue!)])
        #expect(preview.json["total"] == 6170)
        #expect(preview.json["lines"]["data"][0]["quantity"] == 1234)
        _ = await s.advance("32d")
        _ = await usage(s, customer: customer, 10)
        let renewed = await s.subscription(sub["id"].stringValue!)
        let invoice = await s.invoice(renewed["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "paid")
        #expect(invoice["total"] == 6170)
        let line = invoice["lines"]["data"][0]
        #expect(line["quantity"] == 1234)
        #expect(line["amount"] == 6170)
        // The usage period is the finished one.
        #expect(line["period"]["start"] == .int(TestStripe.start))
        #expect(line["period"]["end"] == renewed["items"]["data"][0]["current_period_start"])
    }

    @Test func tieredMeteredPriceAndLastFormula() async throws {
        let s = try TestStripe()
        let m = await meter(s, event: "seats", formula: "last")
        let price = await meteredPrice(s, meter: m["id"].stringValue!, [
            ("billing_scheme", "tiered"), ("tiers_mode", "graduated"),
            ("tiers[0][up_to]", "10"), ("tiers[0][unit_amount]", "1000"),
            ("tiers[1][up_to]", "inf"), ("tiers[1][unit_amount]", "700"), ("tiers[1][flat_amount]", "200"),
        ])
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        _ = await usage(s, customer: customer, 30, at: TestStripe.start + 10, event: "seats")
        _ = await usage(s, customer: customer, 14, at: TestStripe.start + 20, event: "seats")
        _ = await s.advance("32d")
        let invoice = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        // last = 14: 10 × $10 + 4 × $7 + $2 flat = 10000 + 2800 + 200 = 13000.
        #expect(invoice["lines"]["data"][0]["quantity"] == 14)
        #expect(invoice["total"] == 13000)
    }

    @Test func licensedAndMeteredItemsTogetherWithTransform() async throws {
        let s = try TestStripe()
        let m = await meter(s)
        let metered = await meteredPrice(s, meter: m["id"].stringValue!, [("unit_amount", "250"), ("transform_quantity[divide_by]", "1000"),
                                                                          ("transform_quantity[round]", "up")])
        let base = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", base), ("items[1][price]", metered)]).json
        #expect(await s.invoice(sub["latest_invoice"].stringValue!)["total"] == 2000)
        _ = await usage(s, customer: customer, 2001)
        _ = await s.advance("32d")
        let invoice = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        // $20.00 in advance + ceil(2001 / 1000) = 3 × $2.50 in arrears = 2750.
        #expect(invoice["total"] == 2750)
        #expect(invoice["lines"]["data"].arrayValue?.map { $0["amount"] } == [2000, 750])
    }

    @Test func meteredPriceErrors() async throws {
        let s = try TestStripe()
        let noMeter = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "1"),
                                                  ("recurring[interval]", "month"), ("recurring[usage_type]", "metered")])
        #expect(noMeter.status == 400)
        #expect(noMeter.error["param"] == "recurring[meter]")
        let aggregate = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "1"),
                                                    ("recurring[interval]", "month"), ("recurring[usage_type]", "metered"),
                                                    ("recurring[aggregate_usage]", "sum")])
        #expect(aggregate.error["param"] == "recurring[aggregate_usage]")
        let missing = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "1"),
                                                  ("recurring[interval]", "month"), ("recurring[usage_type]", "metered"),
                                                  ("recurring[meter]", "mtr_nope")])
        #expect(missing.status == 400)
        #expect(missing.error["code"] == "resource_missing")
        let badTransform = await s.post("/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "1"),
                                                       ("transform_quantity[divide_by]", "0"), ("transform_quantity[round]", "up")])
        #expect(badTransform.error["param"] == "transform_quantity[divide_by]")
    }

    @Test func billingThresholdInvoicesEarlyAndRenewalBillsTheRest() async throws {
        let s = try TestStripe()
        let m = await meter(s)
        let price = await meteredPrice(s, meter: m["id"].stringValue!)  // 5¢ a call
        let customer = await s.customer()
        let missing = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                         ("billing_thresholds[reset_billing_cycle_anchor]", "false")])
        #expect(missing.error["param"] == "billing_thresholds[amount_gte]")
        let reset = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                       ("billing_thresholds[amount_gte]", "1000"),
                                                       ("billing_thresholds[reset_billing_cycle_anchor]", "true")])
        #expect(reset.error["param"] == "billing_thresholds[reset_billing_cycle_anchor]")
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                     ("billing_thresholds[amount_gte]", "1000")]).json
        #expect(sub["billing_thresholds"] == ["amount_gte": 1000, "reset_billing_cycle_anchor": false])
        // An integration pinned before basil reads the same thresholds (not a null).
        let old = await s.call("GET", "/v1/subscriptions/\(sub["id"].stringValue!)", headers: ["Stripe-Version": "2024-06-20"]).json
        #expect(old["billing_thresholds"] == ["amount_gte": 1000, "reset_billing_cycle_anchor": false])
        #expect(old["items"]["data"][0]["billing_thresholds"] == .null)
        let first = sub["latest_invoice"]
        _ = await usage(s, customer: customer, 150)  // $7.50: under the threshold
        #expect(await s.subscription(sub["id"].stringValue!)["latest_invoice"] == first)
        _ = await s.advance("1h")
        _ = await usage(s, customer: customer, 100)  // $12.50 >= $10.00: invoiced now
        let threshold = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        #expect(threshold["billing_reason"] == "subscription_threshold")
        #expect(threshold["status"] == "paid")
        #expect(threshold["total"] == 1250)
        #expect(threshold["lines"]["data"][0]["quantity"] == 250)
        _ = await usage(s, customer: customer, 40)
        _ = await s.advance("32d")
        let renewal = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        // Only the 40 calls after the threshold invoice: 200.
        #expect(renewal["billing_reason"] == "subscription_cycle")
        #expect(renewal["total"] == 200)
        #expect(renewal["lines"]["data"][0]["quantity"] == 40)
        // Removed with an empty value.
        let cleared = await s.post("/v1/subscriptions/\(sub["id"].stringValue!)", [("billing_thresholds", "")])
        #expect(cleared.json["billing_thresholds"] == .null)
    }

    // MARK: Legacy usage records

    @Test func legacyUsageRecordsBeforeBasil() async throws {
        let s = try TestStripe()
        let price = await s.call("POST", "/v1/prices", [("currency", "usd"), ("product_data[name]", "API"), ("unit_amount", "3"),
                                                        ("recurring[interval]", "month"), ("recurring[usage_type]", "metered"),
                                                        ("recurring[aggregate_usage]", "sum")], headers: Self.legacy)
        #expect(price.status == 200)
        #expect(price.json["recurring"]["aggregate_usage"] == "sum")
        let customer = await s.customer()
        let sub = await s.call("POST", "/v1/subscriptions", [("customer", customer), ("items[0][price]", price.id)], headers: Self.legacy).json
        let item = sub["items"]["data"][0]["id"].stringValue!
        let path = "/v1/subscription_items/\(item)/usage_records"
        let r1 = await s.call("POST", path, [("quantity", "100")], headers: Self.legacy)
        #expect(r1.json["object"] == "usage_record")
        #expect(r1.json["quantity"] == 100)
        _ = await s.call("POST", path, [("quantity", "50"), ("timestamp", String(TestStripe.start + 60))], headers: Self.legacy)
        // `set` replaces the record at the same timestamp: 100 + 20 = 120.
        _ = await s.call("POST", path, [("quantity", "20"), ("timestamp", String(TestStripe.start + 60)), ("action", "set")], headers: Self.legacy)
        let summary = await s.call("GET", "/v1/subscription_items/\(item)/usage_record_summaries", headers: Self.legacy)
        #expect(summary.json["data"][0]["total_usage"] == 120)
        #expect(summary.json["data"][0]["object"] == "usage_record_summary")
        let early = await s.call("POST", path, [("quantity", "1"), ("timestamp", String(TestStripe.start - 10))], headers: Self.legacy)
        #expect(early.error["param"] == "timestamp")
        // At basil and later the routes are gone.
        #expect(await s.post(path, [("quantity", "1")]).status == 404)
        #expect(await s.get("/v1/subscription_items/\(item)/usage_record_summaries").status == 404)
        _ = await s.advance("32d")
        let invoice = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        // 120 × 3¢ = 360.
        #expect(invoice["total"] == 360)
    }

    @Test func legacyMaxAggregation() async throws {
        let s = try TestStripe()
        let price = await s.call("POST", "/v1/prices", [("currency", "usd"), ("product_data[name]", "Seats"), ("unit_amount", "500"),
                                                        ("recurring[interval]", "month"), ("recurring[usage_type]", "metered"),
                                                        ("recurring[aggregate_usage]", "max")], headers: Self.legacy)
        let customer = await s.customer()
        let sub = await s.call("POST", "/v1/subscriptions", [("customer", customer), ("items[0][price]", price.id)], headers: Self.legacy).json
        let item = sub["items"]["data"][0]["id"].stringValue!
        for (i, q) in [3, 9, 4].enumerated() {
            _ = await s.call("POST", "/v1/subscription_items/\(item)/usage_records",
                             [("quantity", String(q)), ("timestamp", String(TestStripe.start + i * 60))], headers: Self.legacy)
        }
        _ = await s.advance("32d")
        let invoice = await s.invoice(await s.subscription(sub["id"].stringValue!)["latest_invoice"].stringValue!)
        #expect(invoice["total"] == 4500)  // max 9 × $5
        // A licensed item takes no usage records.
        let licensed = await s.monthlyPrice(1000)
        let other = await s.call("POST", "/v1/subscriptions", [("customer", customer), ("items[0][price]", licensed)], headers: Self.legacy).json
        let refused = await s.call("POST", "/v1/subscription_items/\(other["items"]["data"][0]["id"].stringValue!)/usage_records",
                                   [("quantity", "1")], headers: Self.legacy)
        #expect(refused.status == 400)
    }
}
