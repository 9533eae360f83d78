import GRDB
import StripeWire

/// Completing a Checkout Session, whether a person clicks through the hosted page or CI calls
/// the control API: the same code path, the same objects and events.
///
/// As since API version 2025-03-31 (basil), nothing of a failed attempt is kept: the customer,
/// payment method and subscription exist only once payment succeeded (or no payment was due),
/// and the session stays open for another try.
package enum CheckoutEngine {
    /// What the customer paid with.
    package enum Payment {
        case card(Card)
        case paymentMethod(String)
        /// A trial with `payment_method_collection=if_required`: no card at all.
        case none
    }

    package enum Outcome {
        case completed(JSONValue)
        case declined(TestCards.Decline)
        /// The card asks for 3D Secure; the page shows the challenge, then calls again with `authenticated`.
        case requiresAuthentication
    }

    package struct NotOpen: Error {}

    package static func needsCard(_ session: JSONValue) -> Bool {
        !(session["mode"] == "subscription" && session["payment_method_collection"] == "if_required"
            && session["payment_status"] == "no_payment_required")
    }

    package static func complete(_ sessionID: String, payment: Payment, email: String?, name: String?, authenticated: Bool,
                         _ ledger: Ledger) throws -> Outcome {
        guard let session = try ledger.store.find(sessionID)?.object, session["object"] == "checkout.session" else {
            throw StripeError.noSuch("checkout.session", sessionID, param: "session")
        }
        guard session["status"] == "open" else {
            throw StripeError.invalidRequest("This Checkout Session is \(session["status"].stringValue ?? "") and can no longer be paid.",
                                             code: "checkout_session_not_open")
        }
        if case .none = payment, needsCard(session) {
            throw StripeError.invalidRequest("A card is required to complete this Checkout Session.", param: "card")
        }
        var outcome: Outcome = .requiresAuthentication
        try ledger.db.inSavepoint {
            do {
                outcome = try attempt(session, payment: payment, email: email, name: name, authenticated: authenticated, ledger)
            } catch let e as StripeError where e.type == .cardError {
                outcome = .declined(TestCards.Decline(code: e.code ?? "card_declined", declineCode: e.declineCode,
                                                      message: e.message, param: e.param))
            }
            if case .completed = outcome { return .commit }
            return .rollback
        }
        if case .completed = outcome {} else { ledger.cache.forgetAll() }
        if case .declined = outcome, session["mode"] == "payment" {
            try keepFailedPayment(sessionID, payment: payment, email: email, name: name, ledger)
        }
        return outcome
    }

    private static func attempt(_ session: JSONValue, payment: Payment, email: String?, name: String?, authenticated: Bool,
                                _ ledger: Ledger) throws -> Outcome {
        var session = session
        let sessionID = session["id"].stringValue!
        let mode = session["mode"].stringValue ?? "payment"
        let now = try ledger.now(for: session)
        let hidden = try ledger.store.hidden(sessionID)
        let items = hidden["line_items"].arrayValue ?? []
        let email = email ?? session["customer_email"].stringValue

        // The customer: given, or created (payment mode only when a card will be saved).
        var customer: JSONValue? = nil
        if let c = session["customer"].stringValue {
            customer = try ledger.store.get(c, type: "customer")
        } else if mode != "payment" || session["customer_creation"] == "always"
                    || hidden["payment_intent_data"]["setup_future_usage"].stringValue != nil {
            // Saving the card for later (`payment_intent_data[setup_future_usage]`) needs a customer too.
            customer = try createCustomer(email: email, name: name, now: now, ledger)
        }

        // The payment method, attached (declining cards fail here, as on Stripe).
        var pm: JSONValue? = nil
        switch payment {
        case .card(let card):
            var stored = PaymentMethodObject.card(id: try ledger.newID("pm"), card: card, now: now)
            if let name { stored["billing_details"]["name"] = .string(name) }
            if let email { stored["billing_details"]["email"] = .string(email) }
            try ledger.store.insert(stored, type: "payment_method", hidden: card.hidden)
            pm = stored
        case .paymentMethod(let id):
            pm = try ledger.store.get(id, type: "payment_method", noun: "PaymentMethod", param: "payment_method")
        case .none:
            break
        }
        if let p = pm, let pmID = p["id"].stringValue {
            let card = Card(hidden: try ledger.store.hidden(pmID))
            if let decline = card?.behavior.declineOnAttach { throw decline.error() }
            if let card, needsAuthentication(card, hidden: try ledger.store.hidden(pmID)), !authenticated {
                return .requiresAuthentication
            }
            if authenticated {
                var h = try ledger.store.hidden(pmID)
                h["set_up"] = true
                try ledger.store.setHidden(pmID, h)
            }
        }
        if var c = customer, var p = pm, p["customer"].isNull, mode != "payment" {
            p["customer"] = c["id"]
            try ledger.store.update(p)
            try ledger.emit(.paymentMethodAttached, p)
            // Setup mode only saves the card: making it the default is the integration's call
            // (Stripe's guide does it through the API), so renewals never move to it unasked.
            if mode == "subscription" {
                let before = c
                c["invoice_settings"]["default_payment_method"] = p["id"]
                try ledger.store.update(c)
                try ledger.emitUpdate(.customerUpdated, before: before, after: c)
                customer = c
            }
            pm = p
        }

        switch mode {
        case "subscription":
            guard let customer else { throw StripeError.invalidRequest("A customer is required.") }
            let data = hidden["subscription_data"]
            var new = NewSubscription(customer: customer, items: items.filter { $0["price"]["type"] == "recurring" }.map {
                NewSubscription.Item(price: $0["price"], quantity: $0["quantity"].intValue ?? 1, metadata: [:])
            })
            new.defaultPaymentMethod = pm?["id"].stringValue
            new.paymentBehavior = "error_if_incomplete"
            new.authenticated = authenticated
            if let days = data["trial_period_days"].intValue { new.trialEnd = now + days * 86400 }
            if let end = data["trial_end"].intValue { new.trialEnd = end }
            new.metadata = data["metadata"].isNull ? [:] : data["metadata"]
            new.description = data["description"].stringValue
            if let m = data["missing_payment_method"].stringValue { new.missingPaymentMethod = m }
            new.billingCycleAnchor = data["billing_cycle_anchor"].intValue
            if let discount = try CheckoutDiscount.request(of: session, ledger) { new.discounts = [discount] }
            let sub = try SubscriptionEngine.create(new, ledger)
            session["subscription"] = sub["id"]
            session["invoice"] = sub["latest_invoice"]
            let invoice = try sub["latest_invoice"].stringValue.flatMap { try ledger.store.find($0)?.object }
            session["payment_status"] = (invoice?["amount_paid"].intValue ?? 0) > 0 ? "paid" : "no_payment_required"
        case "setup":
            guard let p = pm else { throw StripeError.invalidRequest("A card is required.", param: "card") }
            var si = try SetupIntentObject.new(ledger, now: now, customer: customer?["id"].stringValue, paymentMethod: p["id"].stringValue)
            si["status"] = "succeeded"
            let setupData = hidden["setup_intent_data"]
            if let d = setupData["description"].stringValue { si["description"] = .string(d) }
            if case .object = setupData["metadata"] { si["metadata"] = setupData["metadata"] }
            try ledger.store.insert(si, type: "setup_intent")
            try ledger.emit(.setupIntentCreated, si)
            try ledger.emit(.setupIntentSucceeded, si)
            session["setup_intent"] = si["id"]
            session["payment_status"] = "no_payment_required"
        default:
            guard let p = pm else { throw StripeError.invalidRequest("A card is required.", param: "card") }
            var pi = try paymentIntent(of: session, customer: customer?["id"].stringValue, paymentMethod: p["id"].stringValue!, now: now, ledger)
            switch try Payments.confirm(&pi, paymentMethod: p["id"].stringValue!, offSession: false, ledger, authenticated: authenticated) {
            case .failed(_, let decline): throw decline.error()
            case .requiresAction: return .requiresAuthentication
            case .succeeded, .processing: break
            }
            // `setup_future_usage` saves the card to the customer once the payment succeeded.
            if pi["setup_future_usage"].stringValue != nil, let c = customer?["id"].stringValue,
               var saved = try ledger.store.find(p["id"].stringValue!)?.object, saved["object"] == "payment_method", saved["customer"].isNull {
                saved["customer"] = .string(c)
                try ledger.store.update(saved)
                try ledger.emit(.paymentMethodAttached, saved)
            }
            session["payment_intent"] = pi["id"]
            // An authorization only (`capture_method=manual`) is not money received yet.
            // A bank debit still processing (`checkout.session.async_payment_*` follows) is not either.
            session["payment_status"] = pi["status"] == "succeeded" ? "paid" : "unpaid"
            if let discount = try CheckoutDiscount.request(of: session, ledger) {
                _ = try DiscountRequest.apply([discount], target: .init(customer: customer?["id"].stringValue, checkoutSession: sessionID),
                                              now: now, ledger)
            }
        }
        session["status"] = "complete"
        session["url"] = nil
        session["customer"] = .from(customer?["id"].stringValue)
        session["customer_details"] = [
            "address": nil, "business_name": nil, "email": .from(email ?? customer?["email"].stringValue), "individual_name": nil,
            "name": .from(name), "phone": nil, "tax_exempt": "none", "tax_ids": [],
        ]
        try ledger.store.update(session)
        try Scheduler.cancel(ledger, .expireCheckout, target: sessionID)
        try ledger.emit(.checkoutSessionCompleted, session)
        return .completed(session)
    }

    /// A bank debit behind a completed session settled: `checkout.session.async_payment_succeeded`
    /// (the session is `paid`) or `checkout.session.async_payment_failed` (it stays `unpaid`).
    package static func settled(paymentIntent pi: JSONValue, succeeded: Bool, _ ledger: Ledger) throws {
        guard let piID = pi["id"].stringValue,
              var session = try ledger.store.all(type: "checkout.session", filters: [.field("payment_intent", equals: .string(piID))]).last,
              session["status"] == "complete" else { return }
        if succeeded {
            session["payment_status"] = "paid"
            try ledger.store.update(session)
            try ledger.emit(.checkoutSessionAsyncPaymentSucceeded, session)
        } else {
            try ledger.emit(.checkoutSessionAsyncPaymentFailed, session)
        }
    }

    /// A payment-mode session's intent: the one an earlier failed attempt left, or a new one
    /// (since 2022-08-01 Stripe creates it when the customer confirms, not with the session).
    static func paymentIntent(of session: JSONValue, customer: String?, paymentMethod: String, now: Int,
                              _ ledger: Ledger) throws -> JSONValue {
        if let id = session["payment_intent"].stringValue, var pi = try ledger.store.find(id)?.object,
           pi["status"] == "requires_payment_method" {
            pi["payment_method"] = .string(paymentMethod)
            if pi["customer"].isNull, let customer { pi["customer"] = .string(customer) }
            return pi
        }
        // `payment_intent_data` from the session's creation shapes the intent.
        let data = try ledger.store.hidden(session["id"].stringValue!)["payment_intent_data"]
        var extra: [String: JSONValue] = [:]
        for f in ["receipt_email", "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_group"]
        where !data[f].isNull {
            extra[f] = data[f]
        }
        return try Payments.createIntent(ledger, amount: session["amount_total"].intValue ?? 0,
                                         currency: session["currency"].stringValue ?? "usd", customer: customer,
                                         paymentMethod: paymentMethod, description: data["description"].stringValue,
                                         metadata: data["metadata"].objectValue == nil ? [:] : data["metadata"],
                                         captureMethod: data["capture_method"].stringValue ?? "automatic", extra: extra, now: now)
    }

    /// A declined card in payment mode: the attempt was rolled back with the rest, but Stripe
    /// keeps it. The intent is confirmed again outside the savepoint so it stays
    /// `requires_payment_method` with `last_payment_error`, its `charge.failed` and
    /// `payment_intent.payment_failed` are sent, and the open session names it.
    /// With `authenticationFailed` the customer failed the 3D Secure challenge instead: no charge,
    /// `payment_intent_authentication_failure` (see ``Payments/failAuthentication(_:pm:_:)``).
    package static func keepFailedPayment(_ sessionID: String, payment: Payment, email: String?, name: String?,
                                          authenticationFailed: Bool = false, _ ledger: Ledger) throws {
        guard var session = try ledger.store.find(sessionID)?.object, session["mode"] == "payment", session["status"] == "open" else { return }
        let now = try ledger.now(for: session)
        let pmID: String
        switch payment {
        case .card(let card):
            var stored = PaymentMethodObject.card(id: try ledger.newID("pm"), card: card, now: now)
            if let name { stored["billing_details"]["name"] = .string(name) }
            if let email = email ?? session["customer_email"].stringValue { stored["billing_details"]["email"] = .string(email) }
            try ledger.store.insert(stored, type: "payment_method", hidden: card.hidden)
            pmID = stored["id"].stringValue!
        case .paymentMethod(let id):
            pmID = id
        case .none:
            return
        }
        var pi = try paymentIntent(of: session, customer: session["customer"].stringValue, paymentMethod: pmID, now: now, ledger)
        if authenticationFailed {
            try ledger.store.update(pi)
            try Payments.failAuthentication(&pi, pm: try ledger.store.get(pmID, type: "payment_method"), ledger)
        } else {
            _ = try Payments.confirm(&pi, paymentMethod: pmID, offSession: false, ledger, authenticated: true)
        }
        session["payment_intent"] = pi["id"]
        try ledger.store.update(session)
    }

    package static func createCustomer(email: String?, name: String?, now: Int, _ ledger: Ledger) throws -> JSONValue {
        let id = try ledger.newID("cus")
        let c = CustomerObject.new(id: id, created: now, email: email, name: name)
        try ledger.store.insert(c, type: "customer")
        try ledger.emit(.customerCreated, c)
        return c
    }

    /// On-session payments with these cards ask for 3D Secure (Checkout is on-session).
    package static func needsAuthentication(_ card: Card, hidden: JSONValue) -> Bool {
        switch card.behavior.authentication {
        case .always, .onSessionOnly: return true
        case .unlessSetUp: return hidden["set_up"].boolValue != true
        case .none: return false
        }
    }

    /// Open -> expired (the expire endpoint, or scheduled at `expires_at`).
    @discardableResult
    package static func expire(_ id: String, _ ledger: Ledger, onlyIfDue: Bool) throws -> JSONValue? {
        guard var session = try ledger.store.find(id)?.object, session["status"] == "open" else { return nil }
        let now = try ledger.now(for: session)
        if onlyIfDue, (session["expires_at"].intValue ?? 0) > now { return nil }
        session["status"] = "expired"
        session["url"] = nil
        try ledger.store.update(session)
        try Scheduler.cancel(ledger, .expireCheckout, target: id)
        try ledger.emit(.checkoutSessionExpired, session)
        return session
    }
}
