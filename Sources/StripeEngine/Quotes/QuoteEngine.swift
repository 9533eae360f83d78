import StripeWire

/// Quotes: a draft offer, finalized (`open`, numbered, expiring at `expires_at`), then accepted
/// or canceled.
///
/// Accepting creates what the quote sells: a subscription for its recurring lines (with the
/// quote's discounts, tax rates and `subscription_data`; one-time lines ride on its first
/// invoice), or an invoice when every line is one-time. An open quote not accepted by
/// `expires_at` is canceled on the clock. Events: `quote.created`, `quote.finalized`,
/// `quote.accepted`, `quote.canceled`.
package enum QuoteEngine {
    package static func finalize(_ quote: inout JSONValue, expiresAt: Int?, _ ledger: Ledger) throws {
        guard quote["status"] == "draft" else {
            throw StripeError.invalidRequest("This quote is \(quote["status"].stringValue ?? ""); only a draft quote can be finalized.",
                                             code: "quote_not_finalizable")
        }
        guard quote["customer"].stringValue != nil else {
            throw StripeError.invalidRequest("A quote needs a customer before it can be finalized.", param: "customer")
        }
        let id = quote["id"].stringValue!
        let now = try ledger.now(for: quote)
        if let e = expiresAt { quote["expires_at"] = .int(e) }
        let expires = quote["expires_at"].intValue ?? now + 30 * 86400
        guard expires > now else { throw StripeError.invalidRequest("The quote's expires_at is in the past.", param: "expires_at") }
        let count = try ledger.store.all(type: "quote", filters: [.field("status", in: ["open", "accepted", "canceled"])])
            .filter { !$0["number"].isNull }.count
        quote["number"] = .string("QT-\(String(repeating: "0", count: max(0, 4 - String(count + 1).count)))\(count + 1)")
        quote["status"] = "open"
        quote["status_transitions"]["finalized_at"] = .int(now)
        try ledger.store.update(quote)
        try Scheduler.reschedule(ledger, clock: quote["test_clock"].stringValue, at: expires, .expireQuote, target: id)
        try ledger.emit(.quoteFinalized, quote)
    }

    package static func accept(_ quote: inout JSONValue, _ ledger: Ledger) throws {
        guard quote["status"] == "open" else {
            throw StripeError.invalidRequest("This quote is \(quote["status"].stringValue ?? ""); only an open quote can be accepted.",
                                             code: "quote_not_acceptable")
        }
        let id = quote["id"].stringValue!
        let now = try ledger.now(for: quote)
        guard let customerID = quote["customer"].stringValue, let customer = try ledger.store.find(customerID)?.object else {
            throw StripeError.invalidRequest("The quote's customer no longer exists.", param: "customer")
        }
        let lines = try ledger.store.hidden(id)["line_items"].arrayValue ?? []
        let recurring = lines.filter { $0["price"]["type"] == "recurring" }
        let oneTime = lines.filter { $0["price"]["type"] != "recurring" }
        let discounts: [DiscountRequest] = try (quote["discounts"].arrayValue ?? []).compactMap { d in
            guard let did = d.stringValue, let discount = try ledger.store.find(did)?.object else { return nil }
            return .existing(discount)
        }
        let rates = quote["default_tax_rates"].arrayValue ?? []
        // One-time lines are invoice items on the first invoice.
        for line in oneTime {
            let price = line["price"]
            let q = line["quantity"].intValue ?? 1
            let amount = PriceMath.amount(price, quantity: q)
            let ii: JSONValue = [
                "id": .string(try ledger.newID("ii")), "object": "invoiceitem", "amount": .int(amount), "currency": price["currency"],
                "customer": .string(customerID), "customer_account": nil, "date": .int(now), "description": line["description"],
                "discountable": true, "discounts": [], "invoice": nil, "livemode": false, "metadata": [:], "net_amount": .int(amount),
                "parent": nil, "period": ["end": .int(now), "start": .int(now)],
                "pricing": ["price_details": ["price": price["id"], "product": price["product"]], "type": "price_details",
                            "unit_amount_decimal": price["unit_amount_decimal"]],
                "proration": false, "proration_details": ["discount_amounts": []], "quantity": .int(q), "tax_rates": .array(rates),
                "test_clock": customer["test_clock"],
            ]
            try ledger.store.insert(ii, type: "invoiceitem")
            try ledger.emit(.invoiceitemCreated, ii)
        }
        if !recurring.isEmpty {
            var new = NewSubscription(customer: customer, items: recurring.map {
                NewSubscription.Item(price: $0["price"], quantity: $0["quantity"].intValue ?? 1, metadata: [:])
            })
            let data = quote["subscription_data"]
            if let days = data["trial_period_days"].intValue, days > 0 { new.trialEnd = now + days * 86400 }
            new.metadata = data["metadata"].isNull ? [:] : data["metadata"]
            new.description = data["description"].stringValue
            new.discounts = discounts
            new.defaultTaxRates = rates
            new.collectionMethod = quote["collection_method"].stringValue ?? "charge_automatically"
            if new.collectionMethod == "send_invoice" { new.daysUntilDue = quote["invoice_settings"]["days_until_due"].intValue ?? 30 }
            let canPay = !customer["invoice_settings"]["default_payment_method"].isNull || !customer["default_source"].isNull
            new.paymentBehavior = canPay ? "allow_incomplete" : "default_incomplete"
            let sub = try SubscriptionEngine.create(new, ledger)
            quote["subscription"] = sub["id"]
            quote["invoice"] = sub["latest_invoice"]
        } else {
            var invoice = try Invoicing.createDraft(
                ledger, customer: customer, subscription: nil, billingReason: "manual", lines: [],
                pendingItems: try Invoicing.pendingItems(ledger, customer: customerID, subscription: nil), period: (now, now), now: now,
                autoAdvance: false, collectionMethod: quote["collection_method"].stringValue ?? "charge_automatically",
                daysUntilDue: quote["invoice_settings"]["days_until_due"].intValue ?? 30, currency: quote["currency"].stringValue ?? "usd",
                description: quote["description"].stringValue,
                discounts: discounts.compactMap { if case .existing(let d) = $0 { return d["id"].stringValue } else { return nil } },
                defaultTaxRates: rates)
            invoice["parent"] = ["quote_details": ["quote": .string(id)], "subscription_details": nil, "type": "quote_details"]
            try ledger.store.update(invoice)
            quote["invoice"] = invoice["id"]
        }
        quote["status"] = "accepted"
        quote["status_transitions"]["accepted_at"] = .int(now)
        try Scheduler.cancel(ledger, .expireQuote, target: id)
        try ledger.store.update(quote)
        try ledger.emit(.quoteAccepted, quote)
    }

    package static func cancel(_ quote: inout JSONValue, _ ledger: Ledger) throws {
        guard quote["status"] == "draft" || quote["status"] == "open" else {
            throw StripeError.invalidRequest("This quote is \(quote["status"].stringValue ?? ""); only a draft or open quote can be canceled.",
                                             code: "quote_not_cancelable")
        }
        let id = quote["id"].stringValue!
        quote["status"] = "canceled"
        quote["status_transitions"]["canceled_at"] = .int(try ledger.now(for: quote))
        try Scheduler.cancel(ledger, .expireQuote, target: id)
        try ledger.store.update(quote)
        try ledger.emit(.quoteCanceled, quote)
    }

    /// Scheduled at `expires_at`: an open quote nobody accepted is canceled.
    package static func expire(_ id: String, _ ledger: Ledger) throws {
        guard var quote = try ledger.store.find(id)?.object, quote["status"] == "open" else { return }
        try cancel(&quote, ledger)
    }
}
