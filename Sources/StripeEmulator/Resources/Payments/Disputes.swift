import StripeEngine
import StripeWire

/// `/v1/disputes`: the disputes the dispute test cards open, their evidence, and closing them.
///
/// Evidence file fields name uploaded files, which the fake does not store: a file id there is
/// Stripe's 404 for the file, and Visa enhanced evidence is a 400 that names it.
enum Disputes {
    static func register(_ r: inout APIRouter) {
        r.read("/v1/disputes", list)
        r.read("/v1/disputes/{id}", retrieve)
        r.post("/v1/disputes/{id}", update)
        r.post("/v1/disputes/{id}/close", close)
    }

    /// Stripe's limit on the text of all evidence fields together.
    static let evidenceCharacterLimit = 150_000

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "dispute", noun: "dispute")
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("charge") { filters.append(.field("charge", equals: .string(c))) }
        if let p = try req.params.nonEmpty("payment_intent") { filters.append(.field("payment_intent", equals: .string(p))) }
        return try req.store.list(type: "dispute", filters: filters, page: page, url: "/v1/disputes", noun: "dispute")
    }

    /// Metadata may change at any time; evidence only while the dispute awaits a response.
    /// Evidence is submitted unless `submit=false` (Stripe's default is to submit); an update
    /// without evidence submits only when `submit=true` is sent. Emits `charge.dispute.updated`
    /// with `previous_attributes` when anything changed.
    static func update(_ req: inout APIRequest) throws -> JSONValue {
        let before = try get(req.pathParam(), req)
        var dispute = before
        let id = before["id"].stringValue ?? ""
        let status = before["status"].stringValue ?? ""
        dispute["metadata"] = try Metadata.apply(&req.params, to: before["metadata"])
        let submitParam = try req.params.bool("submit")
        let hasEvidence = req.params.has("evidence")
        if hasEvidence {
            guard DisputeEngine.awaitingResponse.contains(status) else {
                throw StripeError.invalidRequest(
                    "The evidence of dispute \(id) cannot be changed because it has a status of \(status): evidence can only be submitted while a dispute awaits a response.",
                    param: "evidence")
            }
            try readEvidence(&dispute, &req)
            // "Whether evidence has been staged for this dispute."
            dispute["evidence_details"]["has_evidence"] = .bool((DisputeObject.textFields + DisputeObject.fileFields)
                .contains { !dispute["evidence"][$0].isNull })
        }
        if submitParam == true || (hasEvidence && submitParam != false) {
            guard DisputeEngine.awaitingResponse.contains(status) else {
                throw StripeError.invalidRequest(
                    "Dispute \(id) cannot be submitted because it has a status of \(status).", param: "submit")
            }
            try DisputeEngine.submit(&dispute, req.ledger)
        }
        try req.store.update(dispute)
        try req.ledger.emitUpdate(.chargeDisputeUpdated, before: before, after: dispute)
        return dispute
    }

    static func readEvidence(_ dispute: inout JSONValue, _ req: inout APIRequest) throws {
        if case .string(let s)? = req.params.raw(["evidence"]), s.isEmpty { req.params.consume(["evidence"]); return }
        for field in DisputeObject.textFields {
            guard let text = try req.params.string(["evidence", field]) else { continue }
            dispute["evidence"][field] = text.isEmpty ? nil : .string(text)
        }
        for field in DisputeObject.fileFields {
            guard let file = try req.params.string(["evidence", field]) else { continue }
            guard file.isEmpty else {
                throw StripeError.invalidRequest("No such file upload: '\(file)'", param: "evidence[\(field)]", code: "resource_missing")
            }
            dispute["evidence"][field] = nil
        }
        if req.params.has("evidence", "enhanced_evidence") {
            req.params.consume(["evidence", "enhanced_evidence"])
            throw StripeError.invalidRequest(
                "Enhanced evidence (Visa Compelling Evidence 3.0, Visa compliance) is not emulated by this fake Stripe.",
                param: "evidence[enhanced_evidence]")
        }
        let total = DisputeObject.textFields.reduce(0) { $0 + (dispute["evidence"][$1].stringValue?.count ?? 0) }
        guard total <= evidenceCharacterLimit else {
            throw StripeError.invalidRequest(
                "The combined character count of all evidence fields is limited to 150,000 (it was \(total)).", param: "evidence")
        }
    }

    static func close(_ req: inout APIRequest) throws -> JSONValue {
        var dispute = try get(req.pathParam(), req)
        try DisputeEngine.close(&dispute, req.ledger)
        return dispute
    }
}
