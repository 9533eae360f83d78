import Testing
import StripeWire
@testable import StripeEmulator

/// Payments that settle later: `sepa_debit` and `us_bank_account` with Stripe's test account numbers.
@Suite struct BankDebitTests {
    func sepa(_ s: TestStripe, _ iban: String) async -> String {
        let pm = await s.post("/v1/payment_methods", [("type", "sepa_debit"), ("sepa_debit[iban]", iban),
                                                      ("billing_details[name]", "Jenny Rosen"), ("billing_details[email]", "j@example.com")])
        precondition(pm.status == 200, pm.response.bodyString)
        return pm.id
    }

    func debit(_ s: TestStripe, pm: String, amount: Int = 1000, currency: String = "eur", type: String = "sepa_debit") async -> TestStripe.Reply {
        await s.post("/v1/payment_intents", [("amount", String(amount)), ("currency", currency), ("payment_method", pm),
                                             ("payment_method_types[]", type), ("confirm", "true"),
                                             ("mandate_data[customer_acceptance][type]", "online"),
                                             ("mandate_data[customer_acceptance][online][ip_address]", "203.0.113.7"),
                                             ("mandate_data[customer_acceptance][online][user_agent]", "Mozilla/5.0")])
    }

    @Test func sepaProcessesThenSucceeds() async throws {
        let s = try TestStripe()
        let pmID = await sepa(s, "AT321904300235473204")
        let pm = await s.get("/v1/payment_methods/\(pmID)").json
        #expect(pm["type"] == "sepa_debit")
        #expect(pm["sepa_debit"]["last4"] == "3204")
        #expect(pm["sepa_debit"]["country"] == "AT")
        var piID = ""
        let started = await s.events {
            let pi = await debit(s, pm: pmID, amount: 1234)
            #expect(pi.json["status"] == "processing", "\(pi.response.bodyString)")
            piID = pi.id
        }
        #expect(started == ["payment_intent.created", "charge.pending", "payment_intent.processing"])
        let pi = await s.get("/v1/payment_intents/\(piID)").json
        let charge = await s.charge(pi["latest_charge"].stringValue!)
        #expect(charge["status"] == "pending")
        #expect(charge["paid"] == false)
        let mandateID = charge["payment_method_details"]["sepa_debit"]["mandate"].stringValue!
        let mandate = await s.get("/v1/mandates/\(mandateID)").json
        #expect(mandate["status"] == "active")
        #expect(mandate["customer_acceptance"]["online"]["ip_address"] == "203.0.113.7")
        #expect(mandate["payment_method"] == .string(pmID))
        // After three minutes on the clock the bank answers.
        let settled = await s.events { await s.advance("3m") }
        #expect(settled == ["charge.succeeded", "payment_intent.succeeded"])
        let done = await s.get("/v1/payment_intents/\(piID)").json
        #expect(done["status"] == "succeeded")
        #expect(done["amount_received"] == 1234)
        #expect(await s.charge(pi["latest_charge"].stringValue!)["paid"] == true)
    }

    @Test func sepaFailureAndAchOutcomes() async throws {
        let s = try TestStripe()
        let pmID = await sepa(s, "AT861904300235473202")
        let pi = await debit(s, pm: pmID)
        #expect(pi.json["status"] == "processing")
        let settled = await s.events { try? await s.runDue() }
        #expect(settled == ["charge.failed", "payment_intent.payment_failed"])
        let failed = await s.get("/v1/payment_intents/\(pi.id)").json
        #expect(failed["status"] == "requires_payment_method")
        #expect(failed["last_payment_error"]["code"] == "insufficient_funds")
        let ach = await s.post("/v1/payment_methods", [("type", "us_bank_account"), ("us_bank_account[account_number]", "000111111113"),
                                                       ("us_bank_account[routing_number]", "110000000"),
                                                       ("us_bank_account[account_holder_type]", "individual"),
                                                       ("billing_details[name]", "Jenny Rosen")])
        #expect(ach.json["us_bank_account"]["last4"] == "1113")
        let achPI = await debit(s, pm: ach.id, amount: 5000, currency: "usd", type: "us_bank_account")
        #expect(achPI.json["status"] == "processing")
        try await s.runDue()
        let achDone = await s.get("/v1/payment_intents/\(achPI.id)").json
        #expect(achDone["last_payment_error"]["code"] == "account_closed")
    }

