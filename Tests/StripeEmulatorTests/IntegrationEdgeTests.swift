import Testing
import StripeWire
@testable import StripeEmulator

/// What integrations touch before any billing logic (#18): the account, every expandable field,
/// and lists of resources the fake does not create.
@Suite struct IntegrationEdgeTests {
    @Test func theAccountIsEachKeysOwnAndCanBeUpdated() async throws {
        let s = try TestStripe()
        let account = await s.get("/v1/account")
        #expect(account.status == 200)
        #expect(account.json["object"] == "account")
        #expect(account.id == AccountObject.id(forKey: s.key))
        #expect(account.id.hasPrefix("acct_") && account.id.count == 21)
        #expect(account.json["country"] == "US")
        #expect(account.json["default_currency"] == "usd")
        #expect(account.json["charges_enabled"] == true)
        #expect(account.json["settings"]["dashboard"]["display_name"] == "EFFINITY (emulated Stripe)")
        #expect(await s.get("/v1/accounts/\(account.id)").json == account.json)
        #expect(await s.get("/v1/accounts/acct_someoneelse").status == 404)
        #expect(await s.get("/v1/accounts").json["data"] == [])
        // Another key is another account.
        #expect(await s.call("GET", "/v1/account", key: "sk_test_other").id != account.id)

        var updated: TestStripe.Reply?
        let events = await s.events {
            updated = await s.post("/v1/account", [("business_profile[name]", "Acme Realty"),
                                                   ("settings[payments][statement_descriptor]", "ACME REALTY")])
        }
        #expect(updated?.json["settings"]["dashboard"]["display_name"] == "Acme Realty")
        #expect(events == ["account.updated"])
        let event = await s.get("/v1/events", [("type", "account.updated")]).json["data"][0]
        #expect(event["data"]["previous_attributes"]["business_profile"]["name"] == "EFFINITY (emulated Stripe)")
        #expect(await s.post("/v1/account", [("settings[payments][statement_descriptor]", "ABC")]).error["param"]
                == "settings[payments][statement_descriptor]")
        // The hosted pages show the account's name and brand color.
        _ = await s.post("/v1/account", [("settings[branding][primary_color]", "#0a7c59")])
        let page = await s.page("GET", await s.checkoutSession()["url"].stringValue!).bodyString
        #expect(page.contains("Acme Realty"))
        #expect(page.contains("--brand:#0a7c59"))

