import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct PaymentMethodTests {
    func card(_ number: String, month: String = "12", year: String = "2031", cvc: String? = "123") -> [(String, String)] {
        var p = [("type", "card"), ("card[number]", number), ("card[exp_month]", month), ("card[exp_year]", year)]
        if let cvc { p.append(("card[cvc]", cvc)) }
        return p
    }

    @Test func createFromNumber() async throws {
        let s = try TestStripe()
        let pm = await s.post("/v1/payment_methods", card("5555555555554444") + [("billing_details[name]", "Ann")])
        #expect(pm.status == 200)
        #expect(pm.id.hasPrefix("pm_"))
        #expect(pm.json["card"]["brand"] == "mastercard")
        #expect(pm.json["card"]["last4"] == "4444")
        #expect(pm.json["card"]["exp_year"] == 2031)
        #expect(pm.json["card"]["checks"]["cvc_check"] == "pass")
        #expect(pm.json["billing_details"]["name"] == "Ann")
        #expect(pm.json["customer"] == .null)
        let again = await s.post("/v1/payment_methods", card("5555555555554444"))
        #expect(again.json["card"]["fingerprint"] == pm.json["card"]["fingerprint"])
    }

    @Test(arguments: [
        ("4242424242424241", "12", "2031", "123", "incorrect_number", "card[number]"),
        ("4242424242424242", "13", "2031", "123", "invalid_expiry_month", "card[exp_month]"),
        ("4242424242424242", "12", "2020", "123", "invalid_expiry_year", "card[exp_year]"),
        ("4242424242424242", "12", "2031", "12", "invalid_cvc", "card[cvc]"),
    ])
    func invalidCardData(number: String, month: String, year: String, cvc: String, code: String, param: String) async throws {
        let s = try TestStripe()
        let r = await s.post("/v1/payment_methods", card(number, month: month, year: year, cvc: cvc))
        #expect(r.status == 402)
        #expect(r.error["type"] == "card_error")
        #expect(r.error["code"] == .string(code))
        #expect(r.error["param"] == .string(param))
    }

    @Test func magicIdsMaterializeNewPaymentMethodsOnAttach() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let a = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", c.id)])
        let b = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", c.id)])
        #expect(a.status == 200)
        #expect(a.id.hasPrefix("pm_") && a.id != "pm_card_visa")
        #expect(a.id != b.id)
        #expect(a.json["customer"] == .string(c.id))
        #expect(a.json["card"]["last4"] == "4242")
        let list = await s.get("/v1/payment_methods", [("customer", c.id), ("type", "card")])
        #expect(list.json["data"].arrayValue?.count == 2)
        let retrieved = await s.get("/v1/payment_methods/pm_card_amex")
        #expect(retrieved.json["card"]["brand"] == "amex")
    }

    @Test(arguments: [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
    ])
    func decliningCardsCannotBeAttached(pm: String, code: String, declineCode: String) async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let r = await s.post("/v1/payment_methods/\(pm)/attach", [("customer", c.id)])
        #expect(r.status == 402)
        #expect(r.error["type"] == "card_error")
        #expect(r.error["code"] == .string(code))
        #expect(r.error["decline_code"] == .string(declineCode))
        let list = await s.get("/v1/customers/\(c.id)/payment_methods")
        #expect(list.json["data"] == [])
    }

    @Test func decliningNumberFailsOnAttachToo() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let pm = await s.post("/v1/payment_methods", card("4000000000000002"))
        #expect(pm.status == 200)
        let r = await s.post("/v1/payment_methods/\(pm.id)/attach", [("customer", c.id)])
        #expect(r.error["decline_code"] == "generic_decline")
        let viaCustomer = await s.post("/v1/customers", [("payment_method", pm.id)])
        #expect(viaCustomer.status == 402)
        let customers = await s.get("/v1/customers")
        #expect(customers.json["data"].arrayValue?.count == 1)
    }

    @Test func chargeCustomerFailAttaches() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let r = await s.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", [("customer", c.id)])
        #expect(r.status == 200)
        #expect(r.json["card"]["last4"] == "0341")
    }

    @Test func attachRules() async throws {
        let s = try TestStripe()
        let c1 = await s.post("/v1/customers")
        let c2 = await s.post("/v1/customers")
        let pm = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", c1.id)])
        let same = await s.post("/v1/payment_methods/\(pm.id)/attach", [("customer", c1.id)])
        #expect(same.status == 200)
        let other = await s.post("/v1/payment_methods/\(pm.id)/attach", [("customer", c2.id)])
        #expect(other.status == 400)
        let missingCustomer = await s.post("/v1/payment_methods/\(pm.id)/attach", [("customer", "cus_nope")])
        #expect(missingCustomer.status == 400)  // the path names the payment method, which exists
        #expect(missingCustomer.error["param"] == "customer")
        let noCustomer = await s.post("/v1/payment_methods/\(pm.id)/attach")
        #expect(noCustomer.error["code"] == "parameter_missing")
        _ = await s.post("/v1/payment_methods/\(pm.id)/detach")
        let twice = await s.post("/v1/payment_methods/\(pm.id)/detach")
        #expect(twice.status == 400)
        let forCustomer = await s.get("/v1/customers/\(c1.id)/payment_methods/\(pm.id)")
        #expect(forCustomer.status == 404)
    }

    @Test func updateBillingDetailsAndExpiry() async throws {
        let s = try TestStripe()
        let pm = await s.post("/v1/payment_methods", card("4242424242424242"))
        let u = await s.post("/v1/payment_methods/\(pm.id)", [("billing_details[email]", "b@x.test"), ("card[exp_month]", "3"),
                                                              ("metadata[k]", "v")])
        #expect(u.json["billing_details"]["email"] == "b@x.test")
        #expect(u.json["card"]["exp_month"] == 3)
        #expect(u.json["metadata"] == ["k": "v"])
    }

    @Test func tokens() async throws {
        let s = try TestStripe()
        let tok = await s.post("/v1/tokens", [("card[number]", "4242424242424242"), ("card[exp_month]", "1"), ("card[exp_year]", "2032"), ("card[cvc]", "314")])
        #expect(tok.id.hasPrefix("tok_"))
        #expect(tok.json["card"]["last4"] == "4242")
        #expect(tok.json["card"]["brand"] == "Visa")
        #expect(tok.json["used"] == false)
        let pm = await s.post("/v1/payment_methods", [("type", "card"), ("card[token]", tok.id)])
        #expect(pm.json["card"]["exp_year"] == 2032)
        let reuse = await s.post("/v1/payment_methods", [("type", "card"), ("card[token]", tok.id)])
        #expect(reuse.status == 400)
        let used = await s.get("/v1/tokens/\(tok.id)")
        #expect(used.json["used"] == true)
        let magic = await s.get("/v1/tokens/tok_mastercard")
        #expect(magic.json["card"]["last4"] == "4444")
        let fromMagic = await s.post("/v1/payment_methods", [("type", "card"), ("card[token]", "tok_visa")])
        let fromMagic2 = await s.post("/v1/payment_methods", [("type", "card"), ("card[token]", "tok_visa")])
        #expect(fromMagic.status == 200 && fromMagic2.status == 200)
        let declined = await s.post("/v1/tokens", [("card[number]", "4242424242424241"), ("card[exp_month]", "1"), ("card[exp_year]", "2032")])
        #expect(declined.error["code"] == "incorrect_number")
    }

    /// Cards and the bank debits (BankDebitTests) are emulated; other types are refused clearly.
    @Test func onlyCardsAndBankDebitsAreEmulated() async throws {
        let s = try TestStripe()
        let r = await s.post("/v1/payment_methods", [("type", "ideal")])
        #expect(r.status == 400)
        #expect(r.error["message"].stringValue?.contains("not emulated") == true)
    }
}
