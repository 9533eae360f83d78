import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct SetupIntentTests {
    @Test func confirmWithAGoodCardAttachesIt() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let si = await s.post("/v1/setup_intents", [("customer", c.id), ("payment_method", "pm_card_visa"), ("usage", "off_session")])
        #expect(si.json["status"] == "requires_confirmation")
        #expect(si.json["client_secret"].stringValue?.hasPrefix("\(si.id)_secret_") == true)
        let confirmed = await s.post("/v1/setup_intents/\(si.id)/confirm")
        #expect(confirmed.json["status"] == "succeeded")
        let pm = try #require(confirmed.json["payment_method"].stringValue)
        let attached = await s.get("/v1/payment_methods/\(pm)")
        #expect(attached.json["customer"] == .string(c.id))
        let again = await s.post("/v1/setup_intents/\(si.id)/confirm")
        #expect(again.status == 400)
        let cancel = await s.post("/v1/setup_intents/\(si.id)/cancel")
        #expect(cancel.status == 400)
    }

    @Test func declineKeepsTheIntentWithItsError() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let r = await s.post("/v1/setup_intents", [("customer", c.id), ("payment_method", "pm_card_visa_chargeDeclinedInsufficientFunds"), ("confirm", "true")])
        #expect(r.status == 402)
        #expect(r.error["decline_code"] == "insufficient_funds")
        let siID = try #require(r.error["setup_intent"]["id"].stringValue)
        let si = await s.get("/v1/setup_intents/\(siID)")
        #expect(si.json["status"] == "requires_payment_method")
        #expect(si.json["last_setup_error"]["decline_code"] == "insufficient_funds")
        #expect(si.json["payment_method"] == .null)
        let retried = await s.post("/v1/setup_intents/\(siID)/confirm", [("payment_method", "pm_card_visa")])
        #expect(retried.json["status"] == "succeeded")
        #expect(retried.json["last_setup_error"] == .null)
    }

    @Test func authenticationCardsRequireAction() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        for pm in ["pm_card_authenticationRequired", "pm_card_authenticationRequiredOnSetup", "pm_card_threeDSecure2Required"] {
            let r = await s.post("/v1/setup_intents", [("customer", c.id), ("payment_method", pm), ("confirm", "true")])
            #expect(r.status == 200)
            #expect(r.json["status"] == "requires_action", "\(pm)")
            #expect(r.json["next_action"]["type"] == "use_stripe_sdk")
        }
        let redirect = await s.post("/v1/setup_intents", [("payment_method", "pm_card_authenticationRequired"), ("confirm", "true"),
                                                          ("return_url", "https://app.test/back")])
        #expect(redirect.json["next_action"]["type"] == "redirect_to_url")
    }

    @Test func paymentMethodDataAndUpdateAndList() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let si = await s.post("/v1/setup_intents", [("payment_method_data[type]", "card"),
                                                    ("payment_method_data[card][number]", "4242424242424242"),
                                                    ("payment_method_data[card][exp_month]", "4"),
                                                    ("payment_method_data[card][exp_year]", "2033")])
        #expect(si.json["status"] == "requires_confirmation")
        let u = await s.post("/v1/setup_intents/\(si.id)", [("customer", c.id), ("description", "save card"), ("metadata[a]", "b")])
        #expect(u.json["customer"] == .string(c.id))
        #expect(u.json["description"] == "save card")
        let list = await s.get("/v1/setup_intents", [("customer", c.id)])
        #expect(list.json["data"].arrayValue?.count == 1)
        let canceled = await s.post("/v1/setup_intents/\(si.id)/cancel", [("cancellation_reason", "abandoned")])
        #expect(canceled.json["status"] == "canceled")
        #expect(canceled.json["cancellation_reason"] == "abandoned")
        let missing = await s.get("/v1/setup_intents/seti_nope")
        #expect(missing.status == 404)
    }

    @Test func confirmWithoutPaymentMethodIs400() async throws {
        let s = try TestStripe()
        let si = await s.post("/v1/setup_intents")
        #expect(si.json["status"] == "requires_payment_method")
        let r = await s.post("/v1/setup_intents/\(si.id)/confirm")
        #expect(r.status == 400)
        #expect(r.error["param"] == "payment_method")
    }
}
