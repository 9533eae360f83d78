import StripeWire

/// Disputes opened by the dispute test cards, their evidence and their outcome.
///
/// The test cards open the dispute as soon as the charge succeeds (Stripe: "within a second").
/// Evidence whose `uncategorized_text` holds one of Stripe's magic values decides the outcome
/// when submitted; the decision is scheduled work due at the moment of submission, so it lands
/// the next time due work runs on the charge's clock (right after the request on a running
/// server, after the step in a scenario, on the next clock advance or drain in a test).
package enum DisputeEngine {
    /// How long the merchant has to respond (`evidence_details.due_by`). Unconfirmed for test
    /// mode; public write-ups report about three weeks.
    package static let responseWindow = 21 * 86400

    /// Stripe's magic evidence values (docs.stripe.com/testing#disputes).
    package static let winning = "winning_evidence"
    package static let losing = "losing_evidence"
    package static let escalateInquiry = "escalate_inquiry_evidence"

    /// Statuses from which the merchant may still respond or close.
    package static let awaitingResponse: Set<String> = ["needs_response", "warning_needs_response"]
    package static let closed: Set<String> = ["won", "lost", "warning_closed", "charge_refunded", "prevented"]

    /// The dispute on a charge, if any.
    package static func of(charge id: String, _ store: ObjectStore) throws -> JSONValue? {
        try store.all(type: "dispute", filters: [.field("charge", equals: .string(id))]).last
    }

    static func isInquiry(_ dispute: JSONValue) -> Bool { dispute["status"].stringValue?.hasPrefix("warning_") == true }

    /// Opens the dispute a test card asks for on a charge that just succeeded: the charge is
    /// `disputed`; `charge.dispute.created`, then `charge.dispute.funds_withdrawn` for a
    /// chargeback (an inquiry withdraws nothing).
    package static func openIfTestCard(_ charge: inout JSONValue, _ ledger: Ledger) throws {
        guard charge["captured"].boolValue == true, charge["disputed"].boolValue != true,
              let kind = try RefundEngine.behavior(of: charge, ledger.store).dispute else { return }
        let now = try ledger.now(for: charge)
        let inquiry = kind == .inquiry
        let (reason, code): (String, String) = switch kind {
        case .fraudulent: ("fraudulent", "10.4")
        case .productNotReceived: ("product_not_received", "13.1")
        case .inquiry: ("fraudulent", "10")
        }
        let dispute = try DisputeObject.new(ledger, charge: charge, reason: reason, networkReasonCode: code, inquiry: inquiry, now: now)
        try ledger.store.insert(dispute, type: "dispute")
        charge["disputed"] = true
        try ledger.store.update(charge)
        try ledger.emit(.chargeDisputeCreated, dispute)
        if !inquiry {
            try ledger.emit(.chargeDisputeFundsWithdrawn, dispute)
            try Scheduler.schedule(ledger, clock: try ledger.clock(of: charge), at: now + responseWindow, .disputeDeadline,
                                   target: dispute["id"].stringValue!)
        }
    }

    /// `evidence_details.due_by` passed on the clock: a chargeback nobody answered is lost
    /// (`charge.dispute.closed`). An unanswered inquiry stays open (whether the issuer then
    /// escalates it is not emulated).
    static func deadline(_ id: String, _ ledger: Ledger) throws {
        guard var dispute = try ledger.store.find(id)?.object, dispute["status"] == "needs_response" else { return }
        dispute["status"] = "lost"
        try ledger.store.update(dispute)
        try ledger.emit(.chargeDisputeClosed, dispute, previous: ["status": "needs_response"])
    }

    /// Submits the evidence on the dispute (`submit=true`): `under_review` (or
    /// `warning_under_review` for an inquiry), one more submission; the magic evidence values
    /// schedule the outcome. The caller stores the dispute and emits `charge.dispute.updated`.
    package static func submit(_ dispute: inout JSONValue, _ ledger: Ledger) throws {
        let status = dispute["status"].stringValue ?? ""
        guard awaitingResponse.contains(status) else { return }
        dispute["status"] = .string(status == "warning_needs_response" ? "warning_under_review" : "under_review")
        dispute["evidence_details"]["submission_count"] = .int((dispute["evidence_details"]["submission_count"].intValue ?? 0) + 1)
        let text = dispute["evidence"]["uncategorized_text"].stringValue ?? ""
        if text.contains(winning) || text.contains(losing) || text.contains(escalateInquiry) {
            let charge = try ledger.store.find(dispute["charge"].stringValue ?? "")?.object ?? [:]
            try Scheduler.reschedule(ledger, clock: try ledger.clock(of: charge), at: try ledger.now(for: charge), .resolveDispute,
                                     target: dispute["id"].stringValue!)
        }
    }

    /// The scheduled outcome of submitted magic evidence: won (an inquiry: `warning_closed`)
    /// with `charge.dispute.closed` and, for a chargeback, `charge.dispute.funds_reinstated`;
    /// lost with `charge.dispute.closed`; an escalated inquiry becomes a chargeback awaiting a
    /// response (`charge.dispute.updated`, `charge.dispute.funds_withdrawn`).
    static func resolve(_ id: String, _ ledger: Ledger) throws {
        guard var dispute = try ledger.store.find(id)?.object else { return }
        let before = dispute
        let status = dispute["status"].stringValue ?? ""
        guard status == "under_review" || status == "warning_under_review" else { return }
        let inquiry = status == "warning_under_review"
        let text = dispute["evidence"]["uncategorized_text"].stringValue ?? ""
        if inquiry && text.contains(escalateInquiry) {
            dispute["status"] = "needs_response"
            dispute["is_charge_refundable"] = false
            dispute["payment_method_details"]["card"]["case_type"] = "chargeback"
            dispute["payment_method_details"]["card"]["network_reason_code"] = "10.4"
            try ledger.store.update(dispute)
            try ledger.emitUpdate(.chargeDisputeUpdated, before: before, after: dispute)
            try ledger.emit(.chargeDisputeFundsWithdrawn, dispute)
            let charge = try ledger.store.find(dispute["charge"].stringValue ?? "")?.object ?? [:]
            let due = dispute["evidence_details"]["due_by"].intValue ?? 0
            try Scheduler.reschedule(ledger, clock: try ledger.clock(of: charge), at: max(due, try ledger.now(for: charge)),
                                     .disputeDeadline, target: id)
            return
        }
        let won = text.contains(winning)
        guard won || text.contains(losing) else { return }
        dispute["status"] = .string(won ? (inquiry ? "warning_closed" : "won") : "lost")
        dispute["is_charge_refundable"] = false
        try ledger.store.update(dispute)
        try ledger.emit(.chargeDisputeClosed, dispute, previous: ["status": .string(status)])
        if won && !inquiry { try ledger.emit(.chargeDisputeFundsReinstated, dispute) }
    }

    /// `POST /v1/disputes/{id}/close`: the merchant accepts the dispute, which is lost.
    package static func close(_ dispute: inout JSONValue, _ ledger: Ledger) throws {
        let id = dispute["id"].stringValue ?? ""
        let status = dispute["status"].stringValue ?? ""
        guard awaitingResponse.contains(status) else {
            throw StripeError.invalidRequest(
                "The dispute \(id) cannot be closed because it has a status of \(status). Only a dispute awaiting a response (needs_response, warning_needs_response) may be closed.")
        }
        dispute["status"] = "lost"
        dispute["is_charge_refundable"] = false
        try ledger.store.update(dispute)
        try Scheduler.cancelAll(ledger, target: id)
        try ledger.emit(.chargeDisputeClosed, dispute, previous: ["status": .string(status)])
    }
}
