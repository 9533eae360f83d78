import StripeWire

/// What issuing and voiding a credit note do to its invoice and the customer's balance.
extension CreditNotes {
    /// Stores the credit note and applies it: `credit_note.created`, then the invoice's change
    /// (`invoice.updated`, or `invoice.paid` when nothing is left owed) and the balance's
    /// (`customer.updated`). `refund_amount` refunds the charge that paid the invoice
    /// (``RefundEngine``: `charge.refunded`, `refund.created`) before the credit note is stored.
    package static func issue(_ built: Built, invoice: inout JSONValue, now: Int, _ ledger: Ledger) throws -> JSONValue {
        var note = built.note
        let total = note["amount"].intValue ?? 0
        let before = invoice
        if built.refundAmount > 0 {
            guard var charge = try paidCharge(of: invoice, ledger) else {
                throw StripeError.invalidRequest("This invoice was not paid with a charge, so refund_amount cannot be refunded; use credit_amount or out_of_band_amount.",
                                                 param: "refund_amount")
            }
            let amount: Int
            do { amount = try RefundEngine.validate(charge, amount: built.refundAmount, ledger.store) } catch var e as StripeError {
                e.param = "refund_amount"
                throw e
            }
            let r = try RefundEngine.create(ledger, charge: &charge, amount: amount, reason: nil, metadata: [:])
            note["refunds"] = [["amount_refunded": .int(amount), "payment_record_refund": nil, "refund": r["id"], "type": "refund"]]
        }
        if built.creditAmount > 0, let customerID = invoice["customer"].stringValue, var customer = try ledger.store.find(customerID)?.object {
            let customerBefore = customer
            let txn = try CustomerBalance.record(&customer, amount: -built.creditAmount, currency: note["currency"].stringValue ?? "usd",
                                                 type: "credit_note", now: now, ledger, invoice: invoice["id"].stringValue,
                                                 creditNote: note["id"].stringValue)
            note["customer_balance_transaction"] = txn["id"]
            try ledger.store.update(customer)
            try ledger.store.insert(note, type: "credit_note")
            try ledger.emit(.creditNoteCreated, note)
            try ledger.emitUpdate(.customerUpdated, before: customerBefore, after: customer)
        } else {
            try ledger.store.insert(note, type: "credit_note")
            try ledger.emit(.creditNoteCreated, note)
        }
        if note["type"] == "pre_payment" {
            invoice["pre_payment_credit_notes_amount"] = .int((invoice["pre_payment_credit_notes_amount"].intValue ?? 0) + total)
            invoice["amount_due"] = .int(max(0, (invoice["amount_due"].intValue ?? 0) - total))
            invoice["amount_remaining"] = .int(max(0, (invoice["amount_remaining"].intValue ?? 0) - total))
            if invoice["amount_remaining"] == 0 {
                try Invoicing.markPaid(&invoice, ledger, outOfBand: false, before: before)
                try SubscriptionEngine.afterCollection(invoice: invoice, result: .paid, ledger)
                return note
            }
        } else {
            invoice["post_payment_credit_notes_amount"] = .int((invoice["post_payment_credit_notes_amount"].intValue ?? 0) + total)
        }
        try ledger.store.update(invoice)
        try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
        return note
    }

    /// The succeeded charge of the invoice's paid payment, if a card paid it.
    static func paidCharge(of invoice: JSONValue, _ ledger: Ledger) throws -> JSONValue? {
        for p in (invoice["payments"]["data"].arrayValue ?? []).reversed() where p["status"] == "paid" {
            guard let piID = p["payment"]["payment_intent"].stringValue, let pi = try ledger.store.find(piID)?.object,
                  let chargeID = pi["latest_charge"].stringValue, let charge = try ledger.store.find(chargeID)?.object,
                  charge["status"] == "succeeded" else { continue }
            return charge
        }
        return nil
    }

    /// Voids an issued credit note: the invoice owes again what it credited (while still open),
    /// the balance credit is taken back. A refund cannot be taken back, so a credit note that
    /// refunded cannot be voided, nor one whose credit paid its invoice.
    package static func void(_ note: inout JSONValue, _ ledger: Ledger) throws {
        guard note["status"] == "issued" else {
            throw StripeError.invalidRequest("This credit note is already void.", code: "credit_note_already_voided")
        }
        guard (note["refunds"].arrayValue ?? []).isEmpty else {
            throw StripeError.invalidRequest("A credit note that refunded a payment cannot be voided.", code: "credit_note_not_voidable")
        }
        guard let invoiceID = note["invoice"].stringValue, var invoice = try ledger.store.find(invoiceID)?.object else { return }
        let total = note["amount"].intValue ?? 0
        let now = try ledger.now(for: invoice)
        let before = invoice
        if note["type"] == "pre_payment" {
            guard invoice["status"] == "open" || invoice["status"] == "uncollectible" else {
                throw StripeError.invalidRequest("This credit note paid its invoice and can no longer be voided.", code: "credit_note_not_voidable")
            }
            invoice["pre_payment_credit_notes_amount"] = .int((invoice["pre_payment_credit_notes_amount"].intValue ?? 0) - total)
            invoice["amount_due"] = .int((invoice["amount_due"].intValue ?? 0) + total)
            invoice["amount_remaining"] = .int((invoice["amount_remaining"].intValue ?? 0) + total)
        } else {
            invoice["post_payment_credit_notes_amount"] = .int((invoice["post_payment_credit_notes_amount"].intValue ?? 0) - total)
        }
        note["status"] = "void"
        note["voided_at"] = .int(now)
        try ledger.store.update(note)
        try ledger.emit(.creditNoteVoided, note)
        if let txnID = note["customer_balance_transaction"].stringValue, let txn = try ledger.store.find(txnID)?.object,
           let customerID = invoice["customer"].stringValue, var customer = try ledger.store.find(customerID)?.object {
            let customerBefore = customer
            try CustomerBalance.record(&customer, amount: -(txn["amount"].intValue ?? 0), currency: txn["currency"].stringValue ?? "usd",
                                       type: "credit_note", now: now, ledger, invoice: invoiceID, creditNote: note["id"].stringValue)
            try ledger.store.update(customer)
            try ledger.emitUpdate(.customerUpdated, before: customerBefore, after: customer)
        }
        try ledger.store.update(invoice)
        try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
    }
}
