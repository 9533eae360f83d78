import StripeEngine
import StripeWire

/// Headless completion of hosted pages, for CI and scenarios. Same code path as the pages:
/// ``CheckoutEngine`` and ``PortalActions``.
enum HostedPageControlRoutes {
    static func register(_ r: inout APIRouter) {
        r.post("/_emulator/checkout/{id}/complete", completeCheckout)
        r.post("/_emulator/portal/{id}/actions", portalAction)
        r.post("/_emulator/invoices/{id}/pay", payInvoice)
    }

    /// A card given as a number (with optional expiry and CVC), a magic test id, a real `tok_`
    /// token (used up), or an existing payment method id.
    static func payment(_ params: inout Params, _ req: inout APIRequest) throws -> CheckoutEngine.Payment {
        let value = try params.string("card")
        if let v = value, v.hasPrefix("tok_"), TestCards.magic(forID: v) == nil {
            return .card(try Tokens.consume(v, &req, param: "card"))
        }
        return try CardInput.payment(value, exp: try params.string("exp"), expMonth: try params.int("exp_month"),
                                     expYear: try params.int("exp_year"), cvc: try params.string("cvc"), now: req.now)
    }

    static func completeCheckout(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        _ = try CheckoutSessions.get(id, req)
        var params = req.params
        let payment = try self.payment(&params, &req)
        req.params = params
        let authentication = try req.params.choice("authentication", in: ["complete", "fail"])
        let email = try req.params.nonEmpty("email")
        let name = try req.params.nonEmpty("name")
        if let code = try req.params.nonEmpty("promotion_code") { try CheckoutDiscount.enterCode(code, sessionID: id, req.ledger) }
        if authentication == "fail" {
            // The customer failed the challenge: the session stays open; in payment mode its intent
            // keeps the failure (`payment_intent_authentication_failure`, no charge), as on Stripe.
            let outcome = try CheckoutEngine.complete(id, payment: payment, email: email, name: name, authenticated: false, req.ledger)
            if case .completed(let session) = outcome { return session }
            if case .requiresAuthentication = outcome {
                try CheckoutEngine.keepFailedPayment(id, payment: payment, email: email, name: name, authenticationFailed: true, req.ledger)
            }
            throw CommittedFailure(error: StripeError(status: 402, type: .cardError, code: "payment_intent_authentication_failure",
                              message: "We are unable to authenticate your payment method. Please choose a different payment method and try again."))
        }
        switch try CheckoutEngine.complete(id, payment: payment, email: email, name: name, authenticated: authentication == "complete", req.ledger) {
        case .completed(let session):
            return session
        case .declined(let decline):
            // Committed: a payment-mode session keeps the failed attempt (its intent and charge).
            throw CommittedFailure(error: decline.error())
        case .requiresAuthentication:
            throw StripeError(status: 402, type: .cardError, code: "authentication_required", declineCode: "authentication_required",
                              message: "This card requires 3D Secure: pass authentication=complete (or fail) to answer the challenge.")
        }
    }

    static func portalAction(_ req: inout APIRequest) throws -> JSONValue {
        let session = try req.store.get(req.pathParam(), type: "billing_portal.session", noun: "billing portal session")
        let customer = session["customer"].stringValue ?? ""
        guard let name = try req.params.choice("action", in: ["cancel", "undo_cancel", "switch_plan", "update_card", "apply_promotion_code"]) else {
            throw StripeError.missingParam("action")
        }
        var subscription = try req.params.nonEmpty("subscription")
        if subscription == nil, name != "update_card" {
            subscription = try req.store.all(type: "subscription", filters: [.column("customer", customer)])
                .last { SubscriptionEngine.live.contains($0["status"].stringValue ?? "") }?["id"].stringValue
            guard subscription != nil else { throw StripeError.invalidRequest("This customer has no active subscription.", param: "subscription") }
        }
        let action: PortalActions.Action
        switch name {
        case "cancel":
            action = .cancel(subscription: subscription!, reason: try req.params.nonEmpty("reason"), comment: try req.params.nonEmpty("comment"))
        case "undo_cancel":
            action = .undoCancel(subscription: subscription!)
        case "switch_plan":
            action = .switchPlan(subscription: subscription!, price: try req.params.requiredString("price"))
        case "apply_promotion_code":
            action = .applyPromotionCode(subscription: subscription!, code: try req.params.requiredString("promotion_code"))
        default:
            var params = req.params
            let payment = try self.payment(&params, &req)
            req.params = params
            guard case .card(let card) = payment else { throw StripeError.missingParam("card") }
            action = .updateCard(card, authentication: try req.params.choice("authentication", in: ["complete", "fail"]))
        }
        do {
            let message = try PortalActions.perform(action, session: session, req.ledger)
            return ["object": "emulator.portal_action", "action": .string(name), "message": .string(message),
                    "subscription": .from(subscription)]
        } catch let refused as PortalActions.Refused {
            // Committed: a failed 3D Secure challenge leaves its SetupIntent (setup_failed), as the page does.
            throw CommittedFailure(error: StripeError.invalidRequest(refused.message, param: "action"))
        } catch is PortalActions.NeedsAuthentication {
            throw StripeError(status: 402, type: .cardError, code: "authentication_required", declineCode: "authentication_required",
                              message: "This card requires 3D Secure to be saved: pass authentication=complete (or fail) to answer the challenge.")
        }
    }

