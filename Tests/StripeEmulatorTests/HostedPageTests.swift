import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import StripeWire
@testable import StripeEmulator

extension TestStripe {
    /// A page request as a browser sends it (no API key); `path` may include a query.
    func page(_ method: String, _ url: String, form: [(String, String)] = []) async -> APIResponse {
        let path = url.replacingOccurrences(of: emulator.settings.baseURL, with: "")
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let body = form.map { "\($0.0)=\(FormEncoder.escape($0.1))" }.joined(separator: "&")
        return await emulator.handle(APICall(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil,
                                             body: Array(body.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"]))
    }

    func checkoutSession(_ extra: [(String, String)] = [], amount: Int = 2900, trialDays: Int? = nil, mode: String = "subscription") async -> JSONValue {
        let price = mode == "payment"
            ? await post("/v1/prices", [("product_data[name]", "Report"), ("currency", "usd"), ("unit_amount", String(amount))]).id
            : await monthlyPrice(amount)
        var params = [("mode", mode), ("line_items[0][price]", price), ("success_url", "https://app.test/ok?session={CHECKOUT_SESSION_ID}"),
                      ("cancel_url", "https://app.test/pricing"), ("customer_email", "buyer@x.test")] + extra
        if let trialDays { params.append(("subscription_data[trial_period_days]", String(trialDays))) }
        let r = await post("/v1/checkout/sessions", params)
        precondition(r.status == 200, r.response.bodyString)
        return r.json
    }
}

@Suite(.timeLimit(.minutes(1))) struct CheckoutPageTests {
    @Test func payWithAGoodCardRedirectsAndCreatesEverything() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession(trialDays: 14)
        let url = session["url"].stringValue!
        #expect(session["status"] == "open")
        #expect(session["payment_status"] == "no_payment_required")
        #expect(url.hasPrefix("http://127.0.0.1:12111/c/pay/"))
        let pageHTML = await s.page("GET", url)
        #expect(pageHTML.status == 200)
        #expect(pageHTML.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(pageHTML.bodyString.contains("TEST MODE"))
        #expect(pageHTML.bodyString.contains("14 days free, then $29.00 a month"))
        #expect(pageHTML.bodyString.contains("buyer@x.test"))
        var redirect = APIResponse(status: 0, body: [])
        let events = await s.events {
            redirect = await s.page("POST", url, form: [("email", "buyer@x.test"), ("card", "4242 4242 4242 4242"), ("exp", "12 / 34"), ("cvc", "123"), ("name", "Bea")])
        }
        #expect(redirect.status == 303)
        #expect(redirect.header("Location") == "https://app.test/ok?session=\(session["id"].stringValue!)")
        #expect(events == ["customer.created", "payment_method.attached", "customer.updated", "customer.subscription.created",
                           "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded", "checkout.session.completed"])
        let done = await s.get("/v1/checkout/sessions/\(session["id"].stringValue!)", [("expand[]", "subscription"), ("expand[]", "line_items")])
        #expect(done.json["status"] == "complete")
        #expect(done.json["url"] == .null)
        #expect(done.json["subscription"]["status"] == "trialing")
        #expect(done.json["customer_details"]["email"] == "buyer@x.test")
        #expect(done.json["line_items"]["data"][0]["amount_total"] == 2900)
        let after = await s.page("GET", url)
        #expect(after.bodyString.contains("This checkout is complete"))
    }

