import Testing
import StripeWire
@testable import StripeEmulator

/// `payment_intent_data` / `setup_intent_data` on Checkout Sessions, and the private
/// `/v1/payment_pages` API Stripe's own client (and the CLI fixture) pays sessions with.
@Suite struct CheckoutPaymentDataTests {
    static let shipping = [("payment_intent_data[shipping][name]", "Jenny Rosen"),
                           ("payment_intent_data[shipping][address][line1]", "510 Townsend St"),
                           ("payment_intent_data[shipping][address][postal_code]", "94103"),
                           ("payment_intent_data[shipping][address][city]", "San Francisco"),
                           ("payment_intent_data[shipping][address][state]", "CA"),
                           ("payment_intent_data[shipping][address][country]", "US")]

    @Test func paymentPagesConfirmCompletesTheSessionWithTheIntentData() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession(Self.shipping + [("payment_intent_data[metadata][order]", "42"),
                                                                ("payment_intent_data[description]", "Two reports"),
                                                                ("payment_intent_data[statement_descriptor_suffix]", "REPORTS"),
                                                                ("line_items[0][quantity]", "2")],
                                              amount: 1500, mode: "payment")
        let id = session["id"].stringValue!
        #expect(session["amount_total"] == 3000)
        let page = await s.get("/v1/payment_pages/\(id)")
        #expect(page.status == 200)
        #expect(page.json["line_item_group"]["total"] == 3000)
        #expect(page.json["status"] == "open")
        let pm = await s.post("/v1/payment_methods", [("type", "card"), ("card[token]", "tok_visa"), ("billing_details[name]", "Jenny Rosen")])
        let wrong = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", pm.id), ("expected_amount", "2999")])
        #expect(wrong.status == 400)
        #expect(wrong.error["param"] == "expected_amount")
        var confirmed = JSONValue.null
        let types = await s.events {
            confirmed = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", pm.id), ("expected_amount", "3000")]).json
        }
        #expect(types == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"])
        #expect(confirmed["status"] == "complete")
        #expect(confirmed["payment_intent"]["status"] == "succeeded")
        let pi = await s.get("/v1/payment_intents/\(confirmed["payment_intent"]["id"].stringValue!)").json
        #expect(pi["amount"] == 3000)
        #expect(pi["shipping"]["name"] == "Jenny Rosen")
        #expect(pi["shipping"]["address"]["postal_code"] == "94103")
        #expect(pi["metadata"]["order"] == "42")
        #expect(pi["description"] == "Two reports")
        #expect(pi["statement_descriptor_suffix"] == "REPORTS")
        let charge = await s.charge(pi["latest_charge"].stringValue!)
        #expect(charge["shipping"]["name"] == "Jenny Rosen")
        let done = await s.get("/v1/checkout/sessions/\(id)").json
        #expect(done["status"] == "complete")
        #expect(done["payment_status"] == "paid")
        let again = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", pm.id)])
        #expect(again.status == 400)
    }

    @Test func aDeclinedCardOnThePageAnswers402AndKeepsTheSessionOpen() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession(amount: 1500, mode: "payment")
        let id = session["id"].stringValue!
        let r = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", "pm_card_chargeDeclined")])
        #expect(r.status == 402)
        #expect(r.error["decline_code"] == "generic_decline")
        #expect(r.error["payment_intent"]["status"] == "requires_payment_method")
        #expect(await s.get("/v1/checkout/sessions/\(id)").json["status"] == "open")
        let auth = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", "pm_card_authenticationRequired")])
        #expect(auth.status == 200)
        #expect(auth.json["payment_intent"]["status"] == "requires_action")
        #expect(await s.post("/v1/payment_pages/cs_test_nope/confirm", [("payment_method", "pm_card_visa")]).status == 404)
    }

    @Test func manualCaptureThroughCheckout() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession([("payment_intent_data[capture_method]", "manual")], amount: 5000, mode: "payment")
        let id = session["id"].stringValue!
        let done = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", "pm_card_visa"), ("expected_amount", "5000")])
        #expect(done.json["status"] == "complete")
        #expect(done.json["payment_status"] == "unpaid")
        let piID = done.json["payment_intent"]["id"].stringValue!
        #expect(done.json["payment_intent"]["status"] == "requires_capture")
        #expect(done.json["payment_intent"]["amount_capturable"] == 5000)
        let captured = await s.post("/v1/payment_intents/\(piID)/capture", [("amount_to_capture", "4000")])
        #expect(captured.json["status"] == "succeeded", "\(captured.response.bodyString)")
        #expect(captured.json["amount_received"] == 4000)
    }

    @Test func setupFutureUsageSavesTheCardToANewCustomer() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession([("payment_intent_data[setup_future_usage]", "off_session")], amount: 1500, mode: "payment")
        let id = session["id"].stringValue!
        let types = await s.events {
            let done = await s.post("/v1/payment_pages/\(id)/confirm", [("payment_method", "pm_card_visa")])
            #expect(done.json["status"] == "complete")
        }
        #expect(types == ["customer.created", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                          "payment_method.attached", "checkout.session.completed"])
        let done = await s.get("/v1/checkout/sessions/\(id)", [("expand[]", "payment_intent")]).json
        let customer = done["customer"].stringValue!
        #expect(done["payment_intent"]["setup_future_usage"] == "off_session")
        let pms = await s.get("/v1/customers/\(customer)/payment_methods").json["data"]
        #expect(pms.arrayValue?.count == 1)
    }

    @Test func setupIntentDataAndModeErrors() async throws {
        let s = try TestStripe()
        let setup = await s.post("/v1/checkout/sessions", [("mode", "setup"), ("currency", "usd"), ("success_url", "https://app.test/ok"),
                                                          ("setup_intent_data[description]", "Save a card"),
                                                          ("setup_intent_data[metadata][plan]", "pro")])
        #expect(setup.status == 200, "\(setup.response.bodyString)")
        let done = await s.post("/v1/payment_pages/\(setup.id)/confirm", [("payment_method", "pm_card_visa")])
        #expect(done.json["status"] == "complete")
        #expect(done.json["setup_intent"]["description"] == "Save a card")
        #expect(done.json["setup_intent"]["metadata"]["plan"] == "pro")
        let price = await s.monthlyPrice(1000)
        let wrongMode = await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price),
                                                              ("success_url", "https://app.test/ok"),
                                                              ("payment_intent_data[description]", "x")])
        #expect(wrongMode.status == 400)
        #expect(wrongMode.error["param"] == "payment_intent_data")
        let oneTime = await s.post("/v1/prices", [("product_data[name]", "Report"), ("currency", "usd"), ("unit_amount", "700")]).id
        let badCapture = await s.post("/v1/checkout/sessions", [("mode", "payment"), ("line_items[0][price]", oneTime),
                                                               ("success_url", "https://app.test/ok"),
                                                               ("payment_intent_data[capture_method]", "later")])
        #expect(badCapture.status == 400)
        #expect(badCapture.error["param"] == "payment_intent_data[capture_method]")
        let unknown = await s.post("/v1/checkout/sessions", [("mode", "setup"), ("currency", "usd"), ("success_url", "https://app.test/ok"),
                                                            ("setup_intent_data[nope]", "1")])
        #expect(unknown.status == 400)
        #expect(unknown.error["param"] == "setup_intent_data[nope]")
        let connect = await s.post("/v1/checkout/sessions", [("mode", "setup"), ("currency", "usd"), ("success_url", "https://app.test/ok"),
                                                            ("setup_intent_data[on_behalf_of]", "acct_1")])
        #expect(connect.status == 400)
        #expect(connect.error["param"] == "setup_intent_data[on_behalf_of]")
    }
}
