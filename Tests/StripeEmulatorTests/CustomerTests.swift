import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct CustomerTests {
    @Test func createRetrieveUpdateDelete() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("email", "ann@example.test"), ("name", "Ann"), ("metadata[plan]", "pro"),
                                               ("address[city]", "Berlin"), ("preferred_locales[]", "de")])
        #expect(c.status == 200)
        #expect(c.id.hasPrefix("cus_"))
        #expect(c.json["object"] == "customer")
        #expect(c.json["email"] == "ann@example.test")
        #expect(c.json["metadata"] == ["plan": "pro"])
        #expect(c.json["address"]["city"] == "Berlin")
        #expect(c.json["address"]["line1"] == .null)
        #expect(c.json["preferred_locales"] == ["de"])
        #expect(c.json["created"] == .int(TestStripe.start))
        #expect(c.json["livemode"] == false)

        let got = await s.get("/v1/customers/\(c.id)")
        #expect(got.json == c.json)

        let updated = await s.post("/v1/customers/\(c.id)", [("name", "Ann B"), ("description", "vip"), ("email", "")])
        #expect(updated.json["name"] == "Ann B")
        #expect(updated.json["description"] == "vip")
        #expect(updated.json["email"] == .null)

        let deleted = await s.delete("/v1/customers/\(c.id)")
        #expect(deleted.json == ["id": .string(c.id), "object": "customer", "deleted": true])
        let after = await s.get("/v1/customers/\(c.id)")
        #expect(after.status == 200)
        #expect(after.json["deleted"] == true)
        let update = await s.post("/v1/customers/\(c.id)", [("name", "x")])
        #expect(update.status == 404)
        let list = await s.get("/v1/customers")
        #expect(list.json["data"].arrayValue?.isEmpty == true)
    }

    @Test func rendersEveryFieldOfTheSchema() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        // Fields of the current API version's customer, except the includable ones (expand-only).
        let fields = ["address", "balance", "business_name", "created", "currency", "customer_account", "default_source",
                      "delinquent", "description", "discount", "email", "id", "individual_name", "invoice_prefix",
                      "invoice_settings", "livemode", "metadata", "name", "next_invoice_sequence", "object", "phone",
                      "preferred_locales", "shipping", "tax_exempt", "test_clock"]
        #expect(Set(c.json.objectValue!.keys) == Set(fields))
    }

    @Test func metadataSemantics() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("metadata[a]", "1"), ("metadata[b]", "2")])
        let merged = await s.post("/v1/customers/\(c.id)", [("metadata[c]", "3"), ("metadata[a]", "")])
        #expect(merged.json["metadata"] == ["b": "2", "c": "3"])
        let cleared = await s.post("/v1/customers/\(c.id)", [("metadata", "")])
        #expect(cleared.json["metadata"] == [:])
        let tooLong = await s.post("/v1/customers/\(c.id)", [("metadata[\(String(repeating: "k", count: 41))]", "v")])
        #expect(tooLong.status == 400)
        var many: [(String, String)] = []
        for i in 0..<51 { many.append(("metadata[k\(i)]", "v")) }
        let tooMany = await s.post("/v1/customers/\(c.id)", many)
        #expect(tooMany.status == 400)
        #expect(tooMany.error["param"] == "metadata")
    }

    @Test func filtersAndSearch() async throws {
        let s = try TestStripe()
        _ = await s.post("/v1/customers", [("email", "a@x.test"), ("name", "Alice"), ("metadata[tier]", "gold")])
        _ = await s.post("/v1/customers", [("email", "b@x.test"), ("name", "Bob")])
        let byEmail = await s.get("/v1/customers", [("email", "b@x.test")])
        #expect(byEmail.json["data"].arrayValue?.map { $0["name"] } == ["Bob"])
        let search = await s.get("/v1/customers/search", [("query", "email:'a@x.test'")])
        #expect(search.json["object"] == "search_result")
        #expect(search.json["data"].arrayValue?.map { $0["name"] } == ["Alice"])
        let meta = await s.get("/v1/customers/search", [("query", "metadata['tier']:'gold' OR name~'bo'")])
        #expect(meta.json["data"].arrayValue?.count == 2)
        let firstPage = await s.get("/v1/customers/search", [("query", "email~'x.test'"), ("limit", "1")])
        #expect(firstPage.json["data"].arrayValue?.map { $0["name"] } == ["Bob"])
        #expect(firstPage.json["has_more"] == true)
        let next = try #require(firstPage.json["next_page"].stringValue)
        let secondPage = await s.get("/v1/customers/search", [("query", "email~'x.test'"), ("limit", "1"), ("page", next)])
        #expect(secondPage.json["data"].arrayValue?.map { $0["name"] } == ["Alice"])
        #expect(secondPage.json["has_more"] == false)
        #expect(secondPage.json["next_page"] == .null)
        let badPage = await s.get("/v1/customers/search", [("query", "email~'x.test'"), ("page", "garbage")])
        #expect(badPage.status == 400)
        #expect(badPage.error["param"] == "page")
        let pricesSearch = await s.get("/v1/prices/search", [("query", "active:'true'"), ("limit", "101")])
        #expect(pricesSearch.status == 400)
        let bad = await s.get("/v1/customers/search", [("query", "email:'a' AND name:'b' OR x:'y'")])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "query")
    }

    @Test func defaultPaymentMethodMustBeAttached() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let pm = await s.post("/v1/payment_methods", [("type", "card"), ("card[number]", "4242424242424242"),
                                                      ("card[exp_month]", "12"), ("card[exp_year]", "2030")])
        let notAttached = await s.post("/v1/customers/\(c.id)", [("invoice_settings[default_payment_method]", pm.id)])
        #expect(notAttached.status == 400)
        #expect(notAttached.error["param"] == "invoice_settings[default_payment_method]")
        _ = await s.post("/v1/payment_methods/\(pm.id)/attach", [("customer", c.id)])
        let ok = await s.post("/v1/customers/\(c.id)", [("invoice_settings[default_payment_method]", pm.id)])
        #expect(ok.json["invoice_settings"]["default_payment_method"] == .string(pm.id))
        let detached = await s.post("/v1/payment_methods/\(pm.id)/detach")
        #expect(detached.json["customer"] == .null)
        let after = await s.get("/v1/customers/\(c.id)")
        #expect(after.json["invoice_settings"]["default_payment_method"] == .null)
    }

    @Test func createWithPaymentMethodAttachesIt() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("payment_method", "pm_card_visa"),
                                               ("invoice_settings[default_payment_method]", "pm_card_visa")])
        #expect(c.status == 200)
        let pms = await s.get("/v1/customers/\(c.id)/payment_methods")
        let list = try #require(pms.json["data"].arrayValue)
        #expect(list.count == 1)
        #expect(list[0]["card"]["last4"] == "4242")
        #expect(c.json["invoice_settings"]["default_payment_method"] == list[0]["id"])
    }

    /// Card tokens become card sources (CardSourceTests); other legacy sources (`src_…`, bank
    /// accounts) are refused clearly.
    @Test func nonCardSourcesAreRefusedClearly() async throws {
        let s = try TestStripe()
        let r = await s.post("/v1/customers", [("source", "src_1234")])
        #expect(r.status == 400)
        #expect(r.error["param"] == "source")
        #expect(r.error["message"].stringValue?.contains("emulated") == true)
        #expect(await s.get("/v1/customers").json["data"] == [])
    }
}
