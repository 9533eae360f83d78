import StripeWire

/// Scripted payment failures for QA: "charges of this customer fail with `insufficient_funds` from
/// the 3rd attempt on", or "this card fails from now on" until the step that says the customer
/// fixed it.
///
/// A failure is set on one of three targets, checked from the most specific:
/// - a **payment method** (its hidden state): that saved card fails;
/// - a **card number** (the tenant's settings): every payment method with that number fails,
///   including ones saved later (a card re-entered in the portal);
/// - a **customer** (its hidden state): every charge of the customer fails.
///
/// `from_attempt` counts the target's charge attempts. A customer counts all of its charges
/// since it was created (so "the card failed on the third renewal" is `from_attempt=4` with a
/// first charge at signup); a payment method or card counts from when the failure was set.
package enum FaultInjection {
    package enum Target: Equatable {
        case customer(String)
        case paymentMethod(String)
        case card(String)
    }

    static let cardsKey = "charge_failures_by_card"

    package static func set(_ ledger: Ledger, _ target: Target, fromAttempt: Int, declineCode: String) throws {
        let failure: JSONValue = ["from_attempt": .int(fromAttempt), "decline_code": .string(declineCode), "attempts": 0]
        switch target {
        case .customer(let id), .paymentMethod(let id):
            var hidden = try ledger.store.hidden(id)
            hidden["charge_failure"] = failure
            try ledger.store.setHidden(id, hidden)
        case .card(let number):
            var cards = try AccountSettings.read(ledger)[cardsKey]
            if cards.isNull { cards = [:] }
            cards[number] = failure
            try AccountSettings.write(cardsKey, cards, ledger)
        }
    }

    package static func clear(_ ledger: Ledger, _ target: Target) throws {
        switch target {
        case .customer(let id), .paymentMethod(let id):
            var hidden = try ledger.store.hidden(id)
            hidden["charge_failure"] = nil
            try ledger.store.setHidden(id, hidden)
        case .card(let number):
            var cards = try AccountSettings.read(ledger)[cardsKey]
            guard !cards.isNull else { return }
            cards[number] = nil
            try AccountSettings.write(cardsKey, cards, ledger)
        }
    }

    /// Counts a charge attempt and returns the decline to apply, if one is scripted for the
    /// payment method, its card number or the customer (in that order).
    package static func chargeDecline(_ ledger: Ledger, customer: String?, paymentMethod: String? = nil,
                                      cardNumber: String? = nil) throws -> TestCards.Decline? {
        var decline: TestCards.Decline? = nil
        if let paymentMethod {
            var hidden = try ledger.store.hidden(paymentMethod)
            if case .object = hidden["charge_failure"] {
                decline = count(&hidden["charge_failure"])
                try ledger.store.setHidden(paymentMethod, hidden)
            }
        }
        if let cardNumber {
            var cards = try AccountSettings.read(ledger)[cardsKey]
            if case .object = cards[cardNumber] {
                let d = count(&cards[cardNumber])
                decline = decline ?? d
                try AccountSettings.write(cardsKey, cards, ledger)
            }
        }
        if let customer {
            var hidden = try ledger.store.hidden(customer)
            let attempt = (hidden["charge_attempts"].intValue ?? 0) + 1
            hidden["charge_attempts"] = .int(attempt)
            try ledger.store.setHidden(customer, hidden)
            let failure = hidden["charge_failure"]
            if case .object = failure, attempt >= (failure["from_attempt"].intValue ?? 1) {
                decline = decline ?? self.decline(failure["decline_code"].stringValue ?? "generic_decline")
            }
        }
        return decline
    }

    /// One more attempt on a payment-method or card failure; its decline when it is due.
    static func count(_ failure: inout JSONValue) -> TestCards.Decline? {
        let attempt = (failure["attempts"].intValue ?? 0) + 1
        failure["attempts"] = .int(attempt)
        guard attempt >= (failure["from_attempt"].intValue ?? 1) else { return nil }
        return decline(failure["decline_code"].stringValue ?? "generic_decline")
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
