import StripeWire

/// Invoices sent for payment (`collection_method=send_invoice`) have a `due_date`; on the clock,
/// a reminder before it and a notice after it.
///
/// Real Stripe sends `invoice.will_be_due` and `invoice.overdue` as configured in the account's
/// automations. The fake uses fixed defaults (documented in the README): `invoice.will_be_due`
/// seven days before the due date (when that is still ahead at finalization), `invoice.overdue`
/// at the due date itself. An overdue invoice of an active subscription makes it `past_due`, as
/// Stripe does for subscriptions that send invoices; paying it makes it `active` again.
package enum InvoiceDueDates {
    package static let reminderLead = 7 * 86400

    package static func schedule(_ invoice: JSONValue, now: Int, _ ledger: Ledger) throws {
        guard invoice["collection_method"] == "send_invoice", let due = invoice["due_date"].intValue,
              let id = invoice["id"].stringValue else { return }
        let clock = invoice["test_clock"].stringValue
        if due - reminderLead > now { try Scheduler.schedule(ledger, clock: clock, at: due - reminderLead, .invoiceWillBeDue, target: id) }
        try Scheduler.schedule(ledger, clock: clock, at: max(due, now), .invoiceOverdue, target: id)
    }

    package static func cancel(_ id: String, _ ledger: Ledger) throws {
        try Scheduler.cancel(ledger, .invoiceWillBeDue, target: id)
        try Scheduler.cancel(ledger, .invoiceOverdue, target: id)
    }

    package static func willBeDue(_ id: String, _ ledger: Ledger) throws {
        guard let invoice = try ledger.store.find(id)?.object, invoice["status"] == "open" else { return }
        try ledger.emit(.invoiceWillBeDue, invoice)
    }

    package static func overdue(_ id: String, _ ledger: Ledger) throws {
        guard let invoice = try ledger.store.find(id)?.object, invoice["status"] == "open" else { return }
        try ledger.emit(.invoiceOverdue, invoice)
        guard let subID = SubscriptionEngine.subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object,
              sub["status"] == "active" else { return }
        let before = sub
        sub["status"] = "past_due"
        try SubscriptionEngine.save(sub, ledger)
        try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
    }

    /// `POST /v1/invoices/{id}/send`: a draft is finalized first; `invoice.sent`.
    package static func send(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        guard invoice["collection_method"] == "send_invoice" else {
            throw StripeError.invalidRequest("You can only manually send an invoice if its collection method is 'send_invoice'.",
                                             code: "invoice_not_editable")
        }
        if invoice["status"] == "draft" { try Invoicing.finalize(&invoice, ledger) }
        guard invoice["status"] == "open" else {
            throw StripeError.invalidRequest("You can only send open invoices; this one is \(invoice["status"].stringValue ?? "").",
                                             code: "invoice_not_open")
        }
        try ledger.emit(.invoiceSent, invoice)
    }
}
