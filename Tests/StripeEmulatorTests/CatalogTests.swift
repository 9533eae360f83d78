import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct CatalogTests {
    @Test func productLifecycle() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "Starter"), ("description", "small teams"), ("metadata[tier]", "1"),
                                              ("images[]", "https://img.test/a.png")])
        #expect(p.id.hasPrefix("prod_"))
        #expect(p.json["active"] == true)
        #expect(p.json["images"] == ["https://img.test/a.png"])
        let fields = ["active", "created", "default_price", "description", "id", "images", "livemode", "marketing_features",
                      "metadata", "name", "object", "package_dimensions", "shippable", "statement_descriptor", "tax_code",
                      "unit_label", "updated", "url"]
        #expect(Set(fields).isSubset(of: Set(p.json.objectValue!.keys)))
        let u = await s.post("/v1/products/\(p.id)", [("active", "false"), ("description", "")])
        #expect(u.json["active"] == false)
        #expect(u.json["description"] == .null)
        let active = await s.get("/v1/products", [("active", "true")])
        #expect(active.json["data"] == [])
        let inactive = await s.get("/v1/products", [("active", "false")])
        #expect(inactive.json["data"].arrayValue?.count == 1)
        let d = await s.delete("/v1/products/\(p.id)")
        #expect(d.json["deleted"] == true)
        let gone = await s.get("/v1/products/\(p.id)")
        #expect(gone.status == 404)
        #expect(gone.error["message"] == .string("No such product: '\(p.id)'"))
    }

    @Test func customProductIdAndDuplicate() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "Pro"), ("id", "pro")])
        #expect(p.id == "pro")
        let dup = await s.post("/v1/products", [("name", "Pro"), ("id", "pro")])
        #expect(dup.status == 400)
        #expect(dup.error["code"] == "resource_already_exists")
    }

    @Test func productWithPricesCannotBeDeleted() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "P"), ("default_price_data[currency]", "usd"),
                                              ("default_price_data[unit_amount]", "900"),
                                              ("default_price_data[recurring][interval]", "month")])
        let priceID = try #require(p.json["default_price"].stringValue)
        let price = await s.get("/v1/prices/\(priceID)")
        #expect(price.json["unit_amount"] == 900)
        #expect(price.json["recurring"]["interval"] == "month")
        #expect(price.json["product"] == .string(p.id))
        let d = await s.delete("/v1/products/\(p.id)")
        #expect(d.status == 400)
    }

    @Test func oneTimeAndRecurringPrices() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "P")])
        let once = await s.post("/v1/prices", [("product", p.id), ("currency", "EUR"), ("unit_amount", "500")])
        #expect(once.json["type"] == "one_time")
        #expect(once.json["currency"] == "eur")
        #expect(once.json["recurring"] == .null)
        #expect(once.json["unit_amount_decimal"] == "500")
        let monthly = await s.post("/v1/prices", [("product_data[name]", "Inline"), ("currency", "usd"), ("unit_amount", "2900"),
                                                  ("recurring[interval]", "month"), ("recurring[interval_count]", "3"),
                                                  ("nickname", "quarterly")])
        #expect(monthly.json["type"] == "recurring")
        #expect(monthly.json["recurring"]["interval_count"] == 3)
        #expect(monthly.json["recurring"]["usage_type"] == "licensed")
        let inline = await s.get("/v1/products/\(monthly.json["product"].stringValue!)")
        #expect(inline.json["name"] == "Inline")
        let recurringOnly = await s.get("/v1/prices", [("type", "recurring")])
        #expect(recurringOnly.json["data"].arrayValue?.map(\.["id"]) == [monthly.json["id"]])
        let byProduct = await s.get("/v1/prices", [("product", p.id)])
        #expect(byProduct.json["data"].arrayValue?.count == 1)
    }

    @Test func priceValidation() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "P")])
        let noAmount = await s.post("/v1/prices", [("product", p.id), ("currency", "usd")])
        #expect(noAmount.status == 400)
        #expect(noAmount.error["param"] == "unit_amount")
        let noProduct = await s.post("/v1/prices", [("currency", "usd"), ("unit_amount", "1")])
        #expect(noProduct.error["param"] == "product")
        let badInterval = await s.post("/v1/prices", [("product", p.id), ("currency", "usd"), ("unit_amount", "1"), ("recurring[interval]", "fortnight")])
        #expect(badInterval.error["param"] == "recurring[interval]")
        let tooLong = await s.post("/v1/prices", [("product", p.id), ("currency", "usd"), ("unit_amount", "1"), ("recurring[interval]", "year"), ("recurring[interval_count]", "4")])
        #expect(tooLong.error["param"] == "recurring[interval_count]")
        let missingProduct = await s.post("/v1/prices", [("product", "prod_nope"), ("currency", "usd"), ("unit_amount", "1")])
        #expect(missingProduct.status == 400)
        #expect(missingProduct.error["param"] == "product")
    }

    @Test func lookupKeysAreUniqueAndTransferable() async throws {
        let s = try TestStripe()
        let p = await s.post("/v1/products", [("name", "P")])
        let base = [("product", p.id), ("currency", "usd"), ("recurring[interval]", "month")]
        let a = await s.post("/v1/prices", base + [("unit_amount", "1000"), ("lookup_key", "pro_monthly")])
        let clash = await s.post("/v1/prices", base + [("unit_amount", "1200"), ("lookup_key", "pro_monthly")])
        #expect(clash.status == 400)
        #expect(clash.error["param"] == "lookup_key")
        let b = await s.post("/v1/prices", base + [("unit_amount", "1200"), ("lookup_key", "pro_monthly"), ("transfer_lookup_key", "true")])
        #expect(b.json["lookup_key"] == "pro_monthly")
        let oldA = await s.get("/v1/prices/\(a.id)")
        #expect(oldA.json["lookup_key"] == .null)
        _ = await s.post("/v1/prices", base + [("unit_amount", "5000"), ("lookup_key", "ent_monthly")])
        let found = await s.get("/v1/prices", [("lookup_keys[]", "pro_monthly"), ("lookup_keys[]", "ent_monthly")])
        #expect(Set(found.json["data"].arrayValue!.compactMap { $0["lookup_key"].stringValue }) == ["pro_monthly", "ent_monthly"])
        let indexed = await s.get("/v1/prices", [("lookup_keys[0]", "pro_monthly")])
        #expect(indexed.json["data"].arrayValue?.map(\.["id"]) == [.string(b.id)])
        let moved = await s.post("/v1/prices/\(a.id)", [("lookup_key", "pro_monthly"), ("transfer_lookup_key", "true"), ("active", "false")])
        #expect(moved.json["lookup_key"] == "pro_monthly")
        #expect(moved.json["active"] == false)
        let bAfter = await s.get("/v1/prices/\(b.id)")
        #expect(bAfter.json["lookup_key"] == .null)
    }

    @Test func pricesCannotBeDeleted() async throws {
        let s = try TestStripe()
        let r = await s.delete("/v1/prices/price_x")
        #expect(r.status == 404)
        #expect(r.error["message"].stringValue?.contains("Unrecognized request URL") == true)
    }
}
