import Testing
import StripeWire
@testable import StripeEmulator

/// Legacy card sources (`source=tok_visa`, `/v1/customers/{id}/sources`, `default_source`) and
/// paying with them.
@Suite struct CardSourceTests {
    @Test func sourceOnCustomerCreateBecomesTheDefault() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("source", "tok_mastercard"), ("email", "a@example.com")])
        #expect(c.status == 200, "\(c.response.bodyString)")
        let card = c.json["default_source"].stringValue ?? ""
        #expect(card.hasPrefix("card_"))
        let got = await s.get("/v1/customers/\(c.id)/sources/\(card)")
        #expect(got.json["object"] == "card")
        #expect(got.json["brand"] == "MasterCard")
        #expect(got.json["last4"] == "4444")
        #expect(got.json["customer"] == .string(c.id))
        for field in ["account", "address_city", "address_zip_check", "available_payout_methods", "currency", "cvc_check",
                      "default_for_currency", "dynamic_last4", "fingerprint", "funding", "iin", "metadata", "name", "networks",
                      "regulated_status", "status", "tokenization_method", "allow_redisplay", "country", "exp_month", "exp_year"] {
            #expect(got.json.objectValue?[field] != nil, "missing \(field)")
        }
        #expect(await s.eventTypes() == ["customer.created", "customer.source.created"])
        let expanded = await s.get("/v1/customers/\(c.id)", [("expand[]", "sources"), ("expand[]", "default_source")])
        #expect(expanded.json["sources"]["data"][0]["id"] == .string(card))
        #expect(expanded.json["default_source"]["last4"] == "4444")
    }

    @Test func sourcesCreateListUpdateDelete() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let types = await s.events {
            let a = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_visa"), ("metadata[k]", "v")])
            #expect(a.status == 200)
            #expect(a.json["metadata"]["k"] == "v")
            let b = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_amex")])
            #expect(b.json["brand"] == "American Express")
            #expect(await s.get("/v1/customers/\(c.id)").json["default_source"] == .string(a.id))
            let list = await s.get("/v1/customers/\(c.id)/sources", [("object", "card")])
            #expect(list.json["data"].arrayValue?.map { $0["id"] } == [.string(b.id), .string(a.id)])
            #expect(list.json["url"] == .string("/v1/customers/\(c.id)/sources"))
            let u = await s.post("/v1/customers/\(c.id)/sources/\(a.id)", [("name", "Jenny Rosen"), ("address_zip", "94103"),
                                                                            ("exp_month", "4"), ("exp_year", "2040")])
            #expect(u.json["name"] == "Jenny Rosen")
            #expect(u.json["exp_year"] == 2040)
            #expect(u.json["exp_month"] == 4)
            let d = await s.delete("/v1/customers/\(c.id)/sources/\(a.id)")
            #expect(d.json["deleted"] == true)
            #expect(d.json["object"] == "card")
            #expect(await s.get("/v1/customers/\(c.id)").json["default_source"] == .string(b.id))
            #expect(await s.get("/v1/customers/\(c.id)/sources/\(a.id)").status == 404)
        }
        #expect(types == ["customer.source.created", "customer.updated", "customer.source.created", "customer.source.updated",
                          "customer.source.deleted", "customer.updated"])
        let updated = await s.get("/v1/events", [("type", "customer.source.updated")]).json["data"][0]
        #expect(updated["data"]["previous_attributes"]["name"] == .null)
        #expect(updated["data"]["previous_attributes"]["exp_month"] == 12)
    }

    @Test func defaultSourceIsSettableAndValidated() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("source", "tok_visa")])
        let b = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_discover")])
        let types = await s.events {
            let u = await s.post("/v1/customers/\(c.id)", [("default_source", b.id)])
            #expect(u.json["default_source"] == .string(b.id))
        }
        #expect(types == ["customer.updated"])
        let other = await s.post("/v1/customers", [("source", "tok_visa")])
        let bad = await s.post("/v1/customers/\(c.id)", [("default_source", other.json["default_source"].stringValue!)])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "default_source")
        // `source` on update replaces the default card (the old one is deleted).
        let replaced = await s.events {
            let u = await s.post("/v1/customers/\(c.id)", [("source", "tok_jcb")])
            #expect(u.json["default_source"] != .string(b.id))
        }
        #expect(replaced == ["customer.source.created", "customer.source.deleted", "customer.updated"])
    }

    @Test func sourceErrors() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let declined = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_chargeDeclined")])
        #expect(declined.status == 402)
        #expect(declined.error["decline_code"] == "generic_decline")
        let unknown = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_nope")])
        #expect(unknown.status == 400)
        #expect(unknown.error["code"] == "resource_missing")
        #expect(unknown.error["param"] == "source")
        let pm = await s.post("/v1/customers/\(c.id)/sources", [("source", "pm_card_visa")])
        #expect(pm.status == 400)
        #expect(pm.error["param"] == "source")
        let missing = await s.post("/v1/customers/\(c.id)/sources")
        #expect(missing.status == 400)
        #expect(missing.error["param"] == "source")
        let extra = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_visa"), ("bogus", "1")])
        #expect(extra.status == 400)
        #expect(extra.error["param"] == "bogus")
        #expect(await s.get("/v1/customers/\(c.id)/sources/card_nope").status == 404)
        let failed = await s.post("/v1/customers", [("source", "tok_chargeDeclinedInsufficientFunds")])
        #expect(failed.status == 402)
        #expect(await s.get("/v1/customers").json["data"].arrayValue?.count == 1)
        // A card hash works too.
        let hash = await s.post("/v1/customers/\(c.id)/sources", [("source[object]", "card"), ("source[number]", "4000056655665556"),
                                                                 ("source[exp_month]", "12"), ("source[exp_year]", "2034"),
                                                                 ("source[cvc]", "123"), ("source[address_zip]", "10001")])
        #expect(hash.json["funding"] == "debit")
        #expect(hash.json["address_zip"] == "10001")
        #expect(hash.json["cvc_check"] == "pass")
    }

    @Test func invoicesOfACustomerWithOnlyADefaultSourceArePaidWithIt() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1999)
        let c = await s.post("/v1/customers", [("source", "tok_visa")])
        let card = c.json["default_source"].stringValue!
        let sub = await s.post("/v1/subscriptions", [("customer", c.id), ("items[0][price]", price)])
        #expect(sub.json["status"] == "active", "\(sub.response.bodyString)")
        let invoice = await s.invoice(sub.json["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "paid")
        #expect(invoice["amount_paid"] == 1999)
        let charges = await s.get("/v1/charges", [("customer", c.id)]).json["data"]
        #expect(charges[0]["payment_method"] == .string(card))
        #expect(charges[0]["source"]["id"] == .string(card))
        #expect(charges[0]["amount"] == 1999)
    }

    @Test func subscriptionsTakeADefaultSource() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1500)
        // The subscription's default source comes before the customer's default payment method (Stripe's priority).
        let c = await s.post("/v1/customers", [("source", "tok_visa"), ("payment_method", "pm_card_amex"),
                                               ("invoice_settings[default_payment_method]", "pm_card_amex")])
        let second = await s.post("/v1/customers/\(c.id)/sources", [("source", "tok_mastercard")])
        let sub = await s.post("/v1/subscriptions", [("customer", c.id), ("items[0][price]", price), ("default_source", second.id)])
        #expect(sub.json["default_source"] == .string(second.id), "\(sub.response.bodyString)")
        let charge = await s.get("/v1/charges", [("customer", c.id)]).json["data"][0]
        #expect(charge["payment_method"] == .string(second.id))
        #expect(charge["payment_method_details"]["card"]["brand"] == "mastercard")
        let other = await s.post("/v1/customers", [("source", "tok_visa")])
        let bad = await s.post("/v1/subscriptions/\(sub.id)", [("default_source", other.json["default_source"].stringValue!)])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "default_source")
        let unset = await s.post("/v1/subscriptions/\(sub.id)", [("default_source", "")])
        #expect(unset.json["default_source"] == .null)
    }

    @Test func aFailingSourceDeclinesLikeItsPaymentMethod() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let c = await s.post("/v1/customers", [("source", "tok_chargeCustomerFail")])
        #expect(c.status == 200)
        let sub = await s.post("/v1/subscriptions", [("customer", c.id), ("items[0][price]", price)])
        #expect(sub.json["status"] == "incomplete")
        let pi = await s.post("/v1/payment_intents", [("amount", "500"), ("currency", "usd"), ("customer", c.id),
                                                      ("payment_method", c.json["default_source"].stringValue!), ("confirm", "true")])
        #expect(pi.status == 402)
        #expect(pi.error["decline_code"] == "generic_decline")
        #expect(pi.error["source"]["id"] == c.json["default_source"])
    }

    @Test func paymentIntentsTakeCardSources() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("source", "tok_visa")])
        let card = c.json["default_source"].stringValue!
        let pi = await s.post("/v1/payment_intents", [("amount", "1234"), ("currency", "usd"), ("customer", c.id),
                                                      ("payment_method", card), ("confirm", "true")])
        #expect(pi.json["status"] == "succeeded", "\(pi.response.bodyString)")
        #expect(pi.json["payment_method"] == .string(card))
        #expect(pi.json["amount_received"] == 1234)
        let other = await s.post("/v1/customers")
        let foreign = await s.post("/v1/payment_intents", [("amount", "1234"), ("currency", "usd"), ("customer", other.id),
                                                           ("payment_method", card), ("confirm", "true")])
        #expect(foreign.status == 400)
        #expect(foreign.error["param"] == "payment_method")
    }
}
