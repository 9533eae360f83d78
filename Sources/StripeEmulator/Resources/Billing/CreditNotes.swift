import GRDB
import StripeEngine
import StripeWire

/// `/v1/credit_notes`: create (by `amount` or `lines`), preview, retrieve, update (memo and
/// metadata), list, void, and the lines (``StripeEngine/CreditNotes`` has the rules).
enum CreditNotesAPI {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/credit_notes", create)
        r.read("/v1/credit_notes", list)
        r.get("/v1/credit_notes/preview", preview)
        r.get("/v1/credit_notes/preview/lines", previewLines)
        r.read("/v1/credit_notes/{id}", retrieve)
        r.post("/v1/credit_notes/{id}", update)
        r.post("/v1/credit_notes/{id}/void", void)
        r.read("/v1/credit_notes/{id}/lines", lines)
    }

    static func readRequest(_ req: inout APIRequest) throws -> CreditNoteRequest {
        var r = CreditNoteRequest()
        r.amount = try req.params.int("amount")
        r.creditAmount = try req.params.int("credit_amount")
        r.refundAmount = try req.params.int("refund_amount")
        r.outOfBandAmount = try req.params.int("out_of_band_amount")
        for (name, value) in [("amount", r.amount), ("credit_amount", r.creditAmount), ("refund_amount", r.refundAmount),
                              ("out_of_band_amount", r.outOfBandAmount)] {
            if let v = value, v < 0 { throw StripeError.invalidRequest("Invalid \(name): must be at least 0.", param: name) }
        }
        r.reason = try req.params.choice("reason", in: ["duplicate", "fraudulent", "order_change", "product_unsatisfactory"])
        r.memo = try req.params.nonEmpty("memo")
        r.metadata = try Metadata.apply(&req.params, to: [:])
        for i in 0..<(try req.params.count("lines")) {
            let base = ["lines", String(i)]
            guard let type = try req.params.string(base + ["type"]), !type.isEmpty else {
                throw StripeError.missingParam("lines[\(i)][type]")
            }
            guard type == "invoice_line_item" || type == "custom_line_item" else {
                throw StripeError.invalidValue("lines[\(i)][type]", "must be invoice_line_item or custom_line_item")
            }
            let description = try req.params.nonEmptyPath(base + ["description"])
            let quantity = try req.params.int(base + ["quantity"])
            if type == "invoice_line_item" {
                guard let id = try req.params.nonEmptyPath(base + ["invoice_line_item"]) else {
                    throw StripeError.missingParam("lines[\(i)][invoice_line_item]")
                }
                r.lines.append(.invoiceLine(id: id, amount: try req.params.int(base + ["amount"]), quantity: quantity, description: description))
            } else {
                guard let unit = try req.params.int(base + ["unit_amount"]) else { throw StripeError.missingParam("lines[\(i)][unit_amount]") }
                guard let description else { throw StripeError.missingParam("lines[\(i)][description]") }
                r.lines.append(.custom(description: description, unitAmount: unit, quantity: quantity ?? 1))
            }
        }
        return r
    }

    static func invoice(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(try req.params.requiredString("invoice"), type: "invoice", param: "invoice")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try invoice(&req)
        let request = try readRequest(&req)
        let ledger = req.ledger
        let now = try ledger.now(for: invoice)
        let built = try CreditNotes.build(request, invoice: invoice, now: now, ledger)
        return try CreditNotes.issue(built, invoice: &invoice, now: now, ledger)
    }

    /// The credit note `create` would make, with nothing stored.
    static func previewNote(_ req: inout APIRequest) throws -> JSONValue {
        let invoice = try invoice(&req)
        let request = try readRequest(&req)
        let ledger = req.ledger
        var note: JSONValue = .null
        try req.db.inSavepoint {
            note = try CreditNotes.build(request, invoice: invoice, now: try ledger.now(for: invoice), ledger).note
            return .rollback
        }
        // What the rolled-back savepoint wrote must not be read back from the transaction's copies.
        ledger.cache.forgetAll()
        note["id"] = .string("cnpreview_" + (note["id"].stringValue ?? "").replacingOccurrences(of: "cn_", with: ""))
        return note
    }

    static func preview(_ req: inout APIRequest) throws -> JSONValue { try previewNote(&req) }

    static func previewLines(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage(createdFilter: false)
        var lines = try previewNote(&req)["lines"]
        lines["url"] = "/v1/credit_notes/preview/lines"
        return lines
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "credit_note", noun: "credit note")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var note = try req.store.get(req.pathParam(), type: "credit_note", noun: "credit note")
        let before = note
        try note.setString("memo", from: &req.params)
        note["metadata"] = try Metadata.apply(&req.params, to: note["metadata"])
        try req.store.update(note)
        try req.ledger.emitUpdate(.creditNoteUpdated, before: before, after: note)
        return note
    }

    static func void(_ req: inout APIRequest) throws -> JSONValue {
        var note = try req.store.get(req.pathParam(), type: "credit_note", noun: "credit note")
        try CreditNotes.void(&note, req.ledger)
        return note
    }

    static func lines(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage(createdFilter: false)
        return try req.store.get(req.pathParam(), type: "credit_note", noun: "credit note")["lines"]
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let i = try req.params.nonEmpty("invoice") { filters.append(.field("invoice", equals: .string(i))) }
        return try req.store.list(type: "credit_note", filters: filters, page: page, url: "/v1/credit_notes", noun: "credit_note")
    }
}
