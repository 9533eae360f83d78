import Testing
import StripeWire
@testable import StripeEmulator

/// Disputes opened by the dispute test cards: the dispute object, evidence and its magic values
/// deciding the outcome on the clock, closing, and the events in order.
@Suite struct DisputeTests {
    func dispute(_ s: TestStripe, paymentIntent: String) async -> JSONValue {
        await s.get("/v1/disputes", [("payment_intent", paymentIntent)]).json["data"][0]
    }

    @Test func chargebackCardOpensADispute() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDispute")
        #expect(await s.eventTypes() == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                                         "charge.dispute.created", "charge.dispute.funds_withdrawn"])
        let ch = pi.json["latest_charge"].stringValue!
        let d = await dispute(s, paymentIntent: pi.id)
        #expect(d["id"].stringValue?.hasPrefix("dp_") == true)
        #expect(d["object"] == "dispute")
        #expect(d["amount"] == 1000)
        #expect(d["charge"] == .string(ch))
        #expect(d["status"] == "needs_response")
        #expect(d["reason"] == "fraudulent")
        #expect(d["is_charge_refundable"] == false)
        #expect(d["evidence_details"]["due_by"] == .int(TestStripe.start + 21 * 86400))
        #expect(d["evidence_details"]["has_evidence"] == false)
        #expect(d["payment_method_details"]["card"]["case_type"] == "chargeback")
        #expect(d["evidence"]["uncategorized_text"] == .null)
        #expect(await s.charge(ch)["disputed"] == true)
        let refund = await s.post("/v1/refunds", [("charge", ch)])
        #expect(refund.status == 400)
        #expect(refund.error["code"] == "charge_disputed")
        #expect(refund.error["message"] == .string("Charge \(ch) has been charged back; cannot issue a refund."))
        #expect(await s.get("/v1/disputes/\(d["id"].stringValue!)").json == d)
        let expanded = await s.get("/v1/disputes/\(d["id"].stringValue!)", [("expand[]", "charge"), ("expand[]", "payment_intent")])
        #expect(expanded.json["charge"]["disputed"] == true)
        #expect(expanded.json["payment_intent"]["status"] == "succeeded")
        #expect(await s.get("/v1/disputes", [("charge", ch)]).json["data"].arrayValue?.count == 1)
        #expect(await s.get("/v1/disputes", [("charge", "ch_other")]).json["data"] == [])
        // Before 2023-08-16 a charge named its dispute.
        let old = await s.call("GET", "/v1/charges/\(ch)", headers: ["Stripe-Version": "2022-11-15"])
        #expect(old.json["dispute"] == d["id"])
        #expect(await s.charge(ch)["dispute"] == nil)
        let pnr = await s.pay(700, card: "pm_card_createDisputeProductNotReceived")
        #expect(await dispute(s, paymentIntent: pnr.id)["reason"] == "product_not_received")
    }

    @Test func inquiryCardOpensAnInquiry() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDisputeInquiry")
        #expect(await s.eventTypes().suffix(2) == ["payment_intent.succeeded", "charge.dispute.created"])
        let d = await dispute(s, paymentIntent: pi.id)
        #expect(d["status"] == "warning_needs_response")
        #expect(d["is_charge_refundable"] == true)
        #expect(d["payment_method_details"]["card"]["case_type"] == "inquiry")
        // An inquiry withdrew nothing: the charge may still be refunded.
        #expect(await s.post("/v1/refunds", [("payment_intent", pi.id), ("amount", "300")]).status == 200)
    }

    @Test func winningEvidenceWinsOnTheClock() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDispute")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        let events = await s.events {
            let updated = await s.post("/v1/disputes/\(id)", [("evidence[uncategorized_text]", "winning_evidence"),
                                                              ("evidence[customer_name]", "Ann")])
            #expect(updated.status == 200, "\(updated.response.bodyString)")
            #expect(updated.json["status"] == "under_review")
            #expect(updated.json["evidence"]["customer_name"] == "Ann")
            #expect(updated.json["evidence_details"]["has_evidence"] == true)
            #expect(updated.json["evidence_details"]["submission_count"] == 1)
        }
        #expect(events == ["charge.dispute.updated"])
        let decided = try await s.events { try await s.runDue() }
        #expect(decided == ["charge.dispute.closed", "charge.dispute.funds_reinstated"])
        let won = await s.get("/v1/disputes/\(id)").json
        #expect(won["status"] == "won")
        let closed = await s.allEvents().first { $0["type"] == "charge.dispute.closed" }!
        #expect(closed["data"]["previous_attributes"] == ["status": "under_review"])
        let late = await s.post("/v1/disputes/\(id)", [("evidence[uncategorized_text]", "more")])
        #expect(late.status == 400)
        #expect(await s.post("/v1/disputes/\(id)", [("metadata[case]", "1")]).status == 200)
    }

    @Test func losingEvidenceLoses() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDispute")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        _ = await s.post("/v1/disputes/\(id)", [("evidence[uncategorized_text]", "losing_evidence")])
        #expect(try await s.events { try await s.runDue() } == ["charge.dispute.closed"])
        #expect(await s.get("/v1/disputes/\(id)").json["status"] == "lost")
    }

    @Test func stagedEvidenceIsSubmittedLater() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDisputeInquiry")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        let staged = await s.post("/v1/disputes/\(id)", [("evidence[uncategorized_text]", "winning_evidence"), ("submit", "false")])
        #expect(staged.json["status"] == "warning_needs_response")
        #expect(staged.json["evidence_details"]["has_evidence"] == true)
        #expect(staged.json["evidence_details"]["submission_count"] == 0)
        #expect(try await s.events { try await s.runDue() } == [])
        let submitted = await s.post("/v1/disputes/\(id)", [("submit", "true")])
        #expect(submitted.json["status"] == "warning_under_review")
        #expect(try await s.events { try await s.runDue() } == ["charge.dispute.closed"])
        #expect(await s.get("/v1/disputes/\(id)").json["status"] == "warning_closed")
    }

    @Test func escalatedInquiryBecomesAChargeback() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDisputeInquiry")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        _ = await s.post("/v1/disputes/\(id)", [("evidence[uncategorized_text]", "escalate_inquiry_evidence")])
        #expect(try await s.events { try await s.runDue() } == ["charge.dispute.updated", "charge.dispute.funds_withdrawn"])
        let d = await s.get("/v1/disputes/\(id)").json
        #expect(d["status"] == "needs_response")
        #expect(d["is_charge_refundable"] == false)
    }

    @Test func closeAcceptsTheLoss() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDisputeInquiry")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        let events = await s.events {
            let closed = await s.post("/v1/disputes/\(id)/close")
            #expect(closed.json["status"] == "lost")
        }
        #expect(events == ["charge.dispute.closed"])
        let again = await s.post("/v1/disputes/\(id)/close")
        #expect(again.status == 400)
        #expect(again.error["type"] == "invalid_request_error")
    }

    /// A chargeback nobody answers is lost when `evidence_details.due_by` passes on the clock.
    @Test func unansweredChargebackIsLostAtTheDeadline() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDispute")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        let inquiry = await s.pay(1000, card: "pm_card_createDisputeInquiry")
        #expect(await s.events { await s.advance("20d23h") } == [])
        #expect(await s.events { await s.advance("1h") } == ["charge.dispute.closed"])
        #expect(await s.get("/v1/disputes/\(id)").json["status"] == "lost")
        #expect(await dispute(s, paymentIntent: inquiry.id)["status"] == "warning_needs_response")
    }

    @Test func updateErrorsAndMetadata() async throws {
        let s = try TestStripe()
        let pi = await s.pay(1000, card: "pm_card_createDispute")
        let id = await dispute(s, paymentIntent: pi.id)["id"].stringValue!
        let file = await s.post("/v1/disputes/\(id)", [("evidence[receipt]", "file_123")])
        #expect(file.status == 400)
        #expect(file.error["param"] == "evidence[receipt]")
        let enhanced = await s.post("/v1/disputes/\(id)", [("evidence[enhanced_evidence][visa_compliance][fee_acknowledged]", "true")])
        #expect(enhanced.error["param"] == "evidence[enhanced_evidence]")
        let unknown = await s.post("/v1/disputes/\(id)", [("evidence[favourite_colour]", "blue")])
        #expect(unknown.error["message"] == "Received unknown parameter: evidence[favourite_colour]")
        #expect(await s.get("/v1/disputes/dp_nope").status == 404)
        let events = await s.events {
            let updated = await s.post("/v1/disputes/\(id)", [("metadata[foo]", "bar")])
            #expect(updated.json["status"] == "needs_response")
            #expect(updated.json["metadata"] == ["foo": "bar"])
        }
        #expect(events == ["charge.dispute.updated"])
        #expect(await s.allEvents().last!["data"]["previous_attributes"] == ["metadata": ["foo": nil]])
    }
}