    @Test func declineShowsStripesMessageAndKeepsTheSessionOpen() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession()
        let url = session["url"].stringValue!
        let before = await s.eventTypes()
        let declined = await s.page("POST", url, form: [("test_card", "4000000000009995")])
        #expect(declined.status == 402)
        #expect(declined.bodyString.contains("Your card has insufficient funds."))
        let later = await s.page("POST", url, form: [("test_card", "4000000000000341")])
        #expect(later.status == 402)
        #expect(later.bodyString.contains("Your card was declined."))
        #expect(await s.eventTypes() == before)
        #expect(await s.get("/v1/checkout/sessions/\(session["id"].stringValue!)").json["status"] == "open")
        #expect(await s.get("/v1/customers").json["data"] == [])
        let bad = await s.page("POST", url, form: [("card", "4242424242424241")])
        #expect(bad.bodyString.contains("Your card number is incorrect."))
        let paid = await s.page("POST", url, form: [("test_card", "4242424242424242")])
        #expect(paid.status == 303)
        let done = await s.get("/v1/checkout/sessions/\(session["id"].stringValue!)", [("expand[]", "invoice")])
        #expect(done.json["payment_status"] == "paid")
        #expect(done.json["invoice"]["amount_paid"] == 2900)
    }

    @Test func threeDSecureCompleteAndFail() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession()
        let url = session["url"].stringValue!
        let challenge = await s.page("POST", url, form: [("test_card", "4000002760003184")])
        #expect(challenge.status == 200)
        #expect(challenge.bodyString.contains("3D Secure test challenge"))
        let failed = await s.page("POST", url + "/challenge", form: [("outcome", "fail")])
        #expect(failed.status == 402)
        #expect(failed.bodyString.contains("unable to authenticate"))
        #expect(await s.get("/v1/subscriptions", [("status", "all")]).json["data"] == [])
        _ = await s.page("POST", url, form: [("test_card", "4000002760003184")])
        let done = await s.page("POST", url + "/challenge", form: [("outcome", "complete")])
        #expect(done.status == 303)
        let sub = await s.get("/v1/subscriptions").json["data"][0]
        #expect(sub["status"] == "active")
    }

    @Test func cancelAndExpiry() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession()
        let url = session["url"].stringValue!
        let cancel = await s.page("GET", url + "/cancel")
        #expect(cancel.status == 303)
        #expect(cancel.header("Location") == "https://app.test/pricing")
        #expect(await s.events { await s.advance("23h59m") } == [])
        #expect(await s.events { await s.advance("1m") } == ["checkout.session.expired"])
        let expired = await s.get("/v1/checkout/sessions/\(session["id"].stringValue!)")
        #expect(expired.json["status"] == "expired")
        #expect(expired.json["url"] == .null)
        #expect(await s.page("GET", url).status == 410)
        let again = await s.post("/_emulator/checkout/\(session["id"].stringValue!)/complete", [("card", "4242424242424242")])
        #expect(again.status == 400)
    }

    @Test func expireEndpointAndValidation() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession()
        let id = session["id"].stringValue!
        let expired = await s.post("/v1/checkout/sessions/\(id)/expire")
        #expect(expired.json["status"] == "expired")
        #expect(await s.post("/v1/checkout/sessions/\(id)/expire").status == 400)
        let price = await s.monthlyPrice(100)
        let wrongMode = await s.post("/v1/checkout/sessions", [("mode", "payment"), ("line_items[0][price]", price), ("success_url", "https://x.test")])
        #expect(wrongMode.status == 400)
        let noURL = await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price)])
        #expect(noURL.error["param"] == "success_url")
        let tooSoon = await s.post("/v1/checkout/sessions", [("mode", "subscription"), ("line_items[0][price]", price), ("success_url", "https://x.test"),
                                                             ("expires_at", String(TestStripe.start + 60))])
        #expect(tooSoon.error["param"] == "expires_at")
        #expect(await s.page("GET", "/c/pay/unknownalias/cs_test_x").status == 404)
    }

    @Test func headlessCompletionForPaymentAndSetupModes() async throws {
        let s = try TestStripe()
        let pay = await s.checkoutSession(amount: 5000, mode: "payment")
        let done = await s.post("/_emulator/checkout/\(pay["id"].stringValue!)/complete", [("card", "pm_card_visa")])
        #expect(done.json["status"] == "complete")
        #expect(done.json["payment_status"] == "paid")
        let pi = await s.get("/v1/payment_intents/\(done.json["payment_intent"].stringValue!)")
        #expect(pi.json["amount_received"] == 5000)
        let setup = await s.post("/v1/checkout/sessions", [("mode", "setup"), ("currency", "usd"), ("success_url", "https://x.test/ok")])
        let saved = await s.post("/_emulator/checkout/\(setup.id)/complete", [("card", "5555555555554444"), ("exp_month", "4"), ("exp_year", "2031")])
        #expect(saved.json["setup_intent"].stringValue?.hasPrefix("seti_") == true)
        let customer = saved.json["customer"].stringValue!
        #expect(await s.get("/v1/customers/\(customer)/payment_methods").json["data"][0]["card"]["last4"] == "4444")
        let threeDS = await s.checkoutSession()
        let needs = await s.post("/_emulator/checkout/\(threeDS["id"].stringValue!)/complete", [("card", "pm_card_authenticationRequired")])
        #expect(needs.status == 402)
        #expect(needs.error["code"] == "authentication_required")
        let authed = await s.post("/_emulator/checkout/\(threeDS["id"].stringValue!)/complete", [("card", "pm_card_authenticationRequired"), ("authentication", "complete")])
        #expect(authed.json["status"] == "complete")
        let declined = await s.checkoutSession()
        let d = await s.post("/_emulator/checkout/\(declined["id"].stringValue!)/complete", [("card", "4000000000000002")])
        #expect(d.status == 402)
        #expect(d.error["decline_code"] == "generic_decline")
    }

    @Test func trialWithoutCardWhenCollectionIsIfRequired() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession([("payment_method_collection", "if_required")], trialDays: 7)
        let done = await s.post("/_emulator/checkout/\(session["id"].stringValue!)/complete")
        #expect(done.json["status"] == "complete")
        let sub = await s.get("/v1/subscriptions/\(done.json["subscription"].stringValue!)")
        #expect(sub.json["status"] == "trialing")
        #expect(sub.json["default_payment_method"] == .null)
    }

    @Test func pagesOverRealHTTP() async throws {
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        let s = TestStripe(emulator: emulator, key: "sk_test_livepages")
        let session = await s.checkoutSession()
        let path = session["url"].stringValue!.replacingOccurrences(of: emulator.settings.baseURL, with: "")
        try await Application(responder: StripeHTTPResponder(emulator: emulator)).test(.live) { client in
            let get = try await client.execute(uri: path, method: .get)
            #expect(get.status == .ok)
            #expect(String(buffer: get.body).contains("Pay with card"))
            let post = try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "test_card=4242424242424242"))
            #expect(post.status == .seeOther)
            #expect(post.headers[.location]?.hasPrefix("https://app.test/ok?session=cs_test_") == true)
        }
    }
}

