import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// Each reader gets the shape of its API version: the request's `Stripe-Version`, else the
/// account's default; events at the version they were created under, deliveries at the
/// endpoint's.
@Suite struct APIVersionTests {
    func get(_ s: TestStripe, _ path: String, version: String?, _ params: [(String, String)] = []) async -> TestStripe.Reply {
        await s.call("GET", path, params, headers: version.map { ["Stripe-Version": $0] } ?? [:])
    }

    func paidSubscription(_ s: TestStripe) async -> (sub: JSONValue, invoice: JSONValue) {
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        return (sub, await s.invoice(sub["latest_invoice"].stringValue!))
    }

    @Test func theVersionIsChosenAndReported() async throws {
        let s = try TestStripe()
        let plain = await s.get("/v1/customers")
        #expect(plain.response.header("Stripe-Version") == StripeAPIVersion.current)
        let pinned = await get(s, "/v1/customers", version: "2024-06-20")
        #expect(pinned.response.header("Stripe-Version") == "2024-06-20")
        for bad in ["2024-06-21", "2099-01-01", "latest", "2025-03-31"] {
            let r = await get(s, "/v1/customers", version: bad)
            #expect(r.status == 400, "\(bad)")
            #expect(r.error["type"] == "invalid_request_error")
            #expect(r.error["message"].stringValue?.contains("'\(bad)'") == true)
        }
        // The account's default applies to requests without a header.
        #expect(await s.post("/_emulator/settings", [("api_version", "2022-11-15")]).json["api_version"] == "2022-11-15")
        #expect(await s.get("/v1/customers").response.header("Stripe-Version") == "2022-11-15")
        #expect(await s.post("/_emulator/settings", [("api_version", "2019-01-01")]).status == 400)
        // Another account keeps the server's default.
        #expect(await s.call("GET", "/v1/customers", key: "sk_test_another").response.header("Stripe-Version") == StripeAPIVersion.current)
    }

    @Test func subscriptionsAndInvoicesBeforeBasil() async throws {
        let s = try TestStripe()
        let (sub, invoice) = await paidSubscription(s)
        let id = sub["id"].stringValue!
        // The newest shape: periods on items, invoice parent and payments.
        #expect(sub["current_period_end"] == nil)
        #expect(sub["items"]["data"][0]["current_period_end"] == .int(TestStripe.start + 31 * 86400))
        #expect(invoice["subscription"] == nil && invoice["parent"]["subscription_details"]["subscription"] == .string(id))

        let old = await get(s, "/v1/subscriptions/\(id)", version: "2024-06-20").json
        #expect(old["current_period_start"] == .int(TestStripe.start))
        #expect(old["current_period_end"] == .int(TestStripe.start + 31 * 86400))
        #expect(old["items"]["data"][0]["current_period_end"] == nil)
        #expect(old["discount"] == .null && old["billing_thresholds"] == .null)

        let inv = await get(s, "/v1/invoices/\(invoice["id"].stringValue!)", version: "2024-06-20").json
        #expect(inv["subscription"] == .string(id))
        #expect(inv["paid"] == true)
        #expect(inv["paid_out_of_band"] == false)
        let pi = invoice["payments"]["data"][0]["payment"]["payment_intent"].stringValue!
        #expect(inv["payment_intent"] == .string(pi))
        let charge = await s.get("/v1/payment_intents/\(pi)").json["latest_charge"]
        #expect(inv["charge"] == charge)
        #expect(inv["parent"] == nil && inv["payments"] == nil && inv["total_taxes"] == nil)
        #expect(inv["total_tax_amounts"] == [] && inv["tax"] == .null)
        let line = inv["lines"]["data"][0]
        #expect(line["type"] == "subscription")
        #expect(line["price"]["object"] == "price" && line["price"]["unit_amount"] == 2000)
        #expect(line["plan"]["object"] == "plan" && line["plan"]["amount"] == 2000 && line["plan"]["interval"] == "month")
        #expect(line["proration"] == false)
        #expect(line["subscription"] == .string(id))
        #expect(line["parent"] == nil && line["pricing"] == nil)
        // charge.invoice and payment_intent.invoice come back.
        #expect(await get(s, "/v1/payment_intents/\(pi)", version: "2024-06-20").json["invoice"] == invoice["id"])
        #expect(await get(s, "/v1/charges/\(charge.stringValue!)", version: "2024-06-20").json["invoice"] == invoice["id"])
        #expect(await s.get("/v1/charges/\(charge.stringValue!)").json["invoice"] == nil)
        // Nested and expanded objects and lists follow the reader too.
        let expanded = await get(s, "/v1/subscriptions", version: "2024-06-20", [("expand[]", "data.latest_invoice")]).json
        #expect(expanded["data"][0]["latest_invoice"]["subscription"] == .string(id))
        #expect(expanded["data"][0]["current_period_end"] == old["current_period_end"])
        // basil itself already has the new shape.
        #expect(await get(s, "/v1/subscriptions/\(id)", version: "2025-03-31.basil").json["current_period_end"] == nil)
    }