    /// The customer pays an open invoice on its hosted page (the link Stripe's "payment failed"
    /// emails carry): on-session, with the card on file or a new `card` (saved to the customer),
    /// answering a 3D Secure challenge with `authentication=complete|fail`.
    static func payInvoice(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try Invoices.get(req.pathParam(), req)
        guard invoice["status"] == "open" || invoice["status"] == "uncollectible" else {
            throw StripeError.invalidRequest("This invoice is \(invoice["status"].stringValue ?? "") and cannot be paid.", code: "invoice_not_open")
        }
        let customer = invoice["customer"].stringValue!
        var pmID: String? = nil
        if req.params.has("card") {
            var params = req.params
            let payment = try self.payment(&params, &req)
            req.params = params
            switch payment {
            case .card(let card):
                if let decline = card.behavior.declineOnAttach { throw decline.error() }
                pmID = try PaymentMethods.store(card, &req)["id"].stringValue
            case .paymentMethod(let id): pmID = id
            case .none: break
            }
            if let id = pmID { _ = try PaymentMethods.attach(id, to: customer, &req, param: "card") }
        }
        let authentication = try req.params.choice("authentication", in: ["complete", "fail"])
        guard try pmID ?? Invoicing.paymentMethod(for: invoice, req.ledger) != nil else {
            throw StripeError.invalidRequest("This customer has no card on file: pass card.", param: "card")
        }
        let ledger = req.ledger
        let result = try Invoicing.collect(&invoice, ledger, offSession: false, paymentMethod: pmID, authenticated: authentication == "complete")
        // The customer paying on the page moves the subscription when it works; a failed try by
        // the customer is recorded on the invoice but does not drive dunning (that is Stripe's own retries).
        if result == .paid { try SubscriptionEngine.afterCollection(invoice: invoice, result: result, ledger) }
        let piID = invoice["payments"]["data"].arrayValue?.last?["payment"]["payment_intent"].stringValue
        switch result {
        case .paid, .nothingDue, .processing:
            return try Invoices.get(invoice["id"].stringValue!, req)
        case .failed(let decline):
            let pi = try piID.flatMap { try req.store.find($0)?.object } ?? .null
            throw CommittedFailure(error: decline.map { Payments.error(for: $0, pi: pi, charge: nil) }
                                   ?? StripeError.invalidRequest("This customer has no card on file: pass card.", param: "card"))
        case .requiresAction:
            if authentication == "fail", let piID, var pi = try req.store.find(piID)?.object, let pm = pi["payment_method"].stringValue {
                try Payments.failAuthentication(&pi, pm: try req.store.get(pm, type: "payment_method"), ledger)
                throw CommittedFailure(error: StripeError(status: 402, type: .cardError, code: "payment_intent_authentication_failure",
                                                          message: Payments.authenticationFailureMessage))
            }
            throw CommittedFailure(error: StripeError(status: 402, type: .cardError, code: "authentication_required",
                                                      declineCode: "authentication_required",
                                                      message: "This card requires 3D Secure: pass authentication=complete (or fail) to answer the challenge."))
        }
    }
}
