import StripeWire

/// Refunds of card charges: the refund object, the charge's `amount_refunded` / `refunded` /
/// `refunds`, and the test cards whose refunds settle later on the clock.
///
/// A charge's `amount_refunded` is always recomputed from its refunds (plus what a partial
/// capture released), so a refund that fails later gives its amount back to the charge, and a
/// charge can never be refunded past what was captured.
package enum RefundEngine {
    /// Refund statuses that hold money back from the charge (a failed or canceled one does not).
    static let active: Set<String> = ["succeeded", "pending", "requires_action"]

    /// What the emulator does to a refund when its scheduled settle item runs.
    static let failureReason = "expired_or_canceled_card"

    /// All refunds of a charge, oldest first.
    package static func of(charge id: String, _ store: ObjectStore) throws -> [JSONValue] {
        try store.all(type: "refund", filters: [.field("charge", equals: .string(id))])
    }

    /// How much of the charge may still be refunded: its amount less the active refunds (the
    /// refund that released a partial capture's remainder included).
    package static func remaining(_ charge: JSONValue, _ store: ObjectStore) throws -> Int {
        (charge["amount"].intValue ?? 0) - (try refunded(charge, store))
    }

    static func refunded(_ charge: JSONValue, _ store: ObjectStore) throws -> Int {
        try of(charge: charge["id"].stringValue ?? "", store)
            .filter { active.contains($0["status"].stringValue ?? "") }
            .reduce(0) { $0 + ($1["amount"].intValue ?? 0) }
    }

    /// Recomputes `amount_refunded`, `refunded` and the embedded `refunds` list (newest first)
    /// from the stored refunds (failed and canceled ones are listed but give their amount back).
    package static func refresh(_ charge: inout JSONValue, _ store: ObjectStore) throws {
        let id = charge["id"].stringValue ?? ""
        let refunds = try of(charge: id, store)
        let amount = charge["amount"].intValue ?? 0
        let refunded = refunds.filter { active.contains($0["status"].stringValue ?? "") }
            .reduce(0) { $0 + ($1["amount"].intValue ?? 0) }
        charge["amount_refunded"] = .int(refunded)
        charge["refunded"] = .bool(amount > 0 && refunded >= amount)
        charge["refunds"] = ["object": "list", "data": .array(refunds.reversed()), "has_more": false,
                             "total_count": .int(refunds.count), "url": .string("/v1/charges/\(id)/refunds")]
    }

    /// The card behaviour of the charge's payment method (its refund and dispute test behaviour).
    static func behavior(of charge: JSONValue, _ store: ObjectStore) throws -> TestCards.Behavior {
        guard let pm = charge["payment_method"].stringValue, let card = Card(hidden: try store.hidden(pm)) else {
            return TestCards.Behavior()
        }
        return card.behavior
    }

    /// Checks that `amount` (nil: all that remains) may be refunded from the charge, with Stripe's
    /// errors, and returns the amount.
    package static func validate(_ charge: JSONValue, amount: Int?, _ store: ObjectStore) throws -> Int {
        let id = charge["id"].stringValue ?? ""
        let currency = charge["currency"].stringValue ?? "usd"
        if charge["disputed"].boolValue == true, let dispute = try DisputeEngine.of(charge: id, store),
           dispute["is_charge_refundable"].boolValue != true {
            throw StripeError.invalidRequest("Charge \(id) has been charged back; cannot issue a refund.", code: "charge_disputed")
        }
        guard charge["status"] == "succeeded" else {
            throw StripeError.invalidRequest("Charge \(id) has failed and cannot be refunded.", code: "charge_not_refundable")
        }
        guard charge["captured"].boolValue == true else {
            throw StripeError.invalidRequest(
                "Charge \(id) has not been captured. Cancel its PaymentIntent to release the authorization instead of refunding it.",
                code: "charge_not_refundable")
        }
        let remaining = try remaining(charge, store)
        guard remaining > 0 else {
            throw StripeError.invalidRequest("Charge \(id) has already been refunded.", code: "charge_already_refunded")
        }
        guard let amount else { return remaining }
        guard amount >= 1 else {
            throw StripeError.invalidRequest("This value must be greater than or equal to 1.", param: "amount",
                                             code: "parameter_invalid_integer")
        }
        let captured = charge["amount_captured"].intValue ?? 0
        if amount > captured {
            throw StripeError.invalidRequest(
                "Refund amount (\(PriceMath.money(amount, currency))) is greater than charge amount (\(PriceMath.money(captured, currency)))",
                param: "amount")
        }
        if amount > remaining {
            throw StripeError.invalidRequest(
                "Refund amount (\(PriceMath.money(amount, currency))) is greater than unrefunded amount on charge (\(PriceMath.money(remaining, currency)))",
                param: "amount")
        }
        return amount
    }

    /// Refunds a captured charge (the amount already validated): stores the refund, updates the
    /// charge, emits `charge.refunded` then `refund.created`, and schedules what the card's test
    /// behaviour does next (a refund of 4000000000005126 fails, one of 4000000000007726 settles).
    package static func create(_ ledger: Ledger, charge: inout JSONValue, amount: Int, reason: String?, metadata: JSONValue,
                               instructionsEmail: String? = nil) throws -> JSONValue {
        let now = try ledger.now(for: charge)
        let behavior = try behavior(of: charge, ledger.store)
        let status = behavior.refund == .pendingThenSucceeds ? "pending" : "succeeded"
        var refund = try RefundObject.new(ledger, charge: charge, amount: amount, reason: reason, metadata: metadata, status: status,
                                reversal: false, now: now)
        refund["instructions_email"] = .from(instructionsEmail)
        try ledger.store.insert(refund, type: "refund")
        try refresh(&charge, ledger.store)
        // Stripe records a refund for fraud as the merchant's report on the charge.
        if reason == "fraudulent" { charge["fraud_details"] = ["user_report": "fraudulent"] }
        try ledger.store.update(charge)
        try ledger.emit(.chargeRefunded, charge)
        try ledger.emit(.refundCreated, refund)
        if behavior.refund != nil {
            // "Asynchronously": the next time due work runs on the charge's clock (right after
            // this request on a running server, after the step in a scenario, on the next advance).
            try Scheduler.schedule(ledger, clock: try ledger.clock(of: charge), at: now, .settleRefund, target: refund["id"].stringValue!)
        }
        return refund
    }

    /// Releases an authorization, in full (cancel, expiry) or what a partial capture left: a
    /// refund of `amount` (default the whole charge) whose card destination is a `reversal`.
    /// Events are the caller's.
    static func release(_ ledger: Ledger, charge: inout JSONValue, amount: Int? = nil, reason: String?, now: Int) throws -> JSONValue {
        let amount = amount ?? charge["amount"].intValue ?? 0
        let refund = try RefundObject.new(ledger, charge: charge, amount: amount, reason: reason, metadata: [:], status: "succeeded",
                                reversal: true, now: now)
        try ledger.store.insert(refund, type: "refund")
        try refresh(&charge, ledger.store)
        try ledger.store.update(charge)
        return refund
    }

    /// The scheduled second half of a test card's refund: pending → succeeded, or succeeded →
    /// failed with `failure_reason`. Emits `charge.refund.updated`, `refund.updated` (and
    /// `refund.failed` for a failure).
    static func settle(_ id: String, _ ledger: Ledger) throws {
        guard var refund = try ledger.store.find(id)?.object, let chargeID = refund["charge"].stringValue,
              var charge = try ledger.store.find(chargeID)?.object else { return }
        let before = refund
        let behavior = try behavior(of: charge, ledger.store)
        switch (behavior.refund, refund["status"].stringValue) {
        case (.pendingThenSucceeds, "pending"):
            refund["status"] = "succeeded"
            refund["pending_reason"] = nil
        case (.failsLater, "succeeded"), (.failsLater, "pending"):
            refund["status"] = "failed"
            refund["failure_reason"] = .string(failureReason)
        default:
            return
        }
        try ledger.store.update(refund)
        try refresh(&charge, ledger.store)
        try ledger.store.update(charge)
        try ledger.emitUpdate(.chargeRefundUpdated, before: before, after: refund)
        try ledger.emitUpdate(.refundUpdated, before: before, after: refund)
        if refund["status"] == "failed" { try ledger.emit(.refundFailed, refund) }
    }

    /// `POST /v1/refunds/{id}`: only `metadata` changes. Emits `charge.refund.updated` and
    /// `refund.updated` when something changed; the charge's embedded copy follows.
    package static func update(_ ledger: Ledger, before: JSONValue, after: JSONValue) throws {
        try ledger.store.update(after)
        if let chargeID = after["charge"].stringValue, var charge = try ledger.store.find(chargeID)?.object {
            try refresh(&charge, ledger.store)
            try ledger.store.update(charge)
        }
        try ledger.emitUpdate(.chargeRefundUpdated, before: before, after: after)
        try ledger.emitUpdate(.refundUpdated, before: before, after: after)
    }
}
