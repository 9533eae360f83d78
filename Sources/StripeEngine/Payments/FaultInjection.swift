import StripeWire

/// Scripted payment failures for QA: "charges of this customer fail with `insufficient_funds` from
/// the 3rd attempt on". Attempts are counted over all of the customer's charges (so "the card
/// failed on the third renewal" is `from_attempt=4` with a first charge at signup). Kept as
/// hidden state on the customer, set through the control API.
package enum FaultInjection {
    package static func set(_ ledger: Ledger, customer: String, fromAttempt: Int, declineCode: String) throws {
        var hidden = try ledger.store.hidden(customer)
        if hidden.isNull { hidden = [:] }
        hidden["charge_failure"] = ["from_attempt": .int(fromAttempt), "decline_code": .string(declineCode)]
        try ledger.store.setHidden(customer, hidden)
    }

    package static func clear(_ ledger: Ledger, customer: String) throws {
        var hidden = try ledger.store.hidden(customer)
        guard !hidden.isNull else { return }
        hidden["charge_failure"] = nil
        try ledger.store.setHidden(customer, hidden)
    }

    /// Counts a charge attempt and returns the decline to apply, if one is scripted.
    package static func chargeDecline(_ ledger: Ledger, customer: String?) throws -> TestCards.Decline? {
        guard let customer else { return nil }
        var hidden = try ledger.store.hidden(customer)
        if hidden.isNull { hidden = [:] }
        let attempt = (hidden["charge_attempts"].intValue ?? 0) + 1
        hidden["charge_attempts"] = .int(attempt)
        try ledger.store.setHidden(customer, hidden)
        guard case .object = hidden["charge_failure"], attempt >= (hidden["charge_failure"]["from_attempt"].intValue ?? 1) else { return nil }
        let code = hidden["charge_failure"]["decline_code"].stringValue ?? "generic_decline"
        return decline(code)
    }

    package static func decline(_ code: String) -> TestCards.Decline {
        switch code {
        case "insufficient_funds": return .insufficientFunds
        case "expired_card": return .expired
        case "incorrect_cvc": return .incorrectCVC
        case "processing_error": return .processingError
        case "lost_card": return .lostCard
        case "stolen_card": return .stolenCard
        case "fraudulent": return .fraudulent
        case "card_velocity_exceeded": return .velocity
        default: return .declined(code)
        }
    }
}
