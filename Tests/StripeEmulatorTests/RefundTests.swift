import Testing
import StripeWire
@testable import StripeEmulator

/// `/v1/refunds`: full and partial refunds, Stripe's errors, the charge's refund fields, the
/// events in order, and the test cards whose refunds fail or settle later.
@Suite struct RefundTests {
    @Test func fullRefundByPaymentIntent() async throws {
        let s = try TestStripe()
        let pi = await s.pay(2000)
        let chargeID = pi.json["latest_charge"].stringValue!
        var reply: TestStripe.Reply?
        let events = await s.events { reply = await s.post("/v1/refunds", [("payment_intent", pi.id)]) }
        let refund = try #require(reply)
        #expect(refund.status == 200, "\(refund.response.bodyString)")
        #expect(events == ["charge.refunded", "refund.created"])
        #expect(refund.id.hasPrefix("re_"))
        #expect(refund.json["object"] == "refund")
        #expect(refund.json["amount"] == 2000)
        #expect(refund.json["status"] == "succeeded")
        #expect(refund.json["charge"] == .string(chargeID))
        #expect(refund.json["payment_intent"] == .string(pi.id))
        #expect(refund.json["currency"] == "usd")
        #expect(refund.json["reason"] == .null)
        #expect(refund.json["destination_details"]["type"] == "card")
        #expect(refund.json["destination_details"]["card"]["type"] == "refund")
        let charge = await s.charge(chargeID)
        #expect(charge["amount_refunded"] == 2000)
        #expect(charge["refunded"] == true)
        #expect(charge["refunds"]["total_count"] == 1)
        #expect(charge["refunds"]["data"][0]["id"] == .string(refund.id))
        let objects = await s.allEvents().suffix(2).map { $0["data"]["object"]["object"] }
        #expect(objects == ["charge", "refund"])
    }

    @Test func partialRefundsUpToTheChargeAndNoFurther() async throws {
        let s = try TestStripe()
        let pi = await s.pay(5000)
        let ch = pi.json["latest_charge"].stringValue!
        let first = await s.post("/v1/refunds", [("charge", ch), ("amount", "1500"), ("reason", "requested_by_customer"),
                                                 ("metadata[order]", "42")])
        #expect(first.status == 200)
        #expect(first.json["reason"] == "requested_by_customer")
        #expect(first.json["metadata"] == ["order": "42"])
        _ = await s.post("/v1/refunds", [("charge", ch), ("amount", "2000"), ("reason", "fraudulent")])
        var charge = await s.charge(ch)
        #expect(charge["fraud_details"] == ["user_report": "fraudulent"])
        #expect(charge["amount_refunded"] == 3500)
        #expect(charge["refunded"] == false)
        let tooMuch = await s.post("/v1/refunds", [("charge", ch), ("amount", "1600")])
        #expect(tooMuch.status == 400)
        #expect(tooMuch.error["type"] == "invalid_request_error")
        #expect(tooMuch.error["param"] == "amount")
        #expect(tooMuch.error["message"] == "Refund amount ($16.00) is greater than unrefunded amount on charge ($15.00)")
        let overCharge = await s.post("/v1/refunds", [("payment_intent", pi.id), ("amount", "6000")])
        #expect(overCharge.error["message"] == "Refund amount ($60.00) is greater than charge amount ($50.00)")
        let rest = await s.post("/v1/refunds", [("payment_intent", pi.id)])
        #expect(rest.json["amount"] == 1500)
        charge = await s.charge(ch)
        #expect(charge["amount_refunded"] == 5000)
        #expect(charge["refunded"] == true)
        #expect(charge["refunds"]["total_count"] == 3)
        let again = await s.post("/v1/refunds", [("charge", ch)])
        #expect(again.status == 400)
        #expect(again.error["code"] == "charge_already_refunded")
        #expect(again.error["message"] == .string("Charge \(ch) has already been refunded."))
    }