    @Test func bankDebitErrors() async throws {
        let s = try TestStripe()
        let bad = await s.post("/v1/payment_methods", [("type", "sepa_debit"), ("sepa_debit[iban]", "AT001904300234573201"),
                                                       ("billing_details[name]", "J")])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "sepa_debit[iban]")
        let noName = await s.post("/v1/payment_methods", [("type", "sepa_debit"), ("sepa_debit[iban]", "AT611904300234573201")])
        #expect(noName.status == 400)
        #expect(noName.error["param"] == "billing_details[name]")
        let pm = await sepa(s, "AT611904300234573201")
        let usd = await debit(s, pm: pm, currency: "usd")
        #expect(usd.status == 400)
        #expect(usd.error["param"] == "currency")
        let types = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "eur"), ("payment_method_types[]", "ideal")])
        #expect(types.status == 400)
        #expect(types.error["param"] == "payment_method_types")
        let routing = await s.post("/v1/payment_methods", [("type", "us_bank_account"), ("us_bank_account[account_number]", "000123456789"),
                                                           ("us_bank_account[routing_number]", "11000"), ("billing_details[name]", "J")])
        #expect(routing.error["param"] == "us_bank_account[routing_number]")
    }

    @Test func checkoutWithSepaSendsAsyncPaymentSucceeded() async throws {
        let s = try TestStripe()
        let price = await s.post("/v1/prices", [("product_data[name]", "Report"), ("currency", "eur"), ("unit_amount", "1500")]).id
        let session = await s.post("/v1/checkout/sessions", [("mode", "payment"), ("line_items[0][price]", price), ("line_items[0][quantity]", "2"),
                                                            ("payment_method_types[]", "sepa_debit"), ("success_url", "https://app.test/ok")])
        #expect(session.json["payment_method_types"] == ["sepa_debit"])
        let usdPrice = await s.post("/v1/prices", [("product_data[name]", "Report"), ("currency", "usd"), ("unit_amount", "1500")]).id
        let wrong = await s.post("/v1/checkout/sessions", [("mode", "payment"), ("line_items[0][price]", usdPrice),
                                                          ("payment_method_types[]", "sepa_debit"), ("success_url", "https://app.test/ok")])
        #expect(wrong.status == 400)
        #expect(wrong.error["param"] == "payment_method_types[0]")
        let pm = await sepa(s, "AT611904300234573201")
        let types = await s.events {
            let done = await s.post("/v1/payment_pages/\(session.id)/confirm", [("payment_method", pm), ("expected_amount", "3000")])
            #expect(done.json["status"] == "complete")
            #expect(done.json["payment_status"] == "unpaid")
            try? await s.runDue()
        }
        #expect(types == ["payment_intent.created", "charge.pending", "payment_intent.processing", "checkout.session.completed",
                          "charge.succeeded", "payment_intent.succeeded", "checkout.session.async_payment_succeeded"])
        #expect(await s.get("/v1/checkout/sessions/\(session.id)").json["payment_status"] == "paid")
    }

    @Test func aSubscriptionPaidBySepaGoesActiveWhenTheDebitSettles() async throws {
        let s = try TestStripe()
        let product = await s.post("/v1/products", [("name", "Pro")])
        let price = await s.post("/v1/prices", [("product", product.id), ("currency", "eur"), ("unit_amount", "4900"),
                                                ("recurring[interval]", "month")]).id
        let pm = await sepa(s, "AT321904300235473204")
        let c = await s.post("/v1/customers", [("payment_method", pm), ("invoice_settings[default_payment_method]", pm)])
        let sub = await s.post("/v1/subscriptions", [("customer", c.id), ("items[0][price]", price)])
        #expect(sub.json["status"] == "incomplete", "\(sub.response.bodyString)")
        let invoice = await s.invoice(sub.json["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        await s.advance("3m")
        #expect(await s.subscription(sub.id)["status"] == "active")
        let paid = await s.invoice(sub.json["latest_invoice"].stringValue!)
        #expect(paid["status"] == "paid")
        #expect(paid["amount_paid"] == 4900)
    }
}
