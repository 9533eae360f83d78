import StripeWire

/// Separate authorization and capture (`capture_method=manual`): a confirmed intent holds the
/// amount (`requires_capture`, charge `captured: false`) until it is captured, canceled, or the
/// authorization expires on the clock.
package enum Capture {
    /// How long an uncaptured card authorization lasts (Stripe: 7 days for customer-initiated
    /// online card payments; the emulator uses it for every authorization).
    package static let authorizationLifetime = 7 * 86400

    /// Whether the intent authorizes only (`manual`); `automatic_async` captures like `automatic`.
    package static func isManual(_ pi: JSONValue) -> Bool { pi["capture_method"] == "manual" }

    /// The approved confirmation of a manual-capture intent: the charge stays uncaptured, the
    /// intent waits in `requires_capture`; `charge.succeeded` then
    /// `payment_intent.amount_capturable_updated`; the authorization expires in 7 days.
    static func authorize(_ pi: inout JSONValue, charge: JSONValue, now: Int, _ ledger: Ledger) throws {
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        pi["latest_charge"] = charge["id"]
        pi["last_payment_error"] = nil
        pi["next_action"] = nil
        try ledger.store.update(pi)
        try ledger.emit(.chargeSucceeded, charge)
        try ledger.emit(.paymentIntentAmountCapturableUpdated, pi)
        try Scheduler.reschedule(ledger, clock: try ledger.clock(of: pi), at: now + authorizationLifetime, .expireAuthorization,
                                 target: pi["id"].stringValue!)
    }

    /// `POST /v1/payment_intents/{id}/capture`: captures `amount` (default all that is
    /// capturable); a smaller amount releases the rest with a refund, which the charge shows in
    /// `amount_refunded` and `refunds`. Emits `charge.captured` (`refund.created` for a release)
    /// then `payment_intent.succeeded`. Returns the charge.
    @discardableResult
    package static func capture(_ pi: inout JSONValue, amount requested: Int?, _ ledger: Ledger,
                                chargeChanges: (inout JSONValue) -> Void = { _ in }) throws -> JSONValue {
        let id = pi["id"].stringValue ?? ""
        let status = pi["status"].stringValue ?? ""
        guard status == "requires_capture" else {
            throw StripeError.invalidRequest(
                "This PaymentIntent could not be captured because it has a status of \(status). Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                code: "payment_intent_unexpected_state")
        }
        let capturable = pi["amount_capturable"].intValue ?? 0
        let amount = requested ?? capturable
        guard amount >= 1 else {
            throw StripeError.invalidRequest("This value must be greater than or equal to 1.", param: "amount_to_capture",
                                             code: "parameter_invalid_integer")
        }
        guard amount <= capturable else {
            throw StripeError.invalidRequest(
                "The amount_to_capture (\(amount)) cannot be greater than the amount_capturable (\(capturable)) on PaymentIntent \(id).",
                param: "amount_to_capture", code: "amount_too_large")
        }
        guard let chargeID = pi["latest_charge"].stringValue, var charge = try ledger.store.find(chargeID)?.object else {
            throw StripeError.invalidRequest("This PaymentIntent has no charge to capture.", code: "payment_intent_unexpected_state")
        }
        charge["captured"] = true
        charge["amount_captured"] = .int(amount)
        chargeChanges(&charge)
        // "Any additional amount is automatically refunded": a refund releases the remainder.
        // (Not a ternary: JSONValue takes `nil` as JSON null, which would read as a refund.)
        var released: JSONValue? = Optional.none
        if amount < capturable {
            released = try RefundEngine.release(ledger, charge: &charge, amount: capturable - amount, reason: nil, now: try ledger.now(for: pi))
        }
        try RefundEngine.refresh(&charge, ledger.store)
        try ledger.store.update(charge)
        pi["status"] = "succeeded"
        pi["amount_capturable"] = 0
        pi["amount_received"] = .int(amount)
        try ledger.store.update(pi)
        try Scheduler.cancel(ledger, .expireAuthorization, target: id)
        try ledger.emit(.chargeCaptured, charge)
        if let released { try ledger.emit(.refundCreated, released) }
        try ledger.emit(.paymentIntentSucceeded, pi)
        try DisputeEngine.openIfTestCard(&charge, ledger)
        return charge
    }

    /// Cancel of a `requires_capture` intent releases the authorization: the charge is refunded
    /// in full (`charge.refunded`, `refund.created`); the caller then cancels the intent.
    package static func releaseOnCancel(_ pi: inout JSONValue, _ ledger: Ledger) throws {
        guard pi["status"] == "requires_capture", let chargeID = pi["latest_charge"].stringValue,
              var charge = try ledger.store.find(chargeID)?.object else { return }
        let refund = try RefundEngine.release(ledger, charge: &charge, reason: nil, now: try ledger.now(for: pi))
        pi["amount_capturable"] = 0
        try Scheduler.cancel(ledger, .expireAuthorization, target: pi["id"].stringValue ?? "")
        try ledger.emit(.chargeRefunded, charge)
        try ledger.emit(.refundCreated, refund)
    }

    /// The authorization lapsed (7 days on the intent's clock): the charge is released with a
    /// refund of reason `expired_uncaptured_charge`, the intent is canceled with
    /// `cancellation_reason: automatic`. Emits `charge.expired`, `refund.created`,
    /// `payment_intent.canceled`.
    static func expire(_ id: String, _ ledger: Ledger) throws {
        guard var pi = try ledger.store.find(id)?.object, pi["status"] == "requires_capture",
              let chargeID = pi["latest_charge"].stringValue, var charge = try ledger.store.find(chargeID)?.object else { return }
        let now = try ledger.now(for: pi)
        let refund = try RefundEngine.release(ledger, charge: &charge, reason: "expired_uncaptured_charge", now: now)
        pi["status"] = "canceled"
        pi["amount_capturable"] = 0
        pi["canceled_at"] = .int(now)
        pi["cancellation_reason"] = "automatic"
        try ledger.store.update(pi)
        try ledger.emit(.chargeExpired, charge)
        try ledger.emit(.refundCreated, refund)
        try ledger.emit(.paymentIntentCanceled, pi)
    }
}
