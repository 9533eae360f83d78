import Testing
import StripeWire
@testable import StripeEmulator

/// Separate authorization and capture: `capture_method=manual`, full and partial capture,
/// cancel of an authorization, and its expiry after 7 days on the clock.
@Suite struct CaptureTests {
    func authorize(_ s: TestStripe, _ amount: Int = 2000, card: String = "pm_card_visa") async -> TestStripe.Reply {
        await s.pay(amount, card: card, extra: [("capture_method", "manual")])
    }

    @Test func confirmAuthorizesOnly() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        #expect(await s.eventTypes() == ["payment_intent.created", "charge.succeeded", "payment_intent.amount_capturable_updated"])
        #expect(pi.json["status"] == "requires_capture")
        #expect(pi.json["capture_method"] == "manual")
        #expect(pi.json["amount_capturable"] == 2000)
        #expect(pi.json["amount_received"] == 0)
        let charge = await s.charge(pi.json["latest_charge"].stringValue!)
        #expect(charge["captured"] == false)
        #expect(charge["amount_captured"] == 0)
        #expect(charge["paid"] == true)
        #expect(charge["status"] == "succeeded")
        #expect(charge["payment_method_details"]["card"]["capture_before"] == .int(TestStripe.start + 7 * 86400))
    }

    @Test func fullCapture() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        var reply: TestStripe.Reply?
        let events = await s.events { reply = await s.post("/v1/payment_intents/\(pi.id)/capture") }
        let captured = try #require(reply)
        #expect(captured.status == 200, "\(captured.response.bodyString)")
        #expect(events == ["charge.captured", "payment_intent.succeeded"])
        #expect(captured.json["status"] == "succeeded")
        #expect(captured.json["amount_received"] == 2000)
        #expect(captured.json["amount_capturable"] == 0)
        let charge = await s.charge(pi.json["latest_charge"].stringValue!)
        #expect(charge["captured"] == true)
        #expect(charge["amount_captured"] == 2000)
        #expect(charge["amount_refunded"] == 0)
        let again = await s.post("/v1/payment_intents/\(pi.id)/capture")
        #expect(again.status == 400)
        #expect(again.error["code"] == "payment_intent_unexpected_state")
    }

    /// Capturing $15.00 of a $20.00 hold releases $5.00: the charge shows it as refunded, and
    /// only the $15.00 captured can be refunded.
    @Test func partialCaptureReleasesTheRest() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        var reply: TestStripe.Reply?
        let events = await s.events {
            reply = await s.post("/v1/payment_intents/\(pi.id)/capture", [("amount_to_capture", "1500"),
                                                                         ("metadata[order]", "7"), ("statement_descriptor_suffix", "ORDER 7")])
        }
        #expect(events == ["charge.captured", "refund.created", "payment_intent.succeeded"])
        let captured = try #require(reply)
        #expect(captured.json["amount_received"] == 1500)
        #expect(captured.json["metadata"] == ["order": "7"])
        #expect(captured.json["statement_descriptor_suffix"] == "ORDER 7")
        let ch = pi.json["latest_charge"].stringValue!
        var charge = await s.charge(ch)
        #expect(charge["amount"] == 2000)
        #expect(charge["amount_captured"] == 1500)
        #expect(charge["amount_refunded"] == 500)
        #expect(charge["refunded"] == false)
        #expect(charge["refunds"]["total_count"] == 1)
        #expect(charge["refunds"]["data"][0]["amount"] == 500)
        #expect(charge["refunds"]["data"][0]["destination_details"]["card"]["type"] == "reversal")
        let tooMuch = await s.post("/v1/refunds", [("charge", ch), ("amount", "1501")])
        #expect(tooMuch.error["message"] == "Refund amount ($15.01) is greater than charge amount ($15.00)")
        let refund = await s.post("/v1/refunds", [("charge", ch)])
        #expect(refund.json["amount"] == 1500)
        charge = await s.charge(ch)
        #expect(charge["amount_refunded"] == 2000)
        #expect(charge["refunded"] == true)
        #expect(charge["refunds"]["total_count"] == 2)
    }

    @Test func captureErrors() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        let over = await s.post("/v1/payment_intents/\(pi.id)/capture", [("amount_to_capture", "2001")])
        #expect(over.status == 400)
        #expect(over.error["param"] == "amount_to_capture")
        #expect(over.error["code"] == "amount_too_large")
        let fee = await s.post("/v1/payment_intents/\(pi.id)/capture", [("application_fee_amount", "100")])
        #expect(fee.status == 400)
        #expect(fee.error["param"] == "application_fee_amount")
        let unknown = await s.post("/v1/payment_intents/\(pi.id)/capture", [("amount", "100")])
        #expect(unknown.error["message"] == "Received unknown parameter: amount")
        let multi = await s.post("/v1/payment_intents/\(pi.id)/capture", [("final_capture", "false")])
        #expect(multi.error["param"] == "final_capture")
        let refund = await s.post("/v1/refunds", [("payment_intent", pi.id)])
        #expect(refund.status == 400)
        #expect(refund.error["code"] == "charge_not_refundable")
        let automatic = await s.pay(1000)
        let notHeld = await s.post("/v1/payment_intents/\(automatic.id)/capture")
        #expect(notHeld.error["code"] == "payment_intent_unexpected_state")
        #expect(notHeld.error["message"] == "This PaymentIntent could not be captured because it has a status of succeeded. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.")
        // Still held, untouched.
        #expect(await s.get("/v1/payment_intents/\(pi.id)").json["amount_capturable"] == 2000)
    }

    @Test func cancelReleasesTheAuthorization() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        let events = await s.events {
            let canceled = await s.post("/v1/payment_intents/\(pi.id)/cancel", [("cancellation_reason", "requested_by_customer")])
            #expect(canceled.json["status"] == "canceled")
            #expect(canceled.json["amount_capturable"] == 0)
            #expect(canceled.json["cancellation_reason"] == "requested_by_customer")
        }
        #expect(events == ["charge.refunded", "refund.created", "payment_intent.canceled"])
        let charge = await s.charge(pi.json["latest_charge"].stringValue!)
        #expect(charge["captured"] == false)
        #expect(charge["amount_refunded"] == 2000)
        #expect(charge["refunded"] == true)
        #expect(charge["refunds"]["data"][0]["destination_details"]["card"]["type"] == "reversal")
        #expect(charge["refunds"]["data"][0]["amount"] == 2000)
    }

    @Test func authorizationExpiresAfterSevenDays() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        #expect(await s.events { await s.advance("6d23h") } == [])
        #expect(await s.get("/v1/payment_intents/\(pi.id)").json["status"] == "requires_capture")
        #expect(await s.events { await s.advance("1h") } == ["charge.expired", "refund.created", "payment_intent.canceled"])
        let expired = await s.get("/v1/payment_intents/\(pi.id)").json
        #expect(expired["status"] == "canceled")
        #expect(expired["cancellation_reason"] == "automatic")
        #expect(expired["canceled_at"] == .int(TestStripe.start + 7 * 86400))
        let charge = await s.charge(pi.json["latest_charge"].stringValue!)
        #expect(charge["refunded"] == true)
        #expect(charge["refunds"]["data"][0]["reason"] == "expired_uncaptured_charge")
        let late = await s.post("/v1/payment_intents/\(pi.id)/capture")
        #expect(late.error["code"] == "payment_intent_unexpected_state")
    }

    @Test func captureBeforeExpiryCancelsTheExpiry() async throws {
        let s = try TestStripe()
        let pi = await authorize(s)
        _ = await s.advance("3d")
        #expect(await s.post("/v1/payment_intents/\(pi.id)/capture").status == 200)
        #expect(await s.events { await s.advance("5d") } == [])
        #expect(await s.get("/v1/payment_intents/\(pi.id)").json["status"] == "succeeded")
    }

    @Test func captureMethodChosenAtConfirm() async throws {
        let s = try TestStripe()
        let pi = await s.post("/v1/payment_intents", [("amount", "1200"), ("currency", "usd")])
        let confirmed = await s.post("/v1/payment_intents/\(pi.id)/confirm", [("payment_method", "pm_card_visa"), ("capture_method", "manual")])
        #expect(confirmed.json["status"] == "requires_capture")
        #expect(confirmed.json["capture_method"] == "manual")
        let updated = await s.post("/v1/payment_intents/\(pi.id)", [("capture_method", "automatic")])
        #expect(updated.status == 400)
        #expect(updated.error["param"] == "capture_method")
        let amount = await s.post("/v1/payment_intents/\(pi.id)", [("amount", "5000")])
        #expect(amount.error["param"] == "amount")
        let described = await s.post("/v1/payment_intents/\(pi.id)", [("description", "Order 9"), ("metadata[order]", "9")])
        #expect(described.json["description"] == "Order 9")
        #expect(described.json["amount"] == 1200)
    }

    @Test func automaticAsyncCapturesAtOnce() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, extra: [("capture_method", "automatic_async")])
        #expect(pi.json["status"] == "succeeded")
        #expect(pi.json["capture_method"] == "automatic_async")
        #expect(await s.charge(pi.json["latest_charge"].stringValue!)["captured"] == true)
    }

    @Test func legacyChargeCapture() async throws {
        let s = try TestStripe()
        let pi = await authorize(s, 3000)
        let ch = pi.json["latest_charge"].stringValue!
        let captured = await s.post("/v1/charges/\(ch)/capture", [("amount", "2500"), ("receipt_email", "a@b.test")])
        #expect(captured.status == 200, "\(captured.response.bodyString)")
        #expect(captured.json["object"] == "charge")
        #expect(captured.json["amount_captured"] == 2500)
        #expect(captured.json["amount_refunded"] == 500)
        #expect(captured.json["receipt_email"] == "a@b.test")
        #expect(await s.get("/v1/payment_intents/\(pi.id)").json["amount_received"] == 2500)
        let again = await s.post("/v1/charges/\(ch)/capture")
        #expect(again.error["code"] == "charge_already_captured")
    }
}
