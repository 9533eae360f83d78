import StripeEngine
import StripeWire

/// `/v1/refunds` and the charge-scoped refund routes (`/v1/charges/{id}/refunds`,
/// `/v1/charges/{id}/refund`): refunds of card charges, by charge or by payment intent.
///
/// Refunds to a customer's cash balance and Connect reversals are not emulated: their
/// parameters are 400s that say so, never silently dropped.
enum Refunds {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/refunds", create)
        r.read("/v1/refunds", list)
        r.read("/v1/refunds/{id}", retrieve)
        r.post("/v1/refunds/{id}", update)
        r.post("/v1/refunds/{id}/cancel", cancel)
        r.read("/v1/charges/{charge}/refunds", listForCharge)
        r.post("/v1/charges/{charge}/refunds", createForCharge)
        r.read("/v1/charges/{charge}/refunds/{refund}", retrieveForCharge)
        r.post("/v1/charges/{charge}/refunds/{refund}", updateForCharge)
        r.post("/v1/charges/{charge}/refund", refundCharge)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "refund", noun: "refund")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let chargeID = try req.params.nonEmpty("charge")
        let piID = try req.params.nonEmpty("payment_intent")
        var charge: JSONValue
        switch (chargeID, piID) {
        case (nil, nil):
            throw StripeError.invalidRequest("One of the following params should be provided for this request: charge or payment_intent.")
        case (let c?, let p?):
            charge = try req.store.get(c, type: "charge", noun: "charge", param: "charge")
            guard charge["payment_intent"].stringValue == p else {
                throw StripeError.invalidRequest("The charge \(c) does not belong to the PaymentIntent \(p).", param: "payment_intent")
            }
        case (let c?, nil):
            charge = try req.store.get(c, type: "charge", noun: "charge", param: "charge")
        case (nil, let p?):
            let pi = try req.store.get(p, type: "payment_intent", noun: "payment_intent", param: "payment_intent")
            guard let latest = pi["latest_charge"].stringValue, pi["status"] == "succeeded" || pi["status"] == "requires_capture" else {
                throw StripeError.invalidRequest(
                    "This PaymentIntent (\(p)) does not have a successful charge to refund.", param: "payment_intent")
            }
            charge = try req.store.get(latest, type: "charge", noun: "charge", param: "payment_intent")
        }
        return try refund(&charge, &req)
    }

    /// Reads the refund parameters shared by every route that creates one, and refunds.
    static func refund(_ charge: inout JSONValue, _ req: inout APIRequest) throws -> JSONValue {
        let amount = try req.params.int("amount")
        let reason = try req.params.choice("reason", in: ["duplicate", "fraudulent", "requested_by_customer"])
        let metadata = try Metadata.apply(&req.params, to: [:])
        let email = try req.params.nonEmpty("instructions_email")
        try refuseNotEmulated(&req)
        let validated = try RefundEngine.validate(charge, amount: amount, req.store)
        return try RefundEngine.create(req.ledger, charge: &charge, amount: validated, reason: reason, metadata: metadata,
                                       instructionsEmail: email)
    }

    /// Parameters Stripe accepts for refunds the emulator does not model: a 400 naming each.
    static func refuseNotEmulated(_ req: inout APIRequest) throws {
        for (name, what) in [("customer", "Refunds to a customer's cash balance"), ("currency", "Refunds to a customer's cash balance"),
                             ("origin", "Refunds to a customer's cash balance"),
                             ("refund_application_fee", "Connect application fee refunds"),
                             ("reverse_transfer", "Connect transfer reversals")] {
            if req.params.has(name) {
                _ = req.params.value([name])
                throw StripeError.invalidRequest("\(what) are not emulated by this fake Stripe (parameter \(name)).", param: name)
            }
        }
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        let before = try get(req.pathParam(), req)
        return try applyUpdate(before, &req)
    }

    static func applyUpdate(_ before: JSONValue, _ req: inout APIRequest) throws -> JSONValue {
        var after = before
        after["metadata"] = try Metadata.apply(&req.params, to: before["metadata"])
        try RefundEngine.update(req.ledger, before: before, after: after)
        return after
    }

    /// Only a refund waiting for the customer (`requires_action`, cash-balance and bank refunds)
    /// can be canceled; card refunds never wait, so for them this is always Stripe's 400.
    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        let refund = try get(req.pathParam(), req)
        let status = refund["status"].stringValue ?? ""
        guard status == "requires_action" else {
            throw StripeError.invalidRequest(
                "Refund \(refund["id"].stringValue ?? "") cannot be canceled because it has a status of \(status). Only a refund with a status of requires_action can be canceled.")
        }
        return refund
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("charge") { filters.append(.field("charge", equals: .string(c))) }
        if let p = try req.params.nonEmpty("payment_intent") { filters.append(.field("payment_intent", equals: .string(p))) }
        return try req.store.list(type: "refund", filters: filters, page: page, url: "/v1/refunds", noun: "refund")
    }

    static func charge(_ req: APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(0), type: "charge", noun: "charge", param: "charge")
    }

    /// A refund that belongs to the charge in the path, else Stripe's 404.
    static func refund(ofCharge req: APIRequest) throws -> JSONValue {
        let charge = try charge(req)
        let refund = try get(req.pathParam(1), req)
        guard refund["charge"] == charge["id"] else { throw StripeError.noSuch("refund", req.pathParam(1)) }
        return refund
    }

    static func listForCharge(_ req: inout APIRequest) throws -> JSONValue {
        let id = try charge(req)["id"].stringValue ?? ""
        let (page, filters) = try req.listPage(createdFilter: false)
        return try req.store.list(type: "refund", filters: filters + [.field("charge", equals: .string(id))], page: page,
                                  url: "/v1/charges/\(id)/refunds", noun: "refund")
    }

    static func createForCharge(_ req: inout APIRequest) throws -> JSONValue {
        var c = try charge(req)
        return try refund(&c, &req)
    }

    static func retrieveForCharge(_ req: inout APIRequest) throws -> JSONValue { try refund(ofCharge: req) }

    static func updateForCharge(_ req: inout APIRequest) throws -> JSONValue {
        try applyUpdate(try refund(ofCharge: req), &req)
    }

    /// The legacy `POST /v1/charges/{id}/refund`: refunds, answers with the charge.
    static func refundCharge(_ req: inout APIRequest) throws -> JSONValue {
        var c = try charge(req)
        _ = try refund(&c, &req)
        return try charge(req)
    }
}
