import StripeEngine
import StripeWire

/// Headless completion of hosted pages, for CI and scenarios. Same code path as the pages:
/// ``CheckoutEngine`` and ``PortalActions``.
enum HostedPageControlRoutes {
    static func register(_ r: inout APIRouter) {
        r.post("/_emulator/checkout/{id}/complete", completeCheckout)
        r.post("/_emulator/portal/{id}/actions", portalAction)
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
        if authentication == "fail" {
            // The customer failed the challenge: nothing happens, the session stays open.
            let outcome = try CheckoutEngine.complete(id, payment: payment, email: email, name: name, authenticated: false, req.ledger)
            if case .completed(let session) = outcome { return session }
            throw StripeError(status: 402, type: .cardError, code: "payment_intent_authentication_failure",
                              message: "We are unable to authenticate your payment method. Please choose a different payment method and try again.")
        }
        switch try CheckoutEngine.complete(id, payment: payment, email: email, name: name, authenticated: authentication == "complete", req.ledger) {
        case .completed(let session):
            return session
        case .declined(let decline):
            throw decline.error()
        case .requiresAuthentication:
            throw StripeError(status: 402, type: .cardError, code: "authentication_required", declineCode: "authentication_required",
                              message: "This card requires 3D Secure: pass authentication=complete (or fail) to answer the challenge.")
        }
    }

    static func portalAction(_ req: inout APIRequest) throws -> JSONValue {
        let session = try req.store.get(req.pathParam(), type: "billing_portal.session", noun: "billing portal session")
        let customer = session["customer"].stringValue ?? ""
        guard let name = try req.params.choice("action", in: ["cancel", "undo_cancel", "switch_plan", "update_card"]) else {
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
        default:
            var params = req.params
            let payment = try self.payment(&params, &req)
            req.params = params
            guard case .card(let card) = payment else { throw StripeError.missingParam("card") }
            action = .updateCard(card)
        }
        do {
            let message = try PortalActions.perform(action, session: session, req.ledger)
            return ["object": "emulator.portal_action", "action": .string(name), "message": .string(message),
                    "subscription": .from(subscription)]
        } catch let refused as PortalActions.Refused {
            throw StripeError.invalidRequest(refused.message, param: "action")
        }
    }
}