    @Test func stripesErrors() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000)
        let none = await s.post("/v1/refunds")
        #expect(none.status == 400)
        let missing = await s.post("/v1/refunds", [("charge", "ch_nope")])
        #expect(missing.status == 400)
        #expect(missing.error["code"] == "resource_missing")
        #expect(missing.error["message"] == "No such charge: 'ch_nope'")
        #expect(missing.error["param"] == "charge")
        let reason = await s.post("/v1/refunds", [("payment_intent", pi.id), ("reason", "because")])
        #expect(reason.status == 400)
        #expect(reason.error["param"] == "reason")
        let currency = await s.post("/v1/refunds", [("payment_intent", pi.id), ("currency", "usd")])
        #expect(currency.status == 400)
        #expect(currency.error["param"] == "currency")
        let unknown = await s.post("/v1/refunds", [("payment_intent", pi.id), ("speed", "instant")])
        #expect(unknown.error["message"] == "Received unknown parameter: speed")
        let zero = await s.post("/v1/refunds", [("payment_intent", pi.id), ("amount", "0")])
        #expect(zero.status == 400)
        #expect(zero.error["param"] == "amount")
        let declined = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"),
                                                            ("payment_method", "pm_card_chargeCustomerFail"), ("confirm", "true")])
        let failedCharge = declined.error["charge"].stringValue!
        let refundFailed = await s.post("/v1/refunds", [("charge", failedCharge)])
        #expect(refundFailed.status == 400)
        #expect(refundFailed.error["code"] == "charge_not_refundable")
        let unpaid = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd")])
        let noCharge = await s.post("/v1/refunds", [("payment_intent", unpaid.id)])
        #expect(noCharge.status == 400)
        #expect(noCharge.error["param"] == "payment_intent")
        // Nothing was refunded by the refused requests.
        #expect(await s.charge(pi.json["latest_charge"].stringValue!)["amount_refunded"] == 0)
    }

    @Test func listRetrieveUpdateAndCancel() async throws {
        let s = try TestStripe()
        let a = await s.pay(1000)
        let b = await s.pay(3000)
        let ra = await s.post("/v1/refunds", [("payment_intent", a.id), ("amount", "400")])
        let rb = await s.post("/v1/refunds", [("payment_intent", b.id)])
        let all = await s.get("/v1/refunds")
        #expect(all.json["data"].arrayValue?.map { $0["id"] } == [.string(rb.id), .string(ra.id)])
        let byCharge = await s.get("/v1/refunds", [("charge", a.json["latest_charge"].stringValue!)])
        #expect(byCharge.json["data"].arrayValue?.map { $0["id"] } == [.string(ra.id)])
        let byIntent = await s.get("/v1/refunds", [("payment_intent", b.id)])
        #expect(byIntent.json["data"].arrayValue?.map { $0["id"] } == [.string(rb.id)])
        let page = await s.get("/v1/refunds", [("limit", "1")])
        #expect(page.json["has_more"] == true)
        #expect(await s.get("/v1/refunds/\(ra.id)").json["amount"] == 400)
        #expect(await s.get("/v1/refunds/re_nope").status == 404)
        let expanded = await s.get("/v1/refunds", [("expand[]", "data.charge"), ("expand[]", "data.payment_intent"), ("limit", "1")])
        #expect(expanded.json["data"][0]["charge"]["object"] == "charge")
        #expect(expanded.json["data"][0]["payment_intent"]["id"] == .string(b.id))
        let events = await s.events {
            let updated = await s.post("/v1/refunds/\(ra.id)", [("metadata[order_id]", "6735")])
            #expect(updated.json["metadata"] == ["order_id": "6735"])
        }
        #expect(events == ["charge.refund.updated", "refund.updated"])
        let last = await s.allEvents().last!
        #expect(last["data"]["previous_attributes"] == ["metadata": ["order_id": nil]])
        let amountChange = await s.post("/v1/refunds/\(ra.id)", [("amount", "1")])
        #expect(amountChange.error["message"] == "Received unknown parameter: amount")
        let cancel = await s.post("/v1/refunds/\(ra.id)/cancel")
        #expect(cancel.status == 400)
        #expect(cancel.error["type"] == "invalid_request_error")
        let chargeA = a.json["latest_charge"].stringValue!
        let nested = await s.get("/v1/charges/\(chargeA)/refunds")
        #expect(nested.json["data"].arrayValue?.map { $0["id"] } == [.string(ra.id)])
        #expect(nested.json["url"] == .string("/v1/charges/\(chargeA)/refunds"))
        let viaCharge = await s.post("/v1/charges/\(chargeA)/refunds", [("amount", "100")])
        #expect(viaCharge.json["amount"] == 100)
        #expect(await s.charge(chargeA)["amount_refunded"] == 500)
        #expect(await s.get("/v1/charges/\(chargeA)/refunds/\(rb.id)").status == 404)
        let legacy = await s.post("/v1/charges/\(chargeA)/refund")
        #expect(legacy.json["object"] == "charge")
        #expect(legacy.json["amount_refunded"] == 1000)
        #expect(legacy.json["refunded"] == true)
    }

    /// 4000000000005126: the refund looks successful, then fails with `expired_or_canceled_card`
    /// the next time due work runs; the charge gets its amount back.
    @Test func refundFailCardFailsAfterTheRequest() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_refundFail")
        let ch = pi.json["latest_charge"].stringValue!
        let refund = await s.post("/v1/refunds", [("payment_intent", pi.id)])
        #expect(refund.json["status"] == "succeeded")
        #expect(await s.charge(ch)["amount_refunded"] == 1000)
        let events = try await s.events { try await s.runDue() }
        #expect(events == ["charge.refund.updated", "refund.updated", "refund.failed"])
        let failed = await s.get("/v1/refunds/\(refund.id)").json
        #expect(failed["status"] == "failed")
        #expect(failed["failure_reason"] == "expired_or_canceled_card")
        let charge = await s.charge(ch)
        #expect(charge["amount_refunded"] == 0)
        #expect(charge["refunded"] == false)
        #expect(charge["refunds"]["data"][0]["status"] == "failed")
        let updated = await s.allEvents().first { $0["type"] == "refund.updated" }!
        #expect(updated["data"]["previous_attributes"] == ["failure_reason": nil, "status": "succeeded"])
        // The amount can be refunded again (and fails again).
        #expect(await s.post("/v1/refunds", [("payment_intent", pi.id)]).status == 200)
    }

    /// 4000000000007726: the refund is `pending`, then succeeds.
    @Test func pendingRefundCardSettlesLater() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_pendingRefund")
        let refund = await s.post("/v1/refunds", [("payment_intent", pi.id), ("amount", "250")])
        #expect(refund.json["status"] == "pending")
        #expect(refund.json["pending_reason"] == "processing")
        #expect(await s.charge(pi.json["latest_charge"].stringValue!)["amount_refunded"] == 250)
        let events = try await s.events { try await s.runDue() }
        #expect(events == ["charge.refund.updated", "refund.updated"])
        let settled = await s.get("/v1/refunds/\(refund.id)").json
        #expect(settled["status"] == "succeeded")
        #expect(settled["pending_reason"] == .null)
    }

    /// A subscription invoice's payment can be refunded; the invoice stays paid.
    @Test func refundOfAnInvoicePayment() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2900)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let invoiceID = sub.json["latest_invoice"].stringValue!
        let charges = await s.get("/v1/charges", [("customer", customer)]).json["data"].arrayValue ?? []
        #expect(charges.count == 1)
        let ch = charges[0]["id"].stringValue!
        let refund = await s.post("/v1/refunds", [("charge", ch), ("amount", "900")])
        #expect(refund.status == 200)
        #expect(refund.json["payment_intent"] == charges[0]["payment_intent"])
        let charge = await s.charge(ch)
        #expect(charge["amount_refunded"] == 900)
        #expect(charge["refunded"] == false)
        let invoice = await s.invoice(invoiceID)
        #expect(invoice["status"] == "paid")
        #expect(invoice["amount_paid"] == 2900)
    }
}