        // The emulator setting changes what invoices and charges carry.
        _ = await s.post("/_emulator/settings", [("account[country]", "DE"), ("account[default_currency]", "eur")])
        #expect(await s.get("/v1/account").json["country"] == "DE")
        let customer = await s.customer()
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("amount", "500"), ("currency", "eur")])
        let invoice = await s.post("/v1/invoices", [("customer", customer), ("pending_invoice_items_behavior", "include")])
        #expect(invoice.json["account_country"] == "DE")
        #expect(invoice.json["account_name"] == "Acme Realty")
        #expect(await s.post("/_emulator/settings", [("account[country]", "germany")]).status == 400)
    }

    @Test func resourcesTheFakeDoesNotCreateListEmpty() async throws {
        let s = try TestStripe()
        for resource in NotEmulated.resources {
            let list = await s.get(resource.path, [("limit", "3")])
            #expect(list.status == 200, "\(resource.path)")
            #expect(list.json["object"] == "list")
            #expect(list.json["data"] == [])
            #expect(list.json["has_more"] == false)
            #expect(list.json["url"] == .string(resource.path))
            let one = await s.get(resource.path + "/x_123")
            #expect(one.status == 404, "\(resource.path)")
            #expect(one.error["code"] == "resource_missing")
            if resource.creatable {
                let create = await s.post(resource.path, [("amount", "100")])
                #expect(create.status == 400, "\(resource.path)")
                #expect(create.error["message"].stringValue?.contains("not emulated") == true)
            }
        }
        let product = await s.post("/v1/products", [("name", "P")])
        #expect(await s.get("/v1/products/\(product.id)/features").json["data"] == [])
        #expect(await s.get("/v1/products/prod_missing/features").status == 404)
        #expect(await s.get("/v1/payouts", [("limit", "500")]).status == 400)
    }

    @Test func balanceFromCharges() async throws {
        let s = try TestStripe()
        let empty = await s.get("/v1/balance")
        #expect(empty.json["object"] == "balance")
        #expect(empty.json["available"] == [["amount": 0, "currency": "usd", "source_types": ["card": 0]]])
        let customer = await s.customer()
        // $20.00 less 2.9% ($0.58) and $0.30: $19.12, pending for two days.
        _ = await s.post("/v1/payment_intents", [("amount", "2000"), ("currency", "usd"), ("customer", customer),
                                                 ("payment_method", "pm_card_visa"), ("confirm", "true")])
        let now = await s.get("/v1/balance").json
        #expect(now["pending"][0]["amount"] == 1912)
        #expect(now["available"][0]["amount"] == 0)
        // A declined charge adds nothing; the bypass-pending card is available at once ($10.00 - $0.59 = $9.41).
        _ = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("customer", customer),
                                                 ("payment_method", "pm_card_chargeDeclined"), ("confirm", "true")])
        let bypass = await s.post("/v1/payment_methods", [("type", "card"), ("card[number]", "4000000000000077"),
                                                          ("card[exp_month]", "12"), ("card[exp_year]", "2031")])
        _ = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("payment_method", bypass.id), ("confirm", "true")])
        let later = await s.get("/v1/balance").json
        #expect(later["available"][0]["amount"] == 941)
        #expect(later["pending"][0]["amount"] == 1912)
        await s.advance("2d")
        #expect(await s.get("/v1/balance").json["available"][0]["amount"] == 2853)
    }
}