    @Test func olderChangesDownTo2020() async throws {
        let s = try TestStripe()
        let customer = await s.customer(extra: [("email", "old@x.test")])
        let pi = await s.post("/v1/payment_intents", [("amount", "700"), ("currency", "usd"), ("customer", customer),
                                                      ("payment_method", "pm_card_visa"), ("confirm", "true")]).json
        let at2022 = await get(s, "/v1/payment_intents/\(pi["id"].stringValue!)", version: "2022-08-01").json
        #expect(at2022["charges"]["object"] == "list")
        #expect(at2022["charges"]["data"][0]["id"] == pi["latest_charge"])
        #expect(await get(s, "/v1/payment_intents/\(pi["id"].stringValue!)", version: "2022-11-15").json["charges"] == nil)
        let product = await s.post("/v1/products", [("name", "Old"), ("marketing_features[0][name]", "Fast")]).json
        let at2023 = await get(s, "/v1/products/\(product["id"].stringValue!)", version: "2023-10-16").json
        #expect(at2023["features"] == [["name": "Fast"]])
        #expect(at2023["marketing_features"] == nil)
        #expect(await get(s, "/v1/products/\(product["id"].stringValue!)", version: "2022-11-15").json["attributes"] == [])
        let c = await get(s, "/v1/customers/\(customer)", version: "2020-08-27").json
        #expect(c["default_currency"] == c["currency"])
        #expect(await get(s, "/v1/customers/\(customer)", version: "2022-08-01").json["default_currency"] == nil)
        let price = await s.monthlyPrice(900)
        let session = await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price),
                                                             ("success_url", "https://x.test")]).json
        #expect(session["ui_mode"] == "hosted_page")
        let oldSession = await get(s, "/v1/checkout/sessions/\(session["id"].stringValue!)", version: "2020-08-27").json
        #expect(oldSession["ui_mode"] == "hosted")
        #expect(oldSession["shipping"] == .null && oldSession["shipping_details"] == nil && oldSession["shipping_cost"] == nil)
        // Old names of ui_mode are taken at old versions only.
        let created = await s.call("POST", "/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price),
                                                                      ("success_url", "https://x.test"), ("ui_mode", "hosted")],
                                   headers: ["Stripe-Version": "2024-06-20"])
        #expect(created.status == 200 && created.json["ui_mode"] == "hosted")
        #expect(await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price),
                                                       ("success_url", "https://x.test"), ("ui_mode", "hosted")]).status == 400)
    }

    /// An old-version rendering is kept and sent again while the account's objects are unchanged,
    /// and never after one of them changed, even one the rendering only looked up: a 2022-08-01
    /// payment intent embeds its charges, and a refund changes the charge, not the intent.
    @Test func oldRenderingsAreReusedUntilTheAccountChanges() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        let pi = await s.post("/v1/payment_intents", [("amount", "700"), ("currency", "usd"), ("customer", customer),
                                                      ("payment_method", "pm_card_visa"), ("confirm", "true")]).json
        let path = "/v1/payment_intents/\(pi["id"].stringValue!)"
        let first = await get(s, path, version: "2022-08-01")
        #expect(first.json["charges"]["data"][0]["amount_refunded"] == 0)
        let key = s.key, id = pi["id"].stringValue!
        let stamp = try await s.emulator.database.writer.read { try RenderStamp.read($0, account: key) }
        #expect(stamp != nil)
        let kept = RenderedVersions.shared.bytes(account: key, id: id, version: APIVersion("2022-08-01")!, stamp: stamp!)
        #expect(kept == first.response.body)
        #expect(await get(s, path, version: "2022-08-01").response.body == first.response.body)

        let refund = await s.post("/v1/refunds", [("charge", pi["latest_charge"].stringValue!), ("amount", "200")])
        #expect(refund.status == 200)
        let after = await get(s, path, version: "2022-08-01").json
        #expect(after["charges"]["data"][0]["amount_refunded"] == 200)
        #expect(try await s.emulator.database.writer.read { try RenderStamp.read($0, account: key) } != stamp)
        // A write answered at an old version keeps nothing; the next read sees what it wrote.
        let charge = "/v1/charges/\(pi["latest_charge"].stringValue!)"
        let second = await s.call("POST", charge + "/refunds", [("amount", "100")], headers: ["Stripe-Version": "2022-08-01"])
        #expect(second.status == 200 && second.json["amount"] == 100)
        #expect(await get(s, path, version: "2022-08-01").json["charges"]["data"][0]["amount_refunded"] == 300)
    }

    @Test func eventsKeepTheirVersionAndDeliveriesFollowTheEndpoint() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.post("/_emulator/settings", [("api_version", "2024-06-20")])
        let old = await s.post("/v1/webhook_endpoints", [("url", "https://old.test/hook"), ("enabled_events[]", "customer.subscription.created")]).json
        #expect(old["api_version"] == .null)
        let new = await s.post("/v1/webhook_endpoints", [("url", "https://new.test/hook"), ("enabled_events[]", "customer.subscription.created"),
                                                         ("api_version", StripeAPIVersion.current)]).json
        #expect(new["api_version"] == .string(StripeAPIVersion.current))
        #expect(await s.post("/v1/webhook_endpoints", [("url", "https://x.test"), ("enabled_events[]", "*"), ("api_version", "2021-01-01")]).status == 400)
        let (sub, _) = await paidSubscription(s)
        await s.drain()
        let byURL = Dictionary(t.received.map { ($0.url, $0.event) }, uniquingKeysWith: { a, _ in a })
        let atOld = try #require(byURL["https://old.test/hook"]), atNew = try #require(byURL["https://new.test/hook"])
        #expect(atOld["api_version"] == "2024-06-20")
        #expect(atOld["data"]["object"]["current_period_end"] == .int(TestStripe.start + 31 * 86400))
        #expect(atNew["api_version"] == .string(StripeAPIVersion.current))
        #expect(atNew["data"]["object"]["current_period_end"] == nil)
        #expect(atOld["id"] == atNew["id"])
        // Each payload is signed as sent.
        for r in t.received {
            #expect(r.signature.contains("v1="))
            let secret = r.url.hasPrefix("https://old") ? old["secret"].stringValue! : new["secret"].stringValue!
            let t = r.signature.split(separator: ",")[0].dropFirst(2)
            let expected = Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(t).".utf8) + r.body))
            #expect(r.signature.contains("v1=\(expected)"))
        }
        // /v1/events renders each event at the version it was created under, whatever the request's.
        let listed = await get(s, "/v1/events", version: StripeAPIVersion.current, [("type", "customer.subscription.created")]).json["data"][0]
        #expect(listed["api_version"] == "2024-06-20")
        #expect(listed["data"]["object"]["current_period_end"] == .int(TestStripe.start + 31 * 86400))
        #expect(listed["data"]["object"]["id"] == sub["id"])
    }

    @Test func previousAttributesMovePeriodsUp() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.post("/v1/webhook_endpoints", [("url", "https://old.test/hook"), ("enabled_events[]", "customer.subscription.updated"),
                                                   ("api_version", "2024-06-20")])
        let (sub, _) = await paidSubscription(s)
        await s.advance("32d")
        let renewal = try #require(t.received.last { $0.event["type"] == "customer.subscription.updated" }?.event)
        let previous = renewal["data"]["previous_attributes"]
        #expect(previous["current_period_start"] == .int(TestStripe.start))
        #expect(previous["items"] == nil)
        #expect(renewal["data"]["object"]["id"] == sub["id"])
    }

    @Test func upcomingInvoiceBeforeBasilAndPreviewByCustomer() async throws {
        let s = try TestStripe()
        let (sub, _) = await paidSubscription(s)
        let customer = sub["customer"].stringValue!
        let preview = await s.post("/v1/invoices/create_preview", [("customer", customer)])
        #expect(preview.status == 200)
        #expect(preview.json["amount_due"] == 2000)
        #expect(preview.json["parent"]["subscription_details"]["subscription"] == sub["id"])
        let old = await get(s, "/v1/invoices/upcoming", version: "2024-06-20", [("customer", customer)])
        #expect(old.status == 200, "\(old.response.bodyString)")
        #expect(old.json["subscription"] == sub["id"])
        #expect(old.json["amount_due"] == 2000)
        #expect(old.json["id"] == nil)
        #expect(old.json["lines"]["data"][0]["type"] == "subscription")
        let lines = await get(s, "/v1/invoices/upcoming/lines", version: "2024-06-20", [("customer", customer)])
        #expect(lines.json["object"] == "list" && lines.json["data"].arrayValue?.count == 1)
        // Upgrading half-way, with the old parameter names.
        let bigger = await s.monthlyPrice(4000, name: "Bigger")
        let change = await get(s, "/v1/invoices/upcoming", version: "2024-06-20", [
            ("customer", customer), ("subscription", sub["id"].stringValue!),
            ("subscription_items[0][id]", sub["items"]["data"][0]["id"].stringValue!), ("subscription_items[0][price]", bigger),
            ("subscription_proration_date", String(TestStripe.start + 31 * 86400 / 2)),
        ])
        #expect(change.status == 200, "\(change.response.bodyString)")
        // Next period at $40.00, plus -$10.00 unused and +$20.00 remaining: $50.00.
        #expect(change.json["amount_due"] == 5000)
        let removed = await s.get("/v1/invoices/upcoming", [("customer", customer)])
        #expect(removed.status == 400)
        #expect(removed.error["message"].stringValue?.contains("create_preview") == true)
    }

    /// The classic pre-basil SCA flow expands `latest_invoice.payment_intent`.
    @Test func legacyExpansionsAtOldVersions() async throws {
        let s = try TestStripe()
        let (sub, invoice) = await paidSubscription(s)
        let id = sub["id"].stringValue!
        let old = await get(s, "/v1/subscriptions/\(id)", version: "2024-06-20", [("expand[]", "latest_invoice.payment_intent")])
        #expect(old.status == 200, "\(old.response.bodyString)")
        #expect(old.json["latest_invoice"]["payment_intent"]["object"] == "payment_intent")
        #expect(old.json["latest_invoice"]["payment_intent"]["status"] == "succeeded")
        #expect(old.json["latest_invoice"]["subscription"] == .string(id))
        #expect(old.json["current_period_end"] == .int(TestStripe.start + 31 * 86400))
        // At 2022-08-01 the expanded intent carries its charges list, rendered at that version too.
        let older = await get(s, "/v1/invoices/\(invoice["id"].stringValue!)", version: "2022-08-01", [("expand[]", "payment_intent"), ("expand[]", "charge")])
        #expect(older.json["payment_intent"]["charges"]["object"] == "list")
        #expect(older.json["charge"]["invoice"] == invoice["id"])
        // The newest version has no such field.
        #expect(await s.get("/v1/subscriptions/\(id)", [("expand[]", "latest_invoice.payment_intent")]).status == 400)
    }
}
