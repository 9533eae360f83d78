import StripeEngine
import StripeWire

/// `/v1/setup_intents`: save a card for later, with the test cards' outcomes: success attaches the
/// payment method to the customer, a declining card answers 402 and leaves the intent in
/// `requires_payment_method` with `last_setup_error`, an authentication card asks for `requires_action`.
enum SetupIntents {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/setup_intents", create)
        r.read("/v1/setup_intents", list)
        r.read("/v1/setup_intents/{intent}", retrieve)
        r.post("/v1/setup_intents/{intent}", update)
        r.post("/v1/setup_intents/{intent}/confirm", confirmRoute)
        r.post("/v1/setup_intents/{intent}/cancel", cancel)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "setup_intent", noun: "setupintent", param: "intent")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        var si = try SetupIntentObject.new(req.ledger, now: req.now)
        if let c = try req.params.nonEmpty("customer") {
            _ = try Customers.live(c, req, param: "customer")
            si["customer"] = .string(c)
        }
        try si.setString("description", from: &req.params)
        if let u = try req.params.choice("usage", in: ["off_session", "on_session"]) { si["usage"] = .string(u) }
        if let types = try req.params.strings("payment_method_types"), !types.isEmpty {
            guard types == ["card"] else {
                throw StripeError.invalidRequest("Only the 'card' payment method type is emulated.", param: "payment_method_types")
            }
        }
        if let enabled = try req.params.bool("automatic_payment_methods", "enabled") {
            si["automatic_payment_methods"] = ["allow_redirects": "always", "enabled": .bool(enabled)]
            _ = try req.params.string("automatic_payment_methods", "allow_redirects")
        }
        try si.setStrings("flow_directions", from: &req.params)
        try si.setBool("attach_to_self", from: &req.params)
        si["metadata"] = try Metadata.apply(&req.params, to: [:])
        _ = try req.params.string("on_behalf_of")
        try readPaymentMethod(&req, into: &si)
        let confirm = try req.params.bool("confirm") ?? false
        let returnURL = try req.params.nonEmpty("return_url")
        _ = try req.params.bool("use_stripe_sdk")
        try req.store.insert(si, type: "setup_intent")
        try req.ledger.emit(.setupIntentCreated, si)
        if confirm { return try self.confirm(&si, returnURL: returnURL, &req) }
        return si
    }

    /// `payment_method` or `payment_method_data` (a card), moving the intent to `requires_confirmation`.
    static func readPaymentMethod(_ req: inout APIRequest, into si: inout JSONValue) throws {
        if let pm = try req.params.nonEmpty("payment_method") {
            let stored = try PaymentMethods.live(pm, &req, param: "payment_method")
            si["payment_method"] = stored["id"]
        } else if req.params.has("payment_method_data") {
            guard try req.params.string("payment_method_data", "type") == "card" else {
                throw StripeError.invalidRequest("Only payment_method_data[type]=card is emulated.", param: "payment_method_data[type]")
            }
            let card: Card
            if let token = try req.params.nonEmpty("payment_method_data", "card", "token") {
                card = try Tokens.consume(token, &req, param: "payment_method_data[card][token]")
            } else {
                card = try Card.validate(number: try req.params.requiredString("payment_method_data", "card", "number"),
                                         expMonth: try req.params.int("payment_method_data", "card", "exp_month"),
                                         expYear: try req.params.int("payment_method_data", "card", "exp_year"),
                                         cvc: try req.params.string("payment_method_data", "card", "cvc"),
                                         now: req.now, paramPrefix: "payment_method_data[card]")
            }
            let billing = try Address.billingDetails(&req.params, ["payment_method_data", "billing_details"])
            si["payment_method"] = try PaymentMethods.store(card, &req, billingDetails: billing)["id"]
        } else {
            return
        }
        if si["status"].stringValue == "requires_payment_method" { si["status"] = "requires_confirmation" }
    }

    /// Runs the test card's setup outcome.
    static func confirm(_ si: inout JSONValue, returnURL: String?, _ req: inout APIRequest) throws -> JSONValue {
        let status = si["status"].stringValue ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(status) else {
            throw StripeError.invalidRequest(
                "You cannot confirm this SetupIntent because it has a status of \(status).", param: nil,
                code: "setup_intent_unexpected_state")
        }
        guard let pmID = si["payment_method"].stringValue else {
            throw StripeError.invalidRequest(
                "You cannot confirm this SetupIntent because it's missing a payment method. Update it with a payment method, or pass payment_method when confirming.",
                param: "payment_method", code: "setup_intent_unexpected_state")
        }
        var pm = try req.store.get(pmID, type: "payment_method", noun: "PaymentMethod", param: "payment_method")
        let card = try PaymentMethods.card(of: pm, req)
        if let decline = card.behavior.declineOnAttach {
            si["status"] = "requires_payment_method"
            si["payment_method"] = nil
            si["last_setup_error"] = [
                "code": .string(decline.code), "decline_code": .from(decline.declineCode),
                "doc_url": .from(decline.error().docURL), "message": .string(decline.message),
                "payment_method": pm, "type": "card_error",
            ]
            try req.store.update(si)
            try req.ledger.emit(.setupIntentSetupFailed, si)
            throw CommittedFailure(error: decline.error(extra: ["setup_intent": si, "payment_method": pm]))
        }
        let needsAuth = card.behavior.authentication == .always || card.behavior.authentication == .unlessSetUp
        if needsAuth && status != "requires_action" {
            si["status"] = "requires_action"
            si["last_setup_error"] = nil
            if let returnURL {
                si["next_action"] = ["type": "redirect_to_url", "redirect_to_url": [
                    "return_url": .string(returnURL),
                    "url": .string("\(req.settings.baseURL)/_emulator/authenticate/\(si["id"].stringValue!)"),
                ]]
            } else {
                si["next_action"] = ["type": "use_stripe_sdk", "use_stripe_sdk": [
                    "type": "three_d_secure_redirect", "stripe_js": .string("\(req.settings.baseURL)/_emulator/authenticate/\(si["id"].stringValue!)"),
                ]]
            }
            try req.store.update(si)
            try req.ledger.emit(.setupIntentRequiresAction, si)
            return si
        }
        si["status"] = "succeeded"
        si["next_action"] = nil
        si["last_setup_error"] = nil
        if let customer = si["customer"].stringValue, pm["customer"].isNull {
            pm["customer"] = .string(customer)
            try req.store.update(pm)
            try req.ledger.emit(.paymentMethodAttached, pm)
        }
        var hidden = try req.store.hidden(pmID)
        hidden["set_up"] = true
        try req.store.setHidden(pmID, hidden)
        try req.store.update(si)
        try req.ledger.emit(.setupIntentSucceeded, si)
        return si
    }

    static func confirmRoute(_ req: inout APIRequest) throws -> JSONValue {
        var si = try get(req.pathParam(), req)
        try readPaymentMethod(&req, into: &si)
        let returnURL = try req.params.nonEmpty("return_url")
        _ = try req.params.string("client_secret")
        _ = try req.params.bool("use_stripe_sdk")
        return try confirm(&si, returnURL: returnURL, &req)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let si = try get(req.pathParam(), req)
        _ = try req.params.string("client_secret")
        return si
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var si = try get(req.pathParam(), req)
        let status = si["status"].stringValue ?? ""
        guard !["succeeded", "canceled"].contains(status) else {
            throw StripeError.invalidRequest("You cannot update this SetupIntent because it has a status of \(status).",
                                             code: "setup_intent_unexpected_state")
        }
        if let c = try req.params.string("customer") {
            if c.isEmpty { si["customer"] = nil } else {
                _ = try Customers.live(c, req, param: "customer")
                si["customer"] = .string(c)
            }
        }
        try si.setString("description", from: &req.params)
        try si.setStrings("flow_directions", from: &req.params)
        try si.setBool("attach_to_self", from: &req.params)
        si["metadata"] = try Metadata.apply(&req.params, to: si["metadata"])
        if let types = try req.params.strings("payment_method_types"), !types.isEmpty, types != ["card"] {
            throw StripeError.invalidRequest("Only the 'card' payment method type is emulated.", param: "payment_method_types")
        }
        try readPaymentMethod(&req, into: &si)
        try req.store.update(si)
        return si
    }

    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        var si = try get(req.pathParam(), req)
        let status = si["status"].stringValue ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(status) else {
            throw StripeError.invalidRequest("You cannot cancel this SetupIntent because it has a status of \(status).",
                                             code: "setup_intent_unexpected_state")
        }
        si["status"] = "canceled"
        si["next_action"] = nil
        si["cancellation_reason"] = .from(try req.params.choice("cancellation_reason", in: ["abandoned", "duplicate", "requested_by_customer"]))
        try req.store.update(si)
        try req.ledger.emit(.setupIntentCanceled, si)
        return si
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let pm = try req.params.nonEmpty("payment_method") { filters.append(.field("payment_method", equals: .string(pm))) }
        if let a = try req.params.bool("attach_to_self") { filters.append(.field("attach_to_self", equals: .bool(a))) }
        return try req.store.list(type: "setup_intent", filters: filters, page: page, url: "/v1/setup_intents", noun: "setupintent")
    }
}
