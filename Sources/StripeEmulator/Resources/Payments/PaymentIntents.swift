import StripeEngine
import StripeWire

/// `/v1/payment_intents` and `/v1/charges`: one-off payments with the test cards' outcomes.
enum PaymentIntents {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/payment_intents", create)
        r.read("/v1/payment_intents", list)
        r.read("/v1/payment_intents/search", search)
        r.read("/v1/payment_intents/{id}", retrieve)
        r.post("/v1/payment_intents/{id}", update)
        r.post("/v1/payment_intents/{id}/confirm", confirmRoute)
        r.post("/v1/payment_intents/{id}/cancel", cancel)
        r.read("/v1/charges", listCharges)
        r.read("/v1/charges/{id}", retrieveCharge)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "payment_intent", noun: "payment_intent", param: "intent")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        guard let amount = try req.params.int("amount") else { throw StripeError.missingParam("amount") }
        guard amount >= 50 else {
            throw StripeError.invalidRequest("Amount must be at least 50 cents", param: "amount", code: "amount_too_small")
        }
        guard let currency = try req.params.currency("currency") else { throw StripeError.missingParam("currency") }
        var customer: JSONValue? = nil
        if let c = try req.params.nonEmpty("customer") { customer = try Customers.live(c, req, param: "customer") }
        let ledger = req.ledger
        let now = try customer.map { try ledger.now(for: $0) } ?? req.now
        var pmID: String? = nil
        if let pm = try req.params.nonEmpty("payment_method") {
            let found = try PaymentMethods.live(pm, &req, param: "payment_method")
            try checkSourceOwner(found, customer: customer?["id"].stringValue)
            pmID = found["id"].stringValue
        }
        if req.params.has("payment_method_data") {
            guard pmID == nil else {
                throw StripeError.invalidRequest("You cannot pass both payment_method and payment_method_data.", param: "payment_method_data")
            }
            pmID = try CustomerCashBalance.paymentMethod(fromData: &req)["id"].stringValue
        }
        let allowedTypes = ["card"] + BankDebit.types + ["customer_balance"]
        let types = try req.params.strings("payment_method_types") ?? []
        for t in types where !allowedTypes.contains(t) {
            throw StripeError.invalidRequest("Payment method type '\(t)' is not emulated; these are: \(allowedTypes.joined(separator: ", ")).",
                                             param: "payment_method_types")
        }
        _ = try req.params.bool("automatic_payment_methods", "enabled")
        _ = try req.params.string("automatic_payment_methods", "allow_redirects")
        // `manual` authorizes only (see Capture); `automatic_async` captures like `automatic`.
        let captureMethod = try req.params.choice("capture_method", in: ["automatic", "automatic_async", "manual"]) ?? "automatic"
        let confirmationMethod = try req.params.choice("confirmation_method", in: ["automatic", "manual"]) ?? "automatic"
        var pi = try Payments.createIntent(ledger, amount: amount, currency: currency.lowercased(), customer: customer?["id"].stringValue,
                                           paymentMethod: pmID, description: try req.params.nonEmpty("description"),
                                           metadata: try Metadata.apply(&req.params, to: [:]), captureMethod: captureMethod,
                                           confirmationMethod: confirmationMethod, now: now)
        if let e = try req.params.nonEmpty("receipt_email") { pi["receipt_email"] = .string(e) }
        if let s = try Address.shipping(&req.params, ["shipping"]) { pi["shipping"] = s }
        if let s = try req.params.choice("setup_future_usage", in: ["off_session", "on_session"]) { pi["setup_future_usage"] = .string(s) }
        if let s = try req.params.nonEmpty("statement_descriptor_suffix") { pi["statement_descriptor_suffix"] = .string(s) }
        if !types.isEmpty { pi["payment_method_types"] = .array(types.map { .string($0) }) }
        if let options = try CustomerCashBalance.options(&req.params) {
            // An intent paid only by bank transfer has only its options.
            if types == ["customer_balance"] { pi["payment_method_options"] = [:] }
            pi["payment_method_options"]["customer_balance"] = options
        }
        try req.store.update(pi)
        guard try req.params.bool("confirm") == true else { return pi }
        return try confirm(&pi, &req)
    }

    static func confirm(_ pi: inout JSONValue, _ req: inout APIRequest) throws -> JSONValue {
        let status = pi["status"].stringValue ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(status) else {
            throw StripeError.invalidRequest("You cannot confirm this PaymentIntent because it has a status of \(status).",
                                             code: "payment_intent_unexpected_state")
        }
        if let pm = try req.params.nonEmpty("payment_method") {
            let found = try PaymentMethods.live(pm, &req, param: "payment_method")
            try checkSourceOwner(found, customer: pi["customer"].stringValue)
            pi["payment_method"] = found["id"]
        }
        let offSession = try req.params.bool("off_session") ?? false
        _ = try req.params.nonEmpty("return_url")
        _ = try req.params.bool("use_stripe_sdk")
        _ = try req.params.string("client_secret")
        if let s = try req.params.choice("setup_future_usage", in: ["off_session", "on_session"]) { pi["setup_future_usage"] = .string(s) }
        if let cm = try req.params.choice("capture_method", in: ["automatic", "automatic_async", "manual"]) { pi["capture_method"] = .string(cm) }
        guard let pmID = pi["payment_method"].stringValue else {
            throw StripeError.invalidRequest(
                "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
                code: "payment_intent_unexpected_state")
        }
        let acceptance = try mandateData(&req)
        let ledger = req.ledger
        if let pm = try req.store.find(pmID)?.object, pm["type"] == "customer_balance",
           !(pi["payment_method_types"].arrayValue ?? []).contains("customer_balance") {
            throw StripeError.invalidRequest(
                "The PaymentIntent's payment_method_types do not include customer_balance: pass payment_method_types[]=customer_balance.",
                param: "payment_method")
        }
        if let pm = try req.store.find(pmID)?.object, BankDebit.isBankDebit(pm) {
            let type = pm["type"].stringValue!
            let currency = type == "sepa_debit" ? "eur" : "usd"
            guard pi["currency"].stringValue == currency else {
                throw StripeError.invalidRequest(
                    "The currency provided (\(pi["currency"].stringValue ?? "")) is invalid. Payments with \(type) support the following currencies: \(currency).",
                    param: "currency")
            }
            guard (pi["payment_method_types"].arrayValue ?? []).contains(.string(type)) else {
                throw StripeError.invalidRequest(
                    "The PaymentIntent's payment_method_types do not include \(type): pass payment_method_types[]=\(type).",
                    param: "payment_method")
            }
        }
        let outcome = try Payments.confirm(&pi, paymentMethod: pmID, offSession: offSession, ledger, declineIfActionNeeded: offSession,
                                           mandateAcceptance: acceptance)
        switch outcome {
        case .succeeded, .processing:
            if pi["setup_future_usage"].stringValue != nil, let c = pi["customer"].stringValue,
               var pm = try req.store.find(pmID)?.object, pm["customer"].isNull {
                pm["customer"] = .string(c)
                try req.store.update(pm)
                try ledger.emit(.paymentMethodAttached, pm)
            }
            return pi
        case .requiresAction:
            return pi
        case .failed(let charge, let decline):
            throw CommittedFailure(error: Payments.error(for: decline, pi: pi, charge: charge))
        }
    }

    /// `mandate_data[customer_acceptance]`: how the customer accepted a bank-debit mandate.
    static func mandateData(_ req: inout APIRequest) throws -> JSONValue? {
        let base = ["mandate_data", "customer_acceptance"]
        guard req.params.has(["mandate_data"]) else { return nil }
        guard let type = try req.params.choice("mandate_data", "customer_acceptance", "type", in: ["online", "offline"]) else {
            throw StripeError.missingParam("mandate_data[customer_acceptance][type]")
        }
        _ = try req.params.int(base + ["accepted_at"])
        if type == "online" {
            return ["type": "online", "offline": nil,
                    "online": ["ip_address": .from(try req.params.nonEmptyPath(base + ["online", "ip_address"])),
                               "user_agent": .from(try req.params.nonEmptyPath(base + ["online", "user_agent"]))]]
        }
        _ = req.params.value(base + ["offline"])
        return ["type": "offline", "offline": [:], "online": nil]
    }

    /// A card source can only pay for its own customer's intents.
    static func checkSourceOwner(_ instrument: JSONValue, customer: String?) throws {
        guard instrument["object"] == "card", instrument["customer"].stringValue != customer else { return }
        throw StripeError.invalidRequest(
            "The source \(instrument["id"].stringValue ?? "") does not belong to \(customer.map { "the customer \($0)" } ?? "a customer on this PaymentIntent"). Pass the customer that owns it.",
            param: "payment_method")
    }

    static func confirmRoute(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try get(req.pathParam(), req)
        return try confirm(&pi, &req)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.params.string("client_secret")
        return try get(req.pathParam(), req)
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try get(req.pathParam(), req)
        let status = pi["status"].stringValue ?? ""
        guard !["succeeded", "canceled", "processing"].contains(status) else {
            throw StripeError.invalidRequest("You cannot update this PaymentIntent because it has a status of \(status).",
                                             code: "payment_intent_unexpected_state")
        }
        // An authorized intent holds its amount on the card: what was authorized cannot change.
        for name in ["amount", "currency", "capture_method", "payment_method"] where status == "requires_capture" && req.params.has(name) {
            throw StripeError.invalidRequest(
                "You cannot update \(name) on this PaymentIntent because it has a status of requires_capture.",
                param: name, code: "payment_intent_unexpected_state")
        }
        if let a = try req.params.int("amount") { pi["amount"] = .int(a) }
        if let c = try req.params.currency("currency") { pi["currency"] = .string(c) }
        if let cm = try req.params.choice("capture_method", in: ["automatic", "automatic_async", "manual"]) { pi["capture_method"] = .string(cm) }
        if let c = try req.params.nonEmpty("customer") { pi["customer"] = try Customers.live(c, req, param: "customer")["id"] }
        try pi.setString("description", from: &req.params)
        try pi.setString("receipt_email", from: &req.params)
        if let s = try Address.shipping(&req.params, ["shipping"]) { pi["shipping"] = s }
        pi["metadata"] = try Metadata.apply(&req.params, to: pi["metadata"])
        if let pm = try req.params.nonEmpty("payment_method") {
            pi["payment_method"] = try PaymentMethods.live(pm, &req, param: "payment_method")["id"]
            if pi["status"] == "requires_payment_method" { pi["status"] = "requires_confirmation" }
        }
        try req.store.update(pi)
        return pi
    }

    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try get(req.pathParam(), req)
        let status = pi["status"].stringValue ?? ""
        guard ["requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"].contains(status) else {
            throw StripeError.invalidRequest("You cannot cancel this PaymentIntent because it has a status of \(status). Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
                                             code: "payment_intent_unexpected_state")
        }
        let reason = try req.params.choice("cancellation_reason", in: ["duplicate", "fraudulent", "requested_by_customer", "abandoned"])
        // An authorized intent releases its hold first: the charge is refunded in full.
        try Capture.releaseOnCancel(&pi, req.ledger)
        // A partly funded bank transfer's money goes back to the customer's cash balance.
        try CashBalance.returnFunds(of: pi, req.ledger)
        pi["status"] = "canceled"
        pi["canceled_at"] = .int(try req.ledger.now(for: pi))
        pi["cancellation_reason"] = .from(reason)
        pi["next_action"] = nil
        try req.store.update(pi)
        try req.ledger.emit(.paymentIntentCanceled, pi)
        return pi
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        return try req.store.list(type: "payment_intent", filters: filters, page: page, url: "/v1/payment_intents", noun: "payment_intent")
    }

    static func search(_ req: inout APIRequest) throws -> JSONValue {
        try req.search(type: "payment_intent", url: "/v1/payment_intents/search")
    }

    static func listCharges(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let pi = try req.params.nonEmpty("payment_intent") { filters.append(.field("payment_intent", equals: .string(pi))) }
        return try req.store.list(type: "charge", filters: filters, page: page, url: "/v1/charges", noun: "charge")
    }

    static func retrieveCharge(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "charge", noun: "charge")
    }
}
