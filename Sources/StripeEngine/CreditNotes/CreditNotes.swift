import StripeWire

/// Credit notes: money given back on a finalized invoice without voiding it.
///
/// On an open invoice the credit lowers what is still owed (`pre_payment_amount`, the invoice's
/// `pre_payment_credit_notes_amount`, `amount_due` and `amount_remaining`); a credit that leaves
/// nothing owed marks it paid. On a paid invoice (`post_payment_amount`) the credit goes to the
/// customer's balance (`credit_amount`, a `credit_note` balance transaction), back to the card
/// (`refund_amount`), or was settled elsewhere (`out_of_band_amount`); the three add up to the
/// credit note's total (all to the balance when none is given).
///
/// Lines on an invoice line credit its amount (or `quantity` × its unit price) plus the tax its
/// rates put on that amount; a custom line credits `unit_amount × quantity` with no tax.
/// Discounts are not re-split over credit note lines: a line credits what it says.
package enum CreditNotes {
    /// A credit note as built, with where a paid invoice's credit goes.
    package struct Built {
        package var note: JSONValue
        package var creditAmount: Int
        package var refundAmount: Int
    }

    /// Builds the credit note (not stored): the shared work of create and preview.
    package static func build(_ request: CreditNoteRequest, invoice: JSONValue, now: Int, _ ledger: Ledger) throws -> Built {
        let status = invoice["status"].stringValue ?? ""
        guard ["open", "paid", "uncollectible"].contains(status) else {
            throw StripeError.invalidRequest("You can only create a credit note for an open, paid or uncollectible invoice; this one is \(status).",
                                             param: "invoice", code: "invoice_not_editable")
        }
        let id = try ledger.newID("cn")
        let invoiceLines = invoice["lines"]["data"].arrayValue ?? []
        var lines: [JSONValue] = []
        var subtotal = 0, taxTotal = 0, inclusiveTax = 0
        for (k, line) in request.lines.enumerated() {
            let param = "lines[\(k)]"
            switch line {
            case .invoiceLine(let lineID, let amount, let quantity, let description):
                guard let il = invoiceLines.first(where: { $0["id"].stringValue == lineID }) else {
                    throw StripeError.invalidRequest("No such invoice line item on this invoice: '\(lineID)'", param: param + "[invoice_line_item]",
                                                     code: "resource_missing")
                }
                let lineAmount = il["amount"].intValue ?? 0
                let q = il["quantity"].intValue ?? 1
                let unit = q > 0 ? lineAmount / q : lineAmount
                let credited: Int
                if let amount { credited = amount } else if let quantity { credited = unit * quantity } else { credited = lineAmount }
                guard credited >= 0, credited <= max(0, lineAmount) else {
                    throw StripeError.invalidRequest("The amount credited for invoice line \(lineID) (\(credited)) is more than the line's amount (\(lineAmount)).",
                                                     param: param + "[amount]")
                }
                let rates = try (il["taxes"].arrayValue ?? []).compactMap { t -> TaxMath.Rate? in
                    guard let rid = t["tax_rate_details"]["tax_rate"].stringValue, let r = try ledger.store.find(rid)?.object else { return nil }
                    return .init(id: rid, percentage: r["percentage"].doubleValue ?? 0, inclusive: r["inclusive"] == true)
                }
                let exempt = ["exempt", "reverse"].contains(invoice["customer_tax_exempt"].stringValue ?? "none")
                let taxes = TaxMath.taxes(net: credited, rates: rates, exempt: exempt)
                for t in taxes { if t.inclusive { inclusiveTax += t.amount } else { taxTotal += t.amount } }
                subtotal += credited
                lines.append(try makeLine(ledger, type: "invoice_line_item", invoiceLine: lineID, amount: credited,
                                      description: description ?? il["description"].stringValue, quantity: quantity ?? (amount == nil ? q : nil),
                                      unitAmount: amount == nil ? unit : nil, taxes: taxes, rates: try rates.compactMap { try ledger.store.find($0.id)?.object },
                                      reason: TaxMath.reason(customerTaxExempt: invoice["customer_tax_exempt"].stringValue)))
            case .custom(let description, let unitAmount, let quantity):
                guard unitAmount >= 0, quantity > 0 else {
                    throw StripeError.invalidRequest("A custom credit note line needs a unit_amount of at least 0 and a quantity of at least 1.", param: param)
                }
                let amount = unitAmount * quantity
                subtotal += amount
                lines.append(try makeLine(ledger, type: "custom_line_item", invoiceLine: nil, amount: amount, description: description,
                                      quantity: quantity, unitAmount: unitAmount, taxes: [], rates: []))
            }
        }
        var total = subtotal + taxTotal
        if let amount = request.amount {
            if request.lines.isEmpty {
                total = amount
                subtotal = amount
            } else if amount != total {
                throw StripeError.invalidRequest("The amount (\(amount)) must equal the total of the lines (\(total)).", param: "amount")
            }
        }
        guard total > 0 else {
            throw StripeError.invalidRequest("A credit note must credit an amount greater than 0: give amount or lines.", param: "amount")
        }
        let invoiceID = invoice["id"].stringValue!
        let previous = try ledger.store.all(type: "credit_note", filters: [.field("invoice", equals: .string(invoiceID))])
        let prePayment = status != "paid"
        var pre = 0, post = 0
        var credit = 0, refund = 0, outOfBand = 0
        if prePayment {
            let remaining = invoice["amount_remaining"].intValue ?? 0
            guard total <= remaining else {
                throw StripeError.invalidRequest(
                    "The credit note's total (\(total)) is more than the invoice's amount remaining (\(remaining)).", param: "amount")
            }
            guard request.refundAmount == nil, request.creditAmount == nil || request.creditAmount == 0 else {
                throw StripeError.invalidRequest("refund_amount and credit_amount apply to paid invoices only.",
                                                 param: request.refundAmount != nil ? "refund_amount" : "credit_amount")
            }
            outOfBand = request.outOfBandAmount ?? 0
            pre = total
        } else {
            let alreadyCredited = previous.filter { $0["status"] == "issued" }.compactMap { $0["amount"].intValue }.reduce(0, +)
            let creditable = (invoice["total"].intValue ?? 0) - alreadyCredited
            guard total <= max(creditable, 0) else {
                throw StripeError.invalidRequest(
                    "The credit note's total (\(total)) is more than what is left to credit on this invoice (\(max(creditable, 0))).", param: "amount")
            }
            refund = request.refundAmount ?? 0
            outOfBand = request.outOfBandAmount ?? 0
            credit = request.creditAmount ?? (request.refundAmount == nil && request.outOfBandAmount == nil ? total : 0)
            guard credit + refund + outOfBand == total else {
                throw StripeError.invalidRequest(
                    "The sum of credit_amount (\(credit)), refund_amount (\(refund)) and out_of_band_amount (\(outOfBand)) must equal the credit note's total (\(total)).",
                    param: "credit_amount")
            }
            post = total
        }
        let number = "\(invoice["number"].stringValue ?? "INV")-CN-\(String(format: "%02d", previous.count + 1))"
        let note: JSONValue = [
            "id": .string(id), "object": "credit_note", "amount": .int(total), "amount_shipping": 0, "created": .int(now),
            "currency": invoice["currency"], "customer": invoice["customer"], "customer_account": nil,
            "customer_balance_transaction": nil, "discount_amount": 0, "discount_amounts": [], "effective_at": .int(now),
            "invoice": .string(invoiceID),
            "lines": ["object": "list", "data": .array(lines), "has_more": false, "total_count": .int(lines.count),
                      "url": .string("/v1/credit_notes/\(id)/lines")],
            "livemode": false, "memo": .from(request.memo), "metadata": request.metadata, "number": .string(number),
            "out_of_band_amount": outOfBand == 0 ? nil : .int(outOfBand),
            "pdf": .string(try DocumentLinks.pdfURL(ledger, id: id)),
            "post_payment_amount": .int(post), "pre_payment_amount": .int(pre), "pretax_credit_amounts": [],
            "reason": .from(request.reason), "refunds": [], "shipping_cost": nil, "status": "issued",
            "subtotal": .int(subtotal), "subtotal_excluding_tax": .int(subtotal - inclusiveTax), "total": .int(total),
            "total_excluding_tax": .int(total - taxTotal - inclusiveTax),
            "total_taxes": .array(lines.flatMap { $0["taxes"].arrayValue ?? [] }),
            "type": .string(prePayment ? "pre_payment" : "post_payment"), "voided_at": nil,
        ]
        return Built(note: note, creditAmount: credit, refundAmount: refund)
    }

    static func makeLine(_ ledger: Ledger, type: String, invoiceLine: String?, amount: Int, description: String?, quantity: Int?,
                         unitAmount: Int?, taxes: [TaxMath.Tax], rates: [JSONValue], reason: String = "not_available") throws -> JSONValue {
        [
            "id": .string(try ledger.newID("cnli")), "object": "credit_note_line_item", "amount": .int(amount),
            "description": .from(description), "discount_amount": 0, "discount_amounts": [], "invoice_line_item": .from(invoiceLine),
            "livemode": false, "pretax_credit_amounts": [], "quantity": .from(quantity), "tax_rates": .array(rates),
            "taxes": .array(taxes.map { $0.json(reason: reason) }),
            "type": .string(type), "unit_amount": .from(unitAmount), "unit_amount_decimal": unitAmount.map { .string(String($0)) } ?? .null,
        ]
    }
}