/// Every path `expand[]` may name (from Stripe's schemas) works on realistic objects of every
/// type the fake serves: ids become objects, null and empty fields stay so, includable fields
/// appear; a path Stripe would refuse is a 400.
@Suite struct ExpansionBySchemaTests {
    /// Objects of each type in a realistic state, and the URL that retrieves each.
    func world(_ s: TestStripe) async -> [(type: String, url: String)] {
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(extra: [("email", "c@x.test")])
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        let invoice = sub["latest_invoice"].stringValue!
        let inv = await s.invoice(invoice)
        let pi = inv["payments"]["data"][0]["payment"]["payment_intent"].stringValue!
        let charge = await s.get("/v1/payment_intents/\(pi)").json["latest_charge"].stringValue!
        let item = await s.post("/v1/invoiceitems", [("customer", customer), ("amount", "300"), ("currency", "usd")]).id
        let si = await s.post("/v1/setup_intents", [("customer", customer), ("payment_method", "pm_card_visa"), ("confirm", "true")]).id
        let session = await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price),
                                                             ("success_url", "https://x.test/ok"), ("customer", customer)]).id
        let portal = await s.post("/v1/billing_portal/sessions", [("customer", customer)]).json
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(TestStripe.start))]).id
        let endpoint = await s.post("/v1/webhook_endpoints", [("url", "https://x.test/hook"), ("enabled_events[]", "*")]).id
        let pm = await s.get("/v1/customers/\(customer)").json["invoice_settings"]["default_payment_method"].stringValue!
        let event = await s.get("/v1/events", [("limit", "1")]).json["data"][0]["id"].stringValue!
        let product = await s.get("/v1/prices/\(price)").json["product"].stringValue!
        return [
            ("customer", "/v1/customers/\(customer)"), ("subscription", "/v1/subscriptions/\(sub["id"].stringValue!)"),
            ("invoice", "/v1/invoices/\(invoice)"), ("payment_intent", "/v1/payment_intents/\(pi)"), ("charge", "/v1/charges/\(charge)"),
            ("invoiceitem", "/v1/invoiceitems/\(item)"), ("setup_intent", "/v1/setup_intents/\(si)"),
            ("checkout.session", "/v1/checkout/sessions/\(session)"),
            ("billing_portal.configuration", "/v1/billing_portal/configurations/\(portal["configuration"].stringValue!)"),
            ("test_helpers.test_clock", "/v1/test_helpers/test_clocks/\(clock)"), ("webhook_endpoint", "/v1/webhook_endpoints/\(endpoint)"),
            ("payment_method", "/v1/payment_methods/\(pm)"), ("event", "/v1/events/\(event)"), ("price", "/v1/prices/\(price)"),
            ("product", "/v1/products/\(product)"), ("subscription_item", "/v1/subscription_items/\(sub["items"]["data"][0]["id"].stringValue!)"),
            ("account", "/v1/account"),
        ]
    }

    @Test func everyExpandableAndIncludablePathOfEveryType() async throws {
        let s = try TestStripe()
        var checked = 0
        for (type, url) in await world(s) {
            let object = await s.get(url).json
            let actualType = object["object"].stringValue ?? type
            let paths = (ExpandableFields.expandable[actualType] ?? []).union(ExpandableFields.includable[actualType] ?? [])
            for path in paths.sorted() {
                let r = await s.get(url, [("expand[]", path)])
                #expect(r.status == 200, "\(actualType) expand[]=\(path): \(r.response.bodyString)")
                checked += 1
                // An id that was there is now an object; what was null or absent stays so.
                let parts = path.split(separator: ".").map(String.init)
                var before = object, after = r.json
                for p in parts.dropLast() { before = before[p]; after = after[p] }
                if let id = before[parts.last!].stringValue {
                    #expect(after[parts.last!]["id"] == .string(id), "\(actualType).\(path)")
                } else if before[parts.last!].isNull, ExpandableFields.expandable[actualType]?.contains(path) == true {
                    #expect(after[parts.last!].isNull, "\(actualType).\(path)")
                }
            }
        }
        #expect(checked > 60)
    }

    @Test func includableFieldsAppearOnlyWhenExpanded() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        _ = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let plain = await s.get("/v1/customers/\(customer)").json
        #expect(plain["sources"] == nil && plain["subscriptions"] == nil)
        let full = await s.get("/v1/customers/\(customer)", [("expand[]", "sources"), ("expand[]", "subscriptions"), ("expand[]", "tax_ids")]).json
        #expect(full["sources"]["data"] == [])
        #expect(full["sources"]["url"] == .string("/v1/customers/\(customer)/sources"))
        #expect(full["subscriptions"]["data"].arrayValue?.count == 1)
        #expect(full["tax_ids"]["object"] == "list")
        let p = await s.get("/v1/prices/\(price)", [("expand[]", "currency_options"), ("expand[]", "tiers")]).json
        #expect(p["currency_options"]["usd"]["unit_amount"] == 2000)
        #expect(p["tiers"] == .null)
        // Deep paths through lists and nested objects, on a list call too.
        let list = await s.get("/v1/invoices", [("expand[]", "data.lines.data.discounts"), ("expand[]", "data.customer"),
                                               ("expand[]", "data.parent.subscription_details.subscription")])
        #expect(list.status == 200, "\(list.response.bodyString)")
        #expect(list.json["data"][0]["customer"]["id"] == .string(customer))
        #expect(list.json["data"][0]["parent"]["subscription_details"]["subscription"]["object"] == "subscription")
        let sub = await s.get("/v1/subscriptions", [("expand[]", "data.items.data.price.product")]).json
        #expect(sub["data"][0]["items"]["data"][0]["price"]["product"]["object"] == "product")
        // What Stripe refuses: a field that is not expandable, and one of another type's.
        for bad in ["email", "invoice_settings.footer", "latest_invoice.payment_intent", "items"] {
            let r = await s.get("/v1/subscriptions", [("expand[]", "data.\(bad)")])
            #expect(r.status == 400, "\(bad)")
            #expect(r.error["message"].stringValue?.hasPrefix("This property cannot be expanded") == true)
        }
    }
}