@Suite struct PortalPageTests {
    func setup() async throws -> (TestStripe, sub: String, portalURL: String, portal: String, pro: String) {
        let s = try TestStripe()
        let starter = await s.monthlyPrice(1000, name: "Starter")
        let pro = await s.monthlyPrice(3000, name: "Pro")
        let customer = await s.customer(extra: [("email", "owner@x.test")])
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", starter)])
        let portal = await s.post("/v1/billing_portal/sessions", [("customer", customer), ("return_url", "https://app.test/billing")])
        #expect(portal.json["configuration"].stringValue?.hasPrefix("bpc_") == true)
        return (s, sub.id, portal.json["url"].stringValue!, portal.id, pro)
    }

    @Test func showsPlanCardAndInvoices() async throws {
        let (s, _, url, _, _) = try await setup()
        let html = await s.page("GET", url).bodyString
        #expect(html.contains("Billing for owner@x.test"))
        #expect(html.contains("Starter"))
        #expect(html.contains("Renews on 15 Feb 2027"))
        #expect(html.contains("Visa ending in <strong>4242</strong>"))
        #expect(html.contains("$10.00"))
        #expect(html.contains("https://app.test/billing"))
    }

    @Test func switchPlanCancelUndoAndUpdateCard() async throws {
        let (s, sub, url, _, pro) = try await setup()
        var r = APIResponse(status: 0, body: [])
        let switched = await s.events { r = await s.page("POST", url, form: [("action", "switch_plan"), ("subscription", sub), ("price", pro)]) }
        #expect(r.status == 303)
        #expect(r.header("Location")?.contains("flash=You%20are%20now%20on%20Pro") == true)
        #expect(switched == ["customer.subscription.updated", "invoiceitem.created", "invoiceitem.created"])
        #expect(await s.subscription(sub)["items"]["data"][0]["price"]["id"] == .string(pro))

        let canceled = await s.events { _ = await s.page("POST", url, form: [("action", "cancel"), ("subscription", sub), ("reason", "too_expensive")]) }
        #expect(canceled == ["customer.subscription.updated"])
        let pending = await s.subscription(sub)
        #expect(pending["cancel_at_period_end"] == true)
        #expect(pending["cancellation_details"]["feedback"] == "too_expensive")
        #expect(await s.page("GET", url).bodyString.contains("Cancels on 15 Feb 2027"))
        _ = await s.page("POST", url, form: [("action", "undo_cancel"), ("subscription", sub)])
        #expect(await s.subscription(sub)["cancel_at_period_end"] == false)

        let card = await s.events { r = await s.page("POST", url, form: [("action", "update_card"), ("test_card", "5555555555554444")]) }
        // Saved through a SetupIntent for off-session use, as Stripe's portal does.
        #expect(card == ["setup_intent.created", "payment_method.attached", "setup_intent.succeeded", "customer.updated"])
        #expect(await s.page("GET", url).bodyString.contains("Mastercard ending in <strong>4444</strong>"))
        let declined = await s.page("POST", url, form: [("action", "update_card"), ("test_card", "4000000000000002")])
        #expect(declined.header("Location")?.contains("error=Your%20card%20was%20declined.") == true)

        // A card that needs authentication unless set up is challenged once, then saved as set up.
        var challenge = APIResponse(status: 0, body: [])
        let asked = await s.events { challenge = await s.page("POST", url, form: [("action", "update_card"), ("test_card", "4000002500003155")]) }
        #expect(challenge.status == 200)
        #expect(challenge.bodyString.contains("3D Secure test challenge"))
        #expect(asked == ["setup_intent.created", "setup_intent.requires_action"])
        let answered = await s.events { r = await s.page("POST", url + "/challenge", form: [("outcome", "complete")]) }
        #expect(r.status == 303)
        #expect(answered == ["payment_method.attached", "setup_intent.succeeded", "customer.updated"])
        #expect(await s.page("GET", url).bodyString.contains("ending in <strong>3155</strong>"))
    }

