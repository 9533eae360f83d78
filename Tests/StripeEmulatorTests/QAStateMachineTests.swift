import Testing
import StripeWire
@testable import StripeEmulator

/// The state-machine cases QA found differing from Stripe (issues #17 and #26), each as it
/// behaves on Stripe. The clock starts at 2027-01-15 08:00 UTC; the first monthly period is
/// 31 days (to 2027-02-15), the second 28 (to 2027-03-15).
@Suite struct QAStateMachineTests {
    static let day = 86400

    func subscribed(_ s: TestStripe, amount: Int = 1000, card: String = "pm_card_visa") async -> (sub: JSONValue, customer: String) {
        let price = await s.monthlyPrice(amount, name: "Starter")
        let customer = await s.customer(card: card)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        precondition(sub.status == 200, sub.response.bodyString)
        return (sub.json, customer)
    }

    func invoices(_ s: TestStripe, _ sub: JSONValue) async -> [JSONValue] {
        await s.get("/v1/invoices", [("subscription", sub["id"].stringValue!)]).json["data"].arrayValue ?? []
    }

    // MARK: #17.1 pending prorations of a subscription canceled at period end

    @Test func cancelAtPeriodEndCollectsPendingProrations() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s)
        let big = await s.monthlyPrice(2000, name: "Pro")
        let id = sub["id"].stringValue!
        // Half-way through the 31-day period: -$5.00 unused Starter, +$10.00 remaining Pro.
        let half = TestStripe.start + 31 * Self.day / 2
        let up = await s.post("/v1/subscriptions/\(id)", [("items[0][id]", sub["items"]["data"][0]["id"].stringValue!),
                                                         ("items[0][price]", big), ("proration_date", String(half))])
        #expect(up.status == 200)
        _ = await s.post("/v1/subscriptions/\(id)", [("cancel_at_period_end", "true")])
        await s.advance("32d")
        #expect(await s.subscription(id)["status"] == "canceled")
        let final = await invoices(s, sub)[0]
        #expect(final["amount_paid"] == 500)
        #expect(final["status"] == "paid")
        #expect(final["lines"]["data"].arrayValue?.map { $0["amount"] } == [-500, 1000])
        #expect(await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue?.isEmpty == true)
    }

    // MARK: #17.2 payment_behavior on update

    func failNextCharges(_ s: TestStripe, _ customer: String) async {
        let r = await s.post("/_emulator/faults/charges", [("customer", customer), ("decline_code", "insufficient_funds")])
        precondition(r.status == 200, r.response.bodyString)
    }

    func upgrade(_ s: TestStripe, _ sub: JSONValue, to price: String, behavior: String, extra: [(String, String)] = []) async -> TestStripe.Reply {
        await s.post("/v1/subscriptions/\(sub["id"].stringValue!)", [
            ("items[0][id]", sub["items"]["data"][0]["id"].stringValue!), ("items[0][price]", price),
            ("proration_behavior", "always_invoice"), ("payment_behavior", behavior),
            ("proration_date", String(TestStripe.start + 31 * Self.day / 2)),
        ] + extra)
    }

    @Test func errorIfIncompleteAnswers402AndChangesNothing() async throws {
        let s = try TestStripe()
        let (sub, customer) = await subscribed(s)
        let big = await s.monthlyPrice(2000, name: "Pro")
        await failNextCharges(s, customer)
        var r: TestStripe.Reply?
        let events = await s.events { r = await upgrade(s, sub, to: big, behavior: "error_if_incomplete") }
        #expect(r?.status == 402)
        #expect(r?.error["type"] == "card_error")
        #expect(r?.error["decline_code"] == "insufficient_funds")
        #expect(events.isEmpty)
        let after = await s.subscription(sub["id"].stringValue!)
        #expect(after["items"]["data"][0]["price"]["id"] == sub["items"]["data"][0]["price"]["id"])
        #expect(after["status"] == "active")
        #expect(await invoices(s, sub).count == 1)
    }

    @Test func pendingIfIncompleteWaitsForPaymentThenApplies() async throws {
        let s = try TestStripe()
        let (sub, customer) = await subscribed(s)
        let id = sub["id"].stringValue!
        let big = await s.monthlyPrice(2000, name: "Pro")
        await failNextCharges(s, customer)
        var r: TestStripe.Reply?
        let events = await s.events { r = await upgrade(s, sub, to: big, behavior: "pending_if_incomplete") }
        #expect(r?.status == 200)
        let waiting = r!.json
        #expect(waiting["status"] == "active")
        #expect(waiting["items"]["data"][0]["price"]["id"] == sub["items"]["data"][0]["price"]["id"])
        #expect(waiting["pending_update"]["subscription_items"][0]["price"]["id"] == .string(big))
        #expect(waiting["pending_update"]["expires_at"] == .int(TestStripe.start + 23 * 3600))
        #expect(events == ["invoiceitem.created", "invoiceitem.created", "invoice.created", "customer.subscription.updated",
                           "invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
                           "invoice.payment_failed", "invoice.updated"])
        let invoice = await s.invoice(waiting["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        #expect(invoice["amount_due"] == 500)  // -$5.00 unused Starter + $10.00 remaining Pro
        #expect(invoice["next_payment_attempt"] == nil)

        _ = await s.delete("/_emulator/faults/charges/\(customer)")
        let paid = await s.events { r = await s.post("/v1/invoices/\(invoice["id"].stringValue!)/pay") }
        #expect(r?.status == 200)
        #expect(paid.suffix(2) == ["customer.subscription.updated", "customer.subscription.pending_update_applied"])
        let applied = await s.subscription(id)
        #expect(applied["items"]["data"][0]["price"]["id"] == .string(big))
        #expect(applied["pending_update"] == nil)
        #expect(applied["status"] == "active")
    }

    @Test func pendingUpdateExpiresAndItsInvoiceIsVoided() async throws {
        let s = try TestStripe()
        let (sub, customer) = await subscribed(s)
        let big = await s.monthlyPrice(2000, name: "Pro")
        await failNextCharges(s, customer)
        let waiting = await upgrade(s, sub, to: big, behavior: "pending_if_incomplete").json
        let expired = await s.events { await s.advance("1d") }
        #expect(expired.contains("customer.subscription.pending_update_expired"))
        let after = await s.subscription(sub["id"].stringValue!)
        #expect(after["pending_update"] == nil)
        #expect(after["items"]["data"][0]["price"]["id"] == sub["items"]["data"][0]["price"]["id"])
        #expect(await s.invoice(waiting["latest_invoice"].stringValue!)["status"] == "void")
    }

    @Test func pendingIfIncompleteRefusesOtherParameters() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s)
        let big = await s.monthlyPrice(2000, name: "Pro")
        let r = await upgrade(s, sub, to: big, behavior: "pending_if_incomplete", extra: [("metadata[x]", "1")])
        #expect(r.status == 400)
        #expect(r.error["param"] == "metadata")
    }

    @Test func defaultIncompleteAppliesAndWaitsForConfirmation() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s)
        let big = await s.monthlyPrice(2000, name: "Pro")
        let r = await upgrade(s, sub, to: big, behavior: "default_incomplete")
        #expect(r.status == 200)
        #expect(r.json["status"] == "past_due")
        #expect(r.json["items"]["data"][0]["price"]["id"] == .string(big))
        let invoice = await s.invoice(r.json["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        #expect(invoice["attempt_count"] == 0)
        let pi = invoice["payments"]["data"][0]["payment"]["payment_intent"].stringValue!
        #expect(await s.get("/v1/payment_intents/\(pi)").json["amount"] == 500)
    }

    // MARK: #17.3 failed 3-D Secure challenge

    @Test func failedChallengeMakesNoCharge() async throws {
        let s = try TestStripe()
        let customer = await s.customer(card: nil)
        let pi = await s.post("/v1/payment_intents", [("amount", "1500"), ("currency", "usd"), ("customer", customer),
                                                      ("payment_method", "pm_card_threeDSecure2Required"), ("confirm", "true")])
        #expect(pi.json["status"] == "requires_action")
        var r: TestStripe.Reply?
        let events = await s.events { r = await s.post("/_emulator/payment_intents/\(pi.id)/authenticate", [("outcome", "fail")]) }
        #expect(events == ["payment_intent.payment_failed"])
        #expect(r?.json["status"] == "requires_payment_method")
        #expect(r!.json["latest_charge"] == nil)
        #expect(r?.json["last_payment_error"]["code"] == "payment_intent_authentication_failure")
        #expect(r?.json["last_payment_error"]["type"] == "invalid_request_error")
    }

    // MARK: #17.6 paying an invoice with a card that needs authentication

    @Test func payingWithAnAuthenticationCardLeavesTheIntentRequiringAction() async throws {
        let s = try TestStripe()
        let customer = await s.customer(card: "pm_card_authenticationRequiredOnSetup")
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("amount", "2500"), ("currency", "usd")])
        let invoice = await s.post("/v1/invoices", [("customer", customer), ("pending_invoice_items_behavior", "include")])
        _ = await s.post("/v1/invoices/\(invoice.id)/finalize")
        var r: TestStripe.Reply?
        let events = await s.events { r = await s.post("/v1/invoices/\(invoice.id)/pay") }
        #expect(r?.status == 402)
        #expect(r?.error["code"] == "invoice_payment_intent_requires_action")
        #expect(!events.contains("charge.failed"))
        #expect(events.contains("invoice.payment_action_required"))
        let paid = await s.invoice(invoice.id)
        let pi = await s.get("/v1/payment_intents/\(paid["payments"]["data"][0]["payment"]["payment_intent"].stringValue!)")
        #expect(pi.json["status"] == "requires_action")
        #expect(paid["status"] == "open")
    }

    // MARK: #17.7 trial_end=now without a payment method

    @Test(arguments: [("pause", "paused", "customer.subscription.paused"), ("cancel", "canceled", "customer.subscription.deleted")])
    func trialEndNowAppliesTheMissingPaymentMethodBehaviour(behavior: String, status: String, event: String) async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer(card: nil)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "14"),
                                                     ("trial_settings[end_behavior][missing_payment_method]", behavior)])
        #expect(sub.json["status"] == "trialing")
        var r: TestStripe.Reply?
        let events = await s.events { r = await s.post("/v1/subscriptions/\(sub.id)", [("trial_end", "now")]) }
        #expect(r?.status == 200)
        #expect(r?.json["status"] == .string(status))
        #expect(events.contains(event))
        #expect(!events.contains("invoice.created"))
        #expect(await s.subscription(sub.id)["status"] == .string(status))
    }

    // MARK: #17.8 a parameter naming a missing object is a 400

    @Test func missingObjectInAParameterIs400AndInThePath404() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let r = await s.post("/v1/subscriptions", [("customer", "cus_missing"), ("items[0][price]", price)])
        #expect(r.status == 400)
        #expect(r.error["code"] == "resource_missing")
        #expect(r.error["param"] == "customer")
        #expect(r.error["message"] == "No such customer: 'cus_missing'")
        let path = await s.get("/v1/customers/cus_missing")
        #expect(path.status == 404)
        #expect(path.error["code"] == "resource_missing")
    }

    // MARK: #17.9 email validation

    @Test func customerEmailIsValidated() async throws {
        let s = try TestStripe()
        for bad in ["not-an-email", "a@b", "@example.com", "a b@example.com", "a@@example.com"] {
            let r = await s.post("/v1/customers", [("email", bad)])
            #expect(r.status == 400, "\(bad)")
            #expect(r.error["param"] == "email")
            #expect(r.error["code"] == "email_invalid")
        }
        #expect(await s.post("/v1/customers", [("email", "jenny.rosen+test@example.co.uk")]).status == 200)
        let c = await s.post("/v1/customers")
        #expect(await s.post("/v1/customers/\(c.id)", [("email", "nope")]).error["param"] == "email")
        #expect(await s.post("/v1/customers/\(c.id)", [("email", "")]).status == 200)  // unsets it
    }

    // MARK: #26.1 booleans as stripe-python before 12 sends them

    @Test func pythonBooleansAreAccepted() async throws {
        let s = try TestStripe()
        _ = await s.monthlyPrice(1000)
        let listed = await s.get("/v1/prices", [("active", "True")])
        #expect(listed.status == 200)
        #expect(listed.json["data"].arrayValue?.count == 1)
        #expect(await s.get("/v1/prices", [("active", "False")]).json["data"].arrayValue?.isEmpty == true)
        #expect(await s.get("/v1/prices", [("active", "yes")]).status == 400)
    }

    // MARK: #26.2 payment-mode Checkout keeps a failed attempt

    @Test func paymentModeCheckoutKeepsTheFailedAttempt() async throws {
        let s = try TestStripe()
        let session = await s.checkoutSession(amount: 5000, mode: "payment")
        let id = session["id"].stringValue!
        var r: TestStripe.Reply?
        let failed = await s.events { r = await s.post("/_emulator/checkout/\(id)/complete", [("card", "4000000000000002")]) }
        #expect(r?.status == 402)
        #expect(failed == ["payment_intent.created", "charge.failed", "payment_intent.payment_failed"])
        let open = await s.get("/v1/checkout/sessions/\(id)").json
        #expect(open["status"] == "open")
        let piID = open["payment_intent"].stringValue!
        let pi = await s.get("/v1/payment_intents/\(piID)").json
        #expect(pi["status"] == "requires_payment_method")
        #expect(pi["last_payment_error"]["decline_code"] == "generic_decline")
        let done = await s.post("/_emulator/checkout/\(id)/complete", [("card", "pm_card_visa")])
        #expect(done.json["status"] == "complete")
        #expect(done.json["payment_intent"] == .string(piID))
        #expect(await s.get("/v1/payment_intents/\(piID)").json["status"] == "succeeded")
    }

    // MARK: #26.3 setup-mode Checkout does not change the default payment method

    @Test func setupModeCheckoutLeavesTheDefaultPaymentMethod() async throws {
        let s = try TestStripe()
        let customer = await s.customer(card: "pm_card_visa")
        let defaultPM = await s.get("/v1/customers/\(customer)").json["invoice_settings"]["default_payment_method"]
        let setup = await s.post("/v1/checkout/sessions", [("mode", "setup"), ("currency", "usd"), ("customer", customer),
                                                           ("success_url", "https://x.test/ok")])
        let saved = await s.post("/_emulator/checkout/\(setup.id)/complete", [("card", "5555555555554444")])
        #expect(saved.json["status"] == "complete")
        #expect(await s.get("/v1/customers/\(customer)").json["invoice_settings"]["default_payment_method"] == defaultPM)
        #expect(await s.get("/v1/customers/\(customer)/payment_methods").json["data"].arrayValue?.count == 2)
    }

    // MARK: #26.4 portal configuration validation

    @Test func portalCancelProrationBehaviourIsValidated() async throws {
        let s = try TestStripe()
        let base: [(String, String)] = [("features[subscription_cancel][enabled]", "true")]
        let invoiced = await s.post("/v1/billing_portal/configurations",
                                    base + [("features[subscription_cancel][proration_behavior]", "always_invoice")])
        #expect(invoiced.status == 400)
        #expect(invoiced.error["param"] == "features[subscription_cancel][proration_behavior]")
        let atEnd = await s.post("/v1/billing_portal/configurations",
                                 base + [("features[subscription_cancel][mode]", "at_period_end"),
                                         ("features[subscription_cancel][proration_behavior]", "create_prorations")])
        #expect(atEnd.status == 400)
        let immediately = await s.post("/v1/billing_portal/configurations",
                                       base + [("features[subscription_cancel][mode]", "immediately"),
                                               ("features[subscription_cancel][proration_behavior]", "create_prorations")])
        #expect(immediately.status == 200)
    }

    // MARK: #26.5 cancel_at prorates

    @Test func cancelAtInsideThePeriodCreditsTheUnusedTime() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s, amount: 3100)  // $1.00 a day over the 31-day period
        let id = sub["id"].stringValue!
        let at = TestStripe.start + 10 * Self.day
        let r = await s.post("/v1/subscriptions/\(id)", [("cancel_at", String(at))])
        #expect(r.status == 200)
        let pending = await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue ?? []
        #expect(pending.map { $0["amount"] } == [-2100])  // 21 unused days
        await s.advance("11d")
        #expect(await s.subscription(id)["status"] == "canceled")
        let final = await invoices(s, sub)[0]
        #expect(final["total"] == -2100)
        #expect(await s.get("/v1/customers/\(sub["customer"].stringValue!)").json["balance"] == -2100)
    }

    @Test func cancelAtInALaterPeriodBillsThatPeriodUpToIt() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s, amount: 2800)
        let id = sub["id"].stringValue!
        let secondStart = TestStripe.start + 31 * Self.day  // 2027-02-15, a 28-day period
        let at = secondStart + 14 * Self.day
        _ = await s.post("/v1/subscriptions/\(id)", [("cancel_at", String(at))])
        #expect(await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue?.isEmpty == true)
        await s.advance("32d")
        let renewed = await s.subscription(id)
        #expect(renewed["items"]["data"][0]["current_period_end"] == .int(at))
        let bill = await invoices(s, sub)[0]
        #expect(bill["amount_paid"] == 1400)  // 14 of 28 days at $28.00
        await s.advance("14d")
        #expect(await s.subscription(id)["status"] == "canceled")
    }

    // MARK: #26.6 writing off or voiding re-evaluates the subscription

    func pastDue(_ s: TestStripe) async -> (sub: String, invoice: String) {
        let (sub, customer) = await subscribed(s)
        await failNextCharges(s, customer)
        await s.advance("31d2h")
        let after = await s.subscription(sub["id"].stringValue!)
        precondition(after["status"] == "past_due", "\(after["status"])")
        return (sub["id"].stringValue!, after["latest_invoice"].stringValue!)
    }

    @Test(arguments: ["mark_uncollectible", "void"])
    func writingOffTheFailedInvoiceMakesTheSubscriptionActive(action: String) async throws {
        let s = try TestStripe()
        let (sub, invoice) = await pastDue(s)
        var r: TestStripe.Reply?
        let events = await s.events { r = await s.post("/v1/invoices/\(invoice)/\(action)") }
        #expect(r?.status == 200)
        #expect(events.last == "customer.subscription.updated")
        #expect(await s.subscription(sub)["status"] == "active")
    }

    // MARK: found in review

    /// Items already pending go on the pending update's invoice once, not copied.
    @Test func pendingUpdateBillsEarlierPendingItemsOnce() async throws {
        let s = try TestStripe()
        let (sub, customer) = await subscribed(s)
        let item = sub["items"]["data"][0]["id"].stringValue!
        let half = String(TestStripe.start + 31 * Self.day / 2)
        // Quantity 1 -> 2 half-way: +$5.00 remaining, left pending.
        _ = await s.post("/v1/subscriptions/\(sub["id"].stringValue!)", [("items[0][id]", item), ("items[0][quantity]", "2"), ("proration_date", half)])
        #expect(await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue?.count == 2)
        await failNextCharges(s, customer)
        let r = await s.post("/v1/subscriptions/\(sub["id"].stringValue!)", [
            ("items[0][id]", item), ("items[0][quantity]", "3"), ("proration_behavior", "always_invoice"),
            ("payment_behavior", "pending_if_incomplete"), ("proration_date", half)])
        let invoice = await s.invoice(r.json["latest_invoice"].stringValue!)
        // -$10.00 + $15.00 for 2 -> 3 plus the earlier -$5.00 + $10.00: $10.00, each item once.
        #expect(invoice["amount_due"] == 1000)
        #expect(invoice["lines"]["data"].arrayValue?.count == 4)
        #expect(await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"] == [])
        _ = await s.delete("/_emulator/faults/charges/\(customer)")
        _ = await s.post("/v1/invoices/\(invoice["id"].stringValue!)/pay")
        #expect(await s.subscription(sub["id"].stringValue!)["items"]["data"][0]["quantity"] == 3)
        #expect(await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"] == [])
    }

    @Test func movingOrClearingCancelAtWithdrawsItsCredit() async throws {
        let s = try TestStripe()
        let (sub, _) = await subscribed(s, amount: 3100)
        let id = sub["id"].stringValue!
        _ = await s.post("/v1/subscriptions/\(id)", [("cancel_at", String(TestStripe.start + 10 * Self.day))])
        _ = await s.post("/v1/subscriptions/\(id)", [("cancel_at", String(TestStripe.start + 20 * Self.day))])
        var pending = await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue ?? []
        #expect(pending.map { $0["amount"] } == [-1100])  // 11 unused days, once
        _ = await s.post("/v1/subscriptions/\(id)", [("cancel_at", "")])
        pending = await s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue ?? []
        #expect(pending.isEmpty)
        #expect(await s.subscription(id)["cancel_at"] == .null)
    }

    @Test func chargeRefundsCanBeNamedInExpand() async throws {
        let s = try TestStripe()
        let pi = await s.post("/v1/payment_intents", [("amount", "500"), ("currency", "usd"), ("payment_method", "pm_card_visa"), ("confirm", "true")])
        let r = await s.get("/v1/payment_intents/\(pi.id)", [("expand[]", "latest_charge.refunds")])
        #expect(r.status == 200, "\(r.response.bodyString)")
        #expect(r.json["latest_charge"]["refunds"]["object"] == "list")
    }

    /// A customer's failed try on the hosted invoice page does not drive dunning.
    @Test func aFailedTryOnTheInvoicePageLeavesTheSubscription() async throws {
        let s = try TestStripe()
        let (sub, latest) = await pastDue(s)
        _ = await s.post("/v1/invoices/\(latest)/mark_uncollectible")
        #expect(await s.subscription(sub)["status"] == "active")
        let r = await s.post("/_emulator/invoices/\(latest)/pay", [("card", "4000000000000002")])
        #expect(r.status == 402)
        #expect(await s.subscription(sub)["status"] == "active")
    }
}
