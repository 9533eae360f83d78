import StripeEngine
import StripeWire

/// Capturing an authorized payment: `POST /v1/payment_intents/{id}/capture` and the legacy
/// `POST /v1/charges/{id}/capture` (which captures the charge's intent and answers the charge).
///
/// Connect parameters (`application_fee_amount`, `transfer_data`) and multicapture
/// (`final_capture=false`) are 400s that name them.
enum Captures {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/payment_intents/{id}/capture", captureIntent)
        r.post("/v1/charges/{id}/capture", captureCharge)
    }

    static func captureIntent(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try PaymentIntents.get(req.pathParam(), req)
        let amount = try req.params.int("amount_to_capture")
        try capture(&pi, amount: amount, &req)
        return pi
    }

    static func captureCharge(_ req: inout APIRequest) throws -> JSONValue {
        let charge = try req.store.get(req.pathParam(), type: "charge", noun: "charge")
        guard let piID = charge["payment_intent"].stringValue else {
            throw StripeError.invalidRequest("This charge has no PaymentIntent to capture.")
        }
        if charge["captured"].boolValue == true {
            throw StripeError.invalidRequest("Charge \(charge["id"].stringValue ?? "") has already been captured.",
                                             code: "charge_already_captured")
        }
        var pi = try PaymentIntents.get(piID, req)
        let amount = try req.params.int("amount")
        if let e = try req.params.nonEmpty("receipt_email") { pi["receipt_email"] = .string(e) }
        if try req.params.nonEmpty("transfer_group") != nil {
            throw StripeError.invalidRequest("Connect transfer groups are not emulated by this fake Stripe.", param: "transfer_group")
        }
        if req.params.has("application_fee") {
            _ = req.params.value(["application_fee"])
            throw StripeError.invalidRequest("Connect application fees are not emulated by this fake Stripe.", param: "application_fee")
        }
        try capture(&pi, amount: amount, &req)
        return try req.store.get(req.pathParam(), type: "charge", noun: "charge")
    }

    /// The parameters both routes share, then the capture.
    static func capture(_ pi: inout JSONValue, amount: Int?, _ req: inout APIRequest) throws {
        pi["metadata"] = try Metadata.apply(&req.params, to: pi["metadata"])
        let descriptor = try req.params.nonEmpty("statement_descriptor")
        let suffix = try req.params.nonEmpty("statement_descriptor_suffix")
        for (name, value) in [("statement_descriptor", descriptor), ("statement_descriptor_suffix", suffix)] {
            if let value, value.count > 22 {
                throw StripeError.invalidRequest("The \(name) may be at most 22 characters long (it was \(value.count)).", param: name)
            }
        }
        if let d = descriptor { pi["statement_descriptor"] = .string(d) }
        if let s = suffix { pi["statement_descriptor_suffix"] = .string(s) }
        if try req.params.bool("final_capture") == false {
            throw StripeError.invalidRequest("Multicapture (final_capture=false) is not emulated by this fake Stripe.", param: "final_capture")
        }
        for name in ["application_fee_amount", "transfer_data"] where req.params.has(name) {
            _ = req.params.value([name])
            throw StripeError.invalidRequest("Connect parameters are not emulated by this fake Stripe (parameter \(name)).", param: name)
        }
        let ledger = req.ledger
        let email = pi["receipt_email"].stringValue
        try Capture.capture(&pi, amount: amount, ledger) { charge in
            if let d = descriptor { charge["statement_descriptor"] = .string(d) }
            if let s = suffix { charge["statement_descriptor_suffix"] = .string(s) }
            if let e = email { charge["receipt_email"] = .string(e) }
        }
    }
}