    @Test func immediateCancelConfigurationAndControlRoute() async throws {
        let (s, sub, _, portal, pro) = try await setup()
        let config = await s.post("/v1/billing_portal/configurations", [("features[subscription_cancel][enabled]", "true"),
                                                                         ("features[subscription_cancel][mode]", "immediately"),
                                                                         ("features[subscription_update][enabled]", "false")])
        #expect(config.json["is_default"] == false)
        let customer = await s.subscription(sub)["customer"].stringValue!
        let session = await s.post("/v1/billing_portal/sessions", [("customer", customer), ("configuration", config.id)])
        let refused = await s.post("/_emulator/portal/\(session.id)/actions", [("action", "switch_plan"), ("price", pro)])
        #expect(refused.status == 400)
        let done = await s.post("/_emulator/portal/\(session.id)/actions", [("action", "cancel")])
        #expect(done.json["message"] == "Your subscription has been canceled.")
        #expect(await s.subscription(sub)["status"] == "canceled")
        _ = portal
    }

    @Test func sessionsValidateFlowData() async throws {
        let (s, sub, _, _, _) = try await setup()
        let customer = await s.subscription(sub)["customer"].stringValue!
        let flow = await s.post("/v1/billing_portal/sessions", [("customer", customer), ("flow_data[type]", "subscription_cancel"),
                                                                ("flow_data[subscription_cancel][subscription]", sub)])
        #expect(flow.json["flow"]["type"] == "subscription_cancel")
        let missing = await s.post("/v1/billing_portal/sessions", [("customer", customer), ("flow_data[type]", "subscription_cancel")])
        #expect(missing.error["param"] == "flow_data[subscription_cancel][subscription]")
        let events = await s.get("/v1/events", [("type", "billing_portal.session.created")])
        #expect(events.json["data"].arrayValue?.count == 2)
    }
}
