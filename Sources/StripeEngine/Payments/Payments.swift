import StripeWire

/// Payment intents and charges: where a test card's behaviour turns into an outcome.
///
/// Both the PaymentIntents API and invoice collection go through ``confirm(_:paymentMethod:offSession:_:)``,
/// so a card fails the same way whichever path charges it.
package enum Payments {
    package enum Outcome {
        case succeeded(charge: JSONValue)
        case failed(charge: JSONValue?, decline: TestCards.Decline)
        case requiresAction
        /// A bank debit: the charge is pending until the settlement (see ``BankDebit``).
        case processing(charge: JSONValue)
    }

    package static func createIntent(_ ledger: Ledger, amount: Int, currency: String, customer: String?, paymentMethod: String?,
                             description: String?, metadata: JSONValue = [:], captureMethod: String = "automatic",
                             confirmationMethod: String = "automatic", extra: [String: JSONValue] = [:], now: Int) throws -> JSONValue {
        let id = try ledger.newID("pi")
        let secret = ledger.settings.idMode == .sequential ? "\(id)_secret_test" : "\(id)_secret_\(IDMinter.secretToken(24))"
        var pi: JSONValue = [
            "id": .string(id), "object": "payment_intent", "amount": .int(amount), "amount_capturable": 0,
            "amount_details": ["tip": [:]], "amount_received": 0, "application": nil, "application_fee_amount": nil,
            "automatic_payment_methods": nil, "canceled_at": nil, "cancellation_reason": nil, "capture_method": .string(captureMethod),
            "client_secret": .string(secret), "confirmation_method": .string(confirmationMethod), "created": .int(now),
            "currency": .string(currency), "customer": .from(customer), "customer_account": nil,
            "description": .from(description), "excluded_payment_method_types": nil, "last_payment_error": nil,
            "latest_charge": nil, "livemode": false, "metadata": metadata, "next_action": nil, "on_behalf_of": nil,
            "payment_method": .from(paymentMethod), "payment_method_configuration_details": nil,
            "payment_method_options": ["card": ["installments": nil, "mandate_options": nil, "network": nil,
                                                "request_three_d_secure": "automatic"]],
            "payment_method_types": ["card"], "processing": nil, "receipt_email": nil, "review": nil,
            "setup_future_usage": nil, "shipping": nil, "statement_descriptor": nil, "statement_descriptor_suffix": nil,
            "status": .string(paymentMethod == nil ? "requires_payment_method" : "requires_confirmation"),
            "transfer_data": nil, "transfer_group": nil,
        ]
        for (key, value) in extra { pi[key] = value }
        try ledger.store.insert(pi, type: "payment_intent")
        try ledger.emit(.paymentIntentCreated, pi)
        return pi
    }

    package enum Decision: Equatable {
        case approve
        case decline(TestCards.Decline)
        case requireAction
    }

    /// What the card does for this payment.
    package static func decide(card: Card, hidden: JSONValue, offSession: Bool, authenticated: Bool,
                       injected: TestCards.Decline?) -> Decision {
        let b = card.behavior
        if let d = b.declineOnAttach { return .decline(d) }
        if !authenticated {
            switch b.authentication {
            case .always: return .requireAction
            case .unlessSetUp where hidden["set_up"].boolValue != true: return .requireAction
            case .onSessionOnly where !offSession: return .requireAction
            default: break
            }
        }
        if let d = b.declineOnCharge { return .decline(d) }
        if let injected { return .decline(injected) }
        return .approve
    }

    /// Confirms a payment intent with a payment method: creates the charge, moves the intent,
    /// emits the events, and reports the outcome. The intent is saved.
    /// `declineIfActionNeeded` is set for API confirmations with `off_session=true`: with no customer
    /// present to authenticate, Stripe declines with `authentication_required`. Invoice collection
    /// instead leaves the intent in `requires_action`.
    package static func confirm(_ pi: inout JSONValue, paymentMethod pmID: String, offSession: Bool, _ ledger: Ledger,
                        authenticated: Bool = false, declineIfActionNeeded: Bool = false,
                        mandateAcceptance: JSONValue? = nil) throws -> Outcome {
        let now = try ledger.now(for: pi)
        let pm = try CardSource.instrument(pmID, ledger)
        if BankDebit.isBankDebit(pm) {
            return .processing(charge: try BankDebit.begin(&pi, pm: pm, acceptance: mandateAcceptance, now: now, ledger))
        }
        if pm["type"] == "customer_balance" { return try CashBalance.confirm(&pi, pm: pm, now: now, ledger) }
        let hidden = try ledger.store.hidden(pmID)
        let card = Card(hidden: hidden) ?? Card(number: "4242424242424242", expMonth: 12, expYear: 2099, cvcProvided: false, magicName: nil)
        pi["payment_method"] = .string(pmID)
        let injected = try FaultInjection.chargeDecline(ledger, customer: pi["customer"].stringValue, paymentMethod: pmID,
                                                        cardNumber: card.number)
        let decision = decide(card: card, hidden: hidden, offSession: offSession, authenticated: authenticated, injected: injected)
        if decision == .requireAction && declineIfActionNeeded {
            return try fail(&pi, pm: pm, card: card, decline: .authenticationRequired, now: now, ledger)
        }
        switch decision {
        case .requireAction:
            pi["status"] = "requires_action"
            pi["next_action"] = ["type": "use_stripe_sdk", "use_stripe_sdk": [
                "type": "three_d_secure_redirect",
                "stripe_js": .string("\(ledger.settings.baseURL)/_emulator/authenticate/\(pi["id"].stringValue!)"),
            ]]
            pi["last_payment_error"] = nil
            try ledger.store.update(pi)
            try ledger.emit(.paymentIntentRequiresAction, pi)
            return .requiresAction
        case .decline(let decline):
            return try fail(&pi, pm: pm, card: card, decline: decline, now: now, ledger)
        case .approve:
            var charge = try makeCharge(pi: pi, pm: pm, card: card, decline: nil, capture: !Capture.isManual(pi), now: now, ledger)
            if Capture.isManual(pi) {
                try Capture.authorize(&pi, charge: charge, now: now, ledger)
                return .succeeded(charge: charge)
            }
            try succeed(&pi, charge: charge, ledger)
            try DisputeEngine.openIfTestCard(&charge, ledger)
            return .succeeded(charge: charge)
        }
    }

    /// The intent is paid by a succeeded charge: saved, then `charge.succeeded` and
    /// `payment_intent.succeeded`.
    package static func succeed(_ pi: inout JSONValue, charge: JSONValue, _ ledger: Ledger) throws {
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        pi["latest_charge"] = charge["id"]
        pi["last_payment_error"] = nil
        pi["next_action"] = nil
        try ledger.store.update(pi)
        try ledger.emit(.chargeSucceeded, charge)
        try ledger.emit(.paymentIntentSucceeded, pi)
    }

    package static func fail(_ pi: inout JSONValue, pm: JSONValue, card: Card, decline: TestCards.Decline, now: Int,
                     _ ledger: Ledger) throws -> Outcome {
        let charge = try makeCharge(pi: pi, pm: pm, card: card, decline: decline, now: now, ledger)
        pi["status"] = "requires_payment_method"
        pi["latest_charge"] = charge["id"]
        pi["next_action"] = nil
        var error: JSONValue = [
            "charge": charge["id"], "code": .string(decline.code), "decline_code": .from(decline.declineCode),
            "doc_url": .from(decline.error().docURL), "message": .string(decline.message), "param": .from(decline.param),
            "payment_method": pm, "type": "card_error",
        ]
        // A card source's failure names it as the `source`, as Stripe's legacy errors do.
        if pm["object"] == "card" { error["payment_method"] = nil; error["source"] = pm }
        pi["last_payment_error"] = error
        try ledger.store.update(pi)
        try ledger.emit(.chargeFailed, charge)
        try ledger.emit(.paymentIntentPaymentFailed, pi)
        return .failed(charge: charge, decline: decline)
    }

    /// The customer failed the 3D Secure challenge: no charge is made (the card was never
    /// charged), the intent goes back to `requires_payment_method` with Stripe's
    /// `payment_intent_authentication_failure`, and only `payment_intent.payment_failed` is sent.
    package static func failAuthentication(_ pi: inout JSONValue, pm: JSONValue, _ ledger: Ledger) throws {
        let code = "payment_intent_authentication_failure"
        pi["status"] = "requires_payment_method"
        pi["next_action"] = nil
        pi["last_payment_error"] = [
            "code": .string(code), "doc_url": .string("https://stripe.com/docs/error-codes/payment-intent-authentication-failure"),
            "message": .string(authenticationFailureMessage), "payment_method": pm, "type": "invalid_request_error",
        ]
        try ledger.store.update(pi)
        try ledger.emit(.paymentIntentPaymentFailed, pi)
    }

    package static let authenticationFailureMessage =
        "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."

    /// A new charge for the intent. `capture: false` (manual capture) authorizes only: not
    /// captured, `amount_captured` 0, and the card details say when the authorization lapses.
    package static func makeCharge(pi: JSONValue, pm: JSONValue, card: Card, decline: TestCards.Decline?, capture: Bool = true,
                           now: Int, _ ledger: Ledger) throws -> JSONValue {
        let id = try ledger.newID("ch")
        let ok = decline == nil
        var details = card.paymentMethodJSON
        details["network"] = .string(card.brand)
        details["three_d_secure"] = nil
        details["network_token"] = ["used": false]
        details["amount_authorized"] = ok ? pi["amount"] : nil
        if ok && !capture { details["capture_before"] = .int(now + Capture.authorizationLifetime) }
        // What a card charge says about its authorization: none of these features is enabled.
        details["authorization_code"] = nil
        details["extended_authorization"] = ["status": "disabled"]
        details["incremental_authorization"] = ["status": "unavailable"]
        details["installments"] = nil
        details["mandate"] = nil
        details["multicapture"] = ["status": "unavailable"]
        details["network_transaction_id"] = nil
        details["overcapture"] = ["maximum_amount_capturable": pi["amount"], "status": "unavailable"]
        let isSource = pm["object"] == "card"
        var charge: JSONValue = [
            "id": .string(id), "object": "charge", "amount": pi["amount"], "amount_captured": ok && capture ? pi["amount"] : 0,
            "amount_refunded": 0, "application": nil, "application_fee": nil, "application_fee_amount": nil,
            "balance_transaction": nil, "billing_details": isSource ? CardSource.billingDetails(pm) : pm["billing_details"],
            "calculated_statement_descriptor": .string(try AccountObject.identity(ledger).descriptor), "captured": .bool(ok && capture), "created": .int(now),
            "currency": pi["currency"], "customer": pi["customer"], "description": pi["description"], "disputed": false,
            "failure_balance_transaction": nil, "failure_code": .from(decline?.code),
            "failure_message": .from(decline?.message), "fraud_details": [:], "livemode": false, "metadata": [:],
            "on_behalf_of": nil,
            "outcome": [
                "advice_code": nil, "network_advice_code": nil, "network_decline_code": nil,
                "network_status": ok ? "approved_by_network" : "declined_by_network",
                "reason": .from(decline?.declineCode), "risk_level": "normal", "risk_score": 32,
                "seller_message": ok ? "Payment complete." : "The bank did not return any further details with this decline.",
                "type": ok ? "authorized" : "issuer_declined",
            ],
            "paid": .bool(ok), "payment_intent": pi["id"], "payment_method": pm["id"],
            "payment_method_details": ["card": details, "type": "card"], "radar_options": [:],
            "receipt_email": nil, "receipt_number": nil,
            "receipt_url": .string("\(ledger.settings.baseURL)/_emulator/receipts/\(id)"),
            "refunded": false,
            "refunds": ["object": "list", "data": [], "has_more": false, "total_count": 0, "url": .string("/v1/charges/\(id)/refunds")],
            "review": nil, "shipping": pi["shipping"], "source_transfer": nil, "statement_descriptor": nil,
            "statement_descriptor_suffix": nil, "status": ok ? "succeeded" : "failed", "transfer_data": nil,
            "transfer_group": nil,
        ]
        // A charge on a card source also carries the card itself, as Stripe's do.
        if isSource { charge["source"] = pm }
        try ledger.store.insert(charge, type: "charge")
        return charge
    }

    /// The card error a failed confirmation answers with (402), carrying the charge and intent.
    package static func error(for decline: TestCards.Decline, pi: JSONValue, charge: JSONValue?) -> StripeError {
        var extra: [String: JSONValue] = ["payment_intent": pi, "payment_method": pi["last_payment_error"]["payment_method"]]
        if let charge { extra["charge"] = charge["id"] }
        if let source = pi["last_payment_error"]["source"].objectValue.map(JSONValue.object) {
            extra["payment_method"] = nil
            extra["source"] = source
        }
        return decline.error(extra: extra)
    }
}
