import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct ListAndExpandTests {
    /// Customers created one second apart (and some in the same second, to exercise tie-breaking).
    func seed(_ s: TestStripe, count: Int) async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            try await s.setNow(TestStripe.start + i / 2)
            ids.append(await s.post("/v1/customers", [("email", "c\(i)@x.test")]).id)
        }
        return ids
    }

    @Test func pagesNewestFirstWithExactHasMore() async throws {
        let s = try TestStripe()
        let ids = try await seed(s, count: 25)
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            var params = [("limit", "10")]
            if let after { params.append(("starting_after", after)) }
            let page = await s.get("/v1/customers", params)
            let data = page.json["data"].arrayValue ?? []
            seen += data.compactMap { $0["id"].stringValue }
            after = data.last?["id"].stringValue
            pages += 1
            #expect(page.json["has_more"] == .bool(seen.count < 25))
            #expect(page.json["url"] == "/v1/customers")
        } while seen.count < 25 && pages < 5
        #expect(seen == ids.reversed())
    }

    /// A page is sent as its objects' stored bytes (no second serialization): the body must be
    /// byte for byte what writing the page would give, for plain, updated and expanded objects.
    @Test func aPageSentAsStoredBytesIsTheWrittenPage() async throws {
        let s = try TestStripe()
        let ids = try await seed(s, count: 5)
        _ = await s.post("/v1/customers/\(ids[1])", [("metadata[note]", "quote \" and \\ back"), ("name", "Zoë")])
        let price = await s.monthlyPrice(1500)
        let payer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", payer), ("items[0][price]", price)])
        #expect(sub.status == 200)
        for params in [[("limit", "100")], [("limit", "3"), ("starting_after", ids[4])], [("expand[]", "data.test_clock")]] {
            let page = await s.get("/v1/customers", params)
            #expect(page.status == 200)
            #expect(page.response.body == JSONWriter.data(page.json), "\(params)")
            let again = await s.get("/v1/customers", params)
            #expect(again.response.body == page.response.body)
        }
        let subs = await s.get("/v1/subscriptions", [("customer", payer), ("expand[]", "data.customer")])
        #expect(subs.json["data"][0]["customer"]["id"].stringValue == payer)
        #expect(subs.response.body == JSONWriter.data(subs.json))
        // An older version still walks every object (the newest's bytes are not reused there).
        let old = await s.call("GET", "/v1/subscriptions", [("customer", payer)], headers: ["Stripe-Version": "2024-06-20"])
        #expect(old.json["data"][0]["current_period_end"].intValue != nil)
        let newest = await s.get("/v1/subscriptions", [("customer", payer)])
        #expect(newest.json["data"][0]["current_period_end"] == .null)
        #expect(newest.json["data"][0]["items"]["data"][0]["current_period_end"].intValue != nil)
    }

    @Test func hasMoreIsExactAtTheBoundary() async throws {
        let s = try TestStripe()
        _ = try await seed(s, count: 10)
        let page = await s.get("/v1/customers", [("limit", "10")])
        #expect(page.json["data"].arrayValue?.count == 10)
        #expect(page.json["has_more"] == false)
    }

    @Test func endingBeforeWalksBack() async throws {
        let s = try TestStripe()
        let ids = try await seed(s, count: 7)
        let newestFirst = Array(ids.reversed())
        let page = await s.get("/v1/customers", [("limit", "2"), ("ending_before", newestFirst[4])])
        #expect(page.json["data"].arrayValue?.compactMap { $0["id"].stringValue } == [newestFirst[2], newestFirst[3]])
        #expect(page.json["has_more"] == true)
    }

    @Test func createdRangeFilters() async throws {
        let s = try TestStripe()
        _ = try await seed(s, count: 6)  // created: start+0,0,1,1,2,2
        let gte = await s.get("/v1/customers", [("created[gte]", String(TestStripe.start + 1))])
        #expect(gte.json["data"].arrayValue?.count == 4)
        let lt = await s.get("/v1/customers", [("created[lt]", String(TestStripe.start + 1))])
        #expect(lt.json["data"].arrayValue?.count == 2)
        let exact = await s.get("/v1/customers", [("created", String(TestStripe.start + 2))])
        #expect(exact.json["data"].arrayValue?.count == 2)
    }

    @Test func limitBoundsAndBadCursor() async throws {
        let s = try TestStripe()
        for bad in ["0", "101", "x"] {
            let r = await s.get("/v1/customers", [("limit", bad)])
            #expect(r.status == 400, "limit=\(bad)")
            #expect(r.error["param"] == "limit")
        }
        let cursor = await s.get("/v1/customers", [("starting_after", "cus_missing")])
        #expect(cursor.status == 400)
        #expect(cursor.error["param"] == "starting_after")
        let both = await s.get("/v1/customers", [("starting_after", "a"), ("ending_before", "b")])
        #expect(both.status == 400)
    }

    @Test func expandOnObjectsAndLists() async throws {
        let s = try TestStripe()
        let prod = await s.post("/v1/products", [("name", "Pro")])
        _ = await s.post("/v1/prices", [("product", prod.id), ("currency", "usd"), ("unit_amount", "2000"),
                                        ("recurring[interval]", "month")])
        let listed = await s.get("/v1/prices", [("expand[]", "data.product")])
        #expect(listed.json["data"][0]["product"]["name"] == "Pro")
        let indexed = await s.get("/v1/prices", [("expand[0]", "data.product")])
        #expect(indexed.json["data"][0]["product"]["object"] == "product")

        let c = await s.post("/v1/customers", [("payment_method", "pm_card_visa"),
                                               ("invoice_settings[default_payment_method]", "pm_card_visa"),
                                               ("expand[]", "invoice_settings.default_payment_method")])
        #expect(c.json["invoice_settings"]["default_payment_method"]["card"]["brand"] == "visa")
        let plain = await s.get("/v1/customers/\(c.id)")
        #expect(plain.json["invoice_settings"]["default_payment_method"].stringValue?.hasPrefix("pm_") == true)
    }

    @Test func expandingWhatCannotBeExpandedIs400() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("email", "x@y.test")])
        for path in ["email", "nonexistent", "invoice_settings.footer.x", "a.b.c.d.e"] {
            let r = await s.get("/v1/customers/\(c.id)", [("expand[]", path)])
            #expect(r.status == 400, "\(path)")
            #expect(r.error["type"] == "invalid_request_error")
        }
        let nullField = await s.get("/v1/customers/\(c.id)", [("expand[]", "test_clock")])
        #expect(nullField.status == 200)
        #expect(nullField.json["test_clock"] == .null)
    }
}
