import StripeWire

/// Invoices: drafts with their lines, finalization (number, customer balance), collection
/// through ``Payments``, and the invoice payment objects of the current API version.
package enum Invoicing {
    // MARK: Lines

    package static func subscriptionLine(_ ledger: Ledger, invoiceID: String?, sub: JSONValue, item: JSONValue, price: JSONValue,
                                 product: JSONValue, amount: Int, description: String, period: (Int, Int),
                                 invoiceItem: String? = nil, proration: Bool = false) throws -> JSONValue {
        [
            "id": .string(try ledger.newID("il")), "object": "line_item", "amount": .int(amount),
            "currency": price["currency"], "description": .string(description), "discount_amounts": [],
            "discountable": .bool(!proration), "discounts": item["discounts"].arrayValue.map { .array($0) } ?? [],
            "invoice": .from(invoiceID), "livemode": false,
            "metadata": [:],
            "parent": [
                "invoice_item_details": nil,
                "subscription_item_details": [
                    "invoice_item": .from(invoiceItem), "proration": .bool(proration),
                    "proration_details": ["credited_items": nil], "subscription": sub["id"],
                    "subscription_item": item["id"],
                ],
                "type": "subscription_item_details",
            ],
            "period": ["end": .int(period.1), "start": .int(period.0)],
            "pretax_credit_amounts": [],
            "pricing": ["price_details": ["price": price["id"], "product": product["id"]], "type": "price_details",
                        "unit_amount_decimal": price["unit_amount_decimal"]],
            "quantity": item["quantity"], "subscription": sub["id"], "subtotal": .int(amount),
            "taxes": InvoiceTotals.taxPlaceholders(taxRates(sub: sub, item: item)),
        ]
    }

    /// The tax rates a subscription item is billed with: its own, else the subscription's defaults.
    package static func taxRates(sub: JSONValue, item: JSONValue) -> [JSONValue] {
        let own = item["tax_rates"].arrayValue ?? []
        return own.isEmpty ? (sub["default_tax_rates"].arrayValue ?? []) : own
    }

    /// The line an invoice item becomes on an invoice.
    package static func itemLine(_ ledger: Ledger, invoiceID: String?, ii: JSONValue) throws -> JSONValue {
        let subDetails = ii["parent"]["subscription_details"]
        let parent: JSONValue
        if subDetails.isNull {
            parent = ["invoice_item_details": ["invoice_item": ii["id"], "proration": ii["proration"],
                                               "proration_details": ["credited_items": nil], "subscription": nil],
                      "subscription_item_details": nil, "type": "invoice_item_details"]
        } else {
            parent = ["invoice_item_details": nil,
                      "subscription_item_details": ["invoice_item": ii["id"], "proration": ii["proration"],
                                                    "proration_details": ["credited_items": nil],
                                                    "subscription": subDetails["subscription"],
                                                    "subscription_item": subDetails["subscription_item"]],
                      "type": "subscription_item_details"]
        }
        return [
            "id": .string(try ledger.newID("il")), "object": "line_item", "amount": ii["amount"], "currency": ii["currency"],
            "description": ii["description"], "discount_amounts": [], "discountable": ii["discountable"],
            "discounts": ii["discounts"].arrayValue.map { .array($0) } ?? [],
            "invoice": .from(invoiceID), "livemode": false, "metadata": ii["metadata"], "parent": parent,
            "period": ii["period"], "pretax_credit_amounts": [], "pricing": ii["pricing"], "quantity": ii["quantity"],
            "subscription": subDetails["subscription"], "subtotal": ii["amount"], "taxes": [],
        ]
    }

    /// Pending (not yet invoiced) invoice items of a customer, optionally only those of one subscription.
    package static func pendingItems(_ ledger: Ledger, customer: String, subscription: String?) throws -> [JSONValue] {
        // Most renewals have no item at all: one index probe instead of the filtered query.
        guard try ledger.store.hasLive(type: "invoiceitem", customer: customer) else { return [] }
        var filters: [ListFilter] = [.column("customer", customer), .field("invoice", equals: .null)]
        if let subscription { filters.append(.field("parent.subscription_details.subscription", equals: .string(subscription))) }
        return try ledger.store.all(type: "invoiceitem", filters: filters)
    }

    // MARK: Drafts

    /// Creates and stores a draft invoice, pulling in the given pending invoice items; emits `invoice.created`.
    package static func createDraft(_ ledger: Ledger, customer: JSONValue, subscription: JSONValue?, billingReason: String,
                            lines subscriptionLines: [JSONValue], pendingItems: [JSONValue], period: (Int, Int),
                            now: Int, autoAdvance: Bool = true, collectionMethod: String = "charge_automatically",
                            daysUntilDue: Int? = nil, currency: String, description: String? = nil,
                            metadata: JSONValue = [:], discounts: [String]? = nil, defaultTaxRates: [JSONValue] = []) throws -> JSONValue {
        let id = try ledger.newID("in")
        let account = try AccountObject.identity(ledger)
        var lines: [JSONValue] = []
        for var l in subscriptionLines { l["invoice"] = .string(id); lines.append(l) }
        for var ii in pendingItems {
            ii["invoice"] = .string(id)
            try ledger.store.update(ii)
            lines.append(try itemLine(ledger, invoiceID: id, ii: ii))
        }
        let parent: JSONValue = subscription.map {
            ["quote_details": nil, "subscription_details": ["metadata": $0["metadata"], "subscription": $0["id"]],
             "type": "subscription_details"]
        } ?? .null
        var invoice: JSONValue = [
            "id": .string(id), "object": "invoice", "account_country": .string(account.country), "account_name": .string(account.name),
            "account_tax_ids": nil, "amount_due": 0, "amount_overpaid": 0, "amount_paid": 0, "amount_remaining": 0,
            "amount_shipping": 0, "application": nil, "attempt_count": 0, "attempted": false, "auto_advance": .bool(autoAdvance),
            "automatic_tax": ["disabled_reason": nil, "enabled": false, "liability": nil, "provider": nil, "status": nil],
            "automatically_finalizes_at": autoAdvance ? .int(now + 3600) : nil, "billing_reason": .string(billingReason),
            "collection_method": .string(collectionMethod), "confirmation_secret": nil, "created": .int(now),
            "currency": .string(currency), "custom_fields": nil, "customer": customer["id"], "customer_account": nil,
            "customer_address": customer["address"], "customer_email": customer["email"], "customer_name": customer["name"],
            "customer_phone": customer["phone"], "customer_shipping": customer["shipping"],
            "customer_tax_exempt": customer["tax_exempt"], "customer_tax_ids": [], "default_payment_method": nil,
            "default_source": nil, "default_tax_rates": .array(defaultTaxRates), "description": .from(description),
            "discounts": .array(try (discounts ?? Discounts.forInvoice(subscription: subscription, customer: customer, now: now, ledger)).map { .string($0) }),
            "due_date": nil, "effective_at": nil, "ending_balance": nil, "footer": customer["invoice_settings"]["footer"],
            "from_invoice": nil, "hosted_invoice_url": nil, "invoice_pdf": nil, "issuer": ["type": "self"],
            "last_finalization_error": nil, "latest_revision": nil,
            "lines": ["object": "list", "data": .array(lines), "has_more": false, "total_count": .int(lines.count),
                      "url": .string("/v1/invoices/\(id)/lines")],
            "livemode": false, "metadata": metadata, "next_payment_attempt": nil, "number": nil, "on_behalf_of": nil,
            "parent": parent,
            "payment_settings": ["default_mandate": nil, "payment_method_options": nil, "payment_method_types": nil],
            "payments": ["object": "list", "data": [], "has_more": false, "total_count": 0,
                         "url": .string("/v1/invoice_payments?invoice=\(id)")],
            "period_end": .int(period.1), "period_start": .int(period.0), "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0, "receipt_number": nil, "rendering": nil, "shipping_cost": nil,
            "shipping_details": nil, "starting_balance": customer["balance"], "statement_descriptor": nil, "status": "draft",
            "status_transitions": ["finalized_at": nil, "marked_uncollectible_at": nil, "paid_at": nil, "voided_at": nil],
            "subtotal": 0, "subtotal_excluding_tax": 0, "test_clock": customer["test_clock"], "threshold_reason": nil,
            "total": 0, "total_discount_amounts": [], "total_excluding_tax": 0, "total_pretax_credit_amounts": [],
            "total_taxes": [], "webhooks_delivered_at": nil,
        ]
        try recompute(&invoice, ledger)
        try ledger.store.insert(invoice, type: "invoice", hidden: ["days_until_due": .from(daysUntilDue)])
        try ledger.emit(.invoiceCreated, invoice)
        if autoAdvance {
            try Scheduler.reschedule(ledger, clock: customer["test_clock"].stringValue, at: now + 3600, .finalizeInvoice, target: id)
        }
        return invoice
    }

    /// Discounts, taxes and totals from the lines (``InvoiceTotals``).
    package static func recompute(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        try InvoiceTotals.compute(&invoice, ledger)
    }

    // MARK: Finalization

    /// Draft -> open: number, customer balance applied, `invoice.finalized`; a zero amount due is paid at once.
    package static func finalize(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        guard invoice["status"] == "draft" else {
            throw StripeError.invalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                                             code: "invoice_not_editable")
        }
        let now = try ledger.now(for: invoice)
        guard let customerID = invoice["customer"].stringValue, var customer = try ledger.store.find(customerID)?.object else {
            throw StripeError.noSuch("customer", invoice["customer"].stringValue ?? "")
        }
        let seq = customer["next_invoice_sequence"].intValue ?? 1
        let digits = String(seq)
        invoice["number"] = .string("\(customer["invoice_prefix"].stringValue ?? "INV")-\(String(repeating: "0", count: max(0, 4 - digits.count)))\(digits)")
        customer["next_invoice_sequence"] = .int(seq + 1)
        let balance = customer["balance"].intValue ?? 0
        let total = invoice["total"].intValue ?? 0
        let x = total + balance
        invoice["starting_balance"] = .int(balance)
        invoice["amount_due"] = .int(max(0, x))
        invoice["amount_remaining"] = .int(max(0, x))
        invoice["ending_balance"] = .int(min(0, x))
        // The balance moves into the invoice (and a negative total becomes credit): one transaction.
        let change = min(0, x) - balance
        if change != 0 {
            try CustomerBalance.record(&customer, amount: change, currency: invoice["currency"].stringValue ?? "usd", type: "applied_to_invoice",
                                       now: now, ledger, invoice: invoice["id"].stringValue)
        }
        if customer["currency"].isNull { customer["currency"] = invoice["currency"] }
        let customerBefore = try ledger.store.get(customerID, type: "customer")
        try ledger.store.update(customer)
        if change != 0 {
            var shown = customerBefore
            shown["next_invoice_sequence"] = customer["next_invoice_sequence"]
            try ledger.emitUpdate(.customerUpdated, before: shown, after: customer)
        }
        invoice["status"] = "open"
        invoice["effective_at"] = .int(now)
        invoice["automatically_finalizes_at"] = nil
        invoice["status_transitions"]["finalized_at"] = .int(now)
        let id = invoice["id"].stringValue!
        invoice["hosted_invoice_url"] = .string(try DocumentLinks.pageURL(ledger, id: id))
        invoice["invoice_pdf"] = .string(try DocumentLinks.pdfURL(ledger, id: id))
        if invoice["collection_method"] == "send_invoice", invoice["due_date"].isNull {
            invoice["due_date"] = .int(now + 86400 * (try ledger.store.hidden(id)["days_until_due"].intValue ?? 30))
        }
        try Scheduler.cancel(ledger, .finalizeInvoice, target: id)
        try ledger.store.update(invoice)
        try Discounts.markUsed(by: invoice, ledger)
        try InvoiceDueDates.schedule(invoice, now: now, ledger)
        try ledger.emit(.invoiceFinalized, invoice)
        if invoice["amount_due"] == 0 {
            var draft = invoice
            draft["status"] = "draft"
            try markPaid(&invoice, ledger, outOfBand: false, before: draft)
        }
    }

    /// Scheduled: a draft whose hour has passed is finalized and, when automatic, collected.
    package static func autoFinalize(_ id: String, _ ledger: inout Ledger) throws {
        guard var invoice = try ledger.store.find(id)?.object, invoice["status"] == "draft",
              invoice["auto_advance"] == true else { return }
        try finalize(&invoice, ledger)
        // An invoice sent for payment is emailed to the customer when it is finalized automatically.
        if invoice["status"] == "open", invoice["collection_method"] == "send_invoice" { try ledger.emit(.invoiceSent, invoice) }
        guard invoice["status"] == "open", invoice["collection_method"] == "charge_automatically" else { return }
        if let subID = SubscriptionEngine.subscriptionID(of: invoice),
           let sub = try ledger.store.find(subID)?.object, sub["status"] == "unpaid" {
            // Unpaid subscriptions keep invoicing, but their invoices are closed to automatic collection.
            invoice["auto_advance"] = false
            try ledger.store.update(invoice)
            return
        }
        let result = try collect(&invoice, ledger, offSession: true)
        try SubscriptionEngine.afterCollection(invoice: invoice, result: result, ledger)
    }

    // MARK: Collection

    package enum Collection: Equatable {
        case paid
        case failed(TestCards.Decline?)
        case requiresAction
        case nothingDue
        /// A bank debit is on its way: the invoice stays open until it settles (``settled(paymentIntent:succeeded:now:_:)``).
        case processing
    }

    /// What pays the invoice, in Stripe's documented priority: the invoice's own
    /// `default_payment_method` / `default_source`, the subscription's, then the customer's
    /// `invoice_settings.default_payment_method` and finally its legacy `default_source` (a card).
    package static func paymentMethod(for invoice: JSONValue, _ ledger: Ledger) throws -> String? {
        if let pm = invoice["default_payment_method"].stringValue ?? invoice["default_source"].stringValue { return pm }
        if let subID = SubscriptionEngine.subscriptionID(of: invoice), let sub = try ledger.store.find(subID)?.object,
           let pm = sub["default_payment_method"].stringValue ?? sub["default_source"].stringValue { return pm }
        if let c = invoice["customer"].stringValue, let customer = try ledger.store.find(c)?.object,
           let pm = customer["invoice_settings"]["default_payment_method"].stringValue ?? customer["default_source"].stringValue { return pm }
        return nil
    }

    /// Attempts to pay an open invoice. The invoice is saved and its events emitted.
    package static func collect(_ invoice: inout JSONValue, _ ledger: Ledger, offSession: Bool, paymentMethod: String? = nil,
                        declineIfActionNeeded: Bool = false, authenticated: Bool = false) throws -> Collection {
        guard invoice["status"] == "open" || invoice["status"] == "uncollectible" else { return .nothingDue }
        let due = invoice["amount_remaining"].intValue ?? 0
        guard due > 0 else { try markPaid(&invoice, ledger, outOfBand: false); return .paid }
        let before = invoice
        let now = try ledger.now(for: invoice)
        invoice["attempt_count"] = .int((invoice["attempt_count"].intValue ?? 0) + 1)
        invoice["attempted"] = true
        guard let pmID = try paymentMethod ?? self.paymentMethod(for: invoice, ledger) else {
            invoice["next_payment_attempt"] = try Dunning.nextAttempt(after: invoice, now: now, hardDecline: false, ledger).map { .int($0) } ?? .null
            invoice["last_finalization_error"] = nil
            try ledger.store.update(invoice)
            try ledger.emit(.invoicePaymentFailed, invoice)
            try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
            return .failed(nil)
        }
        var (pi, payment) = try intent(for: &invoice, amount: due, ledger, now: now)
        let outcome = try Payments.confirm(&pi, paymentMethod: pmID, offSession: offSession, ledger,
                                           authenticated: authenticated, declineIfActionNeeded: declineIfActionNeeded)
        switch outcome {
        case .succeeded:
            payment["status"] = "paid"
            payment["amount_paid"] = .int(due)
            payment["status_transitions"]["paid_at"] = .int(now)
            try ledger.store.update(payment)
            setPayment(&invoice, payment)
            invoice["amount_paid"] = .int((invoice["amount_paid"].intValue ?? 0) + due)
            try markPaid(&invoice, ledger, outOfBand: false, before: before, payment: payment)
            return .paid
        case .failed(_, let decline):
            invoice["next_payment_attempt"] = try Dunning.nextAttempt(after: invoice, now: now, hardDecline: Dunning.isHard(decline), ledger).map { .int($0) } ?? .null
            setPayment(&invoice, payment)
            try ledger.store.update(invoice)
            try ledger.emit(.invoicePaymentFailed, invoice)
            try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
            return .failed(decline)
        case .requiresAction:
            invoice["next_payment_attempt"] = nil
            setPayment(&invoice, payment)
            try ledger.store.update(invoice)
            try ledger.emit(.invoicePaymentActionRequired, invoice)
            try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
            return .requiresAction
        case .processing:
            // No retry while the bank has the debit; the settlement decides.
            invoice["next_payment_attempt"] = nil
            setPayment(&invoice, payment)
            try ledger.store.update(invoice)
            try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
            return .processing
        }
    }

    /// A bank debit for an invoice settled: paid (with its events, and the subscription follows),
    /// or failed (`invoice.payment_failed`, the next retry, and the subscription into dunning).
    package static func settled(paymentIntent pi: JSONValue, succeeded: Bool, now: Int, _ ledger: inout Ledger) throws {
        guard let piID = pi["id"].stringValue,
              let found = try ledger.store.all(type: "invoice_payment", filters: [.field("payment.payment_intent", equals: .string(piID))]).last,
              let invoiceID = found["invoice"].stringValue, var invoice = try ledger.store.find(invoiceID)?.object,
              invoice["status"] == "open" else { return }
        let before = invoice
        var payment = found
        if succeeded {
            let amount = pi["amount"].intValue ?? 0
            payment["status"] = "paid"
            payment["amount_paid"] = .int(amount)
            payment["status_transitions"]["paid_at"] = .int(now)
            try ledger.store.update(payment)
            setPayment(&invoice, payment)
            invoice["amount_paid"] = .int((invoice["amount_paid"].intValue ?? 0) + amount)
            try markPaid(&invoice, ledger, outOfBand: false, before: before, payment: payment)
            try SubscriptionEngine.afterCollection(invoice: invoice, result: .paid, ledger)
        } else {
            invoice["next_payment_attempt"] = try Dunning.nextAttempt(after: invoice, now: now, hardDecline: false, ledger).map { .int($0) } ?? .null
            setPayment(&invoice, payment)
            try ledger.store.update(invoice)
            try ledger.emit(.invoicePaymentFailed, invoice)
            try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
            try SubscriptionEngine.afterCollection(invoice: invoice, result: .failed(nil), ledger)
        }
    }

    /// The invoice's payment intent (reused across retries) and its invoice payment.
    package static func intent(for invoice: inout JSONValue, amount: Int, _ ledger: Ledger, now: Int) throws -> (JSONValue, JSONValue) {
        if let existing = invoice["payments"]["data"].arrayValue?.last(where: { $0["status"] == "open" }),
           let piID = existing["payment"]["payment_intent"].stringValue,
           var pi = try ledger.store.find(piID)?.object,
           ["requires_payment_method", "requires_confirmation", "requires_action"].contains(pi["status"].stringValue ?? "") {
            if pi["amount"].intValue != amount { pi["amount"] = .int(amount) }
            return (pi, try ledger.store.find(existing["id"].stringValue!)?.object ?? existing)
        }
        let reason = invoice["billing_reason"].stringValue ?? "manual"
        let description = ["subscription_create": "Subscription creation", "subscription_cycle": "Subscription cycle",
                           "subscription_update": "Subscription update"][reason] ?? "Invoice \(invoice["number"].stringValue ?? "")"
        let pi = try Payments.createIntent(ledger, amount: amount, currency: invoice["currency"].stringValue ?? "usd",
                                           customer: invoice["customer"].stringValue, paymentMethod: nil,
                                           description: description, now: now)
        let payment: JSONValue = [
            "id": .string(try ledger.newID("inpay")), "object": "invoice_payment", "amount_paid": nil,
            "amount_requested": .int(amount), "created": .int(now), "currency": invoice["currency"],
            "invoice": invoice["id"], "is_default": true, "livemode": false,
            "payment": ["charge": nil, "payment_intent": pi["id"], "type": "payment_intent"],
            "status": "open", "status_transitions": ["canceled_at": nil, "paid_at": nil],
        ]
        try ledger.store.insert(payment, type: "invoice_payment")
        setPayment(&invoice, payment)
        invoice["confirmation_secret"] = ["client_secret": pi["client_secret"], "type": "payment_intent"]
        return (pi, payment)
    }

    package static func setPayment(_ invoice: inout JSONValue, _ payment: JSONValue) {
        var list = invoice["payments"]["data"].arrayValue ?? []
        if let i = list.firstIndex(where: { $0["id"] == payment["id"] }) { list[i] = payment } else { list.append(payment) }
        invoice["payments"]["data"] = .array(list)
        invoice["payments"]["total_count"] = .int(list.count)
    }

    /// Open -> paid; emits `invoice.paid`, `invoice.payment_succeeded`, `invoice_payment.paid`, `invoice.updated`.
    package static func markPaid(_ invoice: inout JSONValue, _ ledger: Ledger, outOfBand: Bool, before: JSONValue? = nil,
                         payment: JSONValue? = nil) throws {
        let before = before ?? invoice
        let now = try ledger.now(for: invoice)
        invoice["status"] = "paid"
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = nil
        invoice["status_transitions"]["paid_at"] = .int(now)
        invoice["auto_advance"] = false
        if outOfBand { invoice["amount_paid"] = invoice["amount_due"] }
        try ledger.store.update(invoice)
        let id = invoice["id"].stringValue!
        try Scheduler.cancel(ledger, .retryInvoice, target: id)
        try Scheduler.cancel(ledger, .dunningEnd, target: id)
        try InvoiceDueDates.cancel(id, ledger)
        try ledger.emit(.invoicePaid, invoice)
        try ledger.emit(.invoicePaymentSucceeded, invoice)
        if let payment { try ledger.emit(.invoicePaymentPaid, payment) }
        if before["status"] != "draft" { try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice) }
    }

    package static func void(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        guard invoice["status"] == "open" || invoice["status"] == "uncollectible" else {
            throw StripeError.invalidRequest("You can only void open or uncollectible invoices; this one is \(invoice["status"].stringValue ?? "").",
                                             code: "invoice_not_editable")
        }
        let before = invoice
        invoice["status"] = "void"
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = nil
        invoice["auto_advance"] = false
        invoice["status_transitions"]["voided_at"] = .int(try ledger.now(for: invoice))
        try cancelOpenPayments(&invoice, ledger)
        try ledger.store.update(invoice)
        let id = invoice["id"].stringValue!
        try Scheduler.cancelAll(ledger, target: id)
        try ledger.emit(.invoiceVoided, invoice)
        try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
    }

    package static func markUncollectible(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        guard invoice["status"] == "open" else {
            throw StripeError.invalidRequest("You can only mark open invoices uncollectible; this one is \(invoice["status"].stringValue ?? "").",
                                             code: "invoice_not_editable")
        }
        let before = invoice
        invoice["status"] = "uncollectible"
        invoice["next_payment_attempt"] = nil
        invoice["auto_advance"] = false
        invoice["status_transitions"]["marked_uncollectible_at"] = .int(try ledger.now(for: invoice))
        try ledger.store.update(invoice)
        try Scheduler.cancel(ledger, .retryInvoice, target: invoice["id"].stringValue!)
        try InvoiceDueDates.cancel(invoice["id"].stringValue!, ledger)
        try ledger.emit(.invoiceMarkedUncollectible, invoice)
        try ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
    }

    package static func cancelOpenPayments(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        for var p in invoice["payments"]["data"].arrayValue ?? [] where p["status"] == "open" {
            if let piID = p["payment"]["payment_intent"].stringValue, var pi = try ledger.store.find(piID)?.object,
               pi["status"] != "succeeded", pi["status"] != "canceled" {
                pi["status"] = "canceled"
                pi["canceled_at"] = .int(try ledger.now(for: invoice))
                pi["cancellation_reason"] = "void_invoice"
                pi["next_action"] = nil
                try ledger.store.update(pi)
                try ledger.emit(.paymentIntentCanceled, pi)
            }
            p["status"] = "canceled"
            p["status_transitions"]["canceled_at"] = .int(try ledger.now(for: invoice))
            try ledger.store.update(p)
            setPayment(&invoice, p)
        }
    }
}
