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
        if quote["from_quote"]["is_revision"] == true, let originalID = quote["from_quote"]["quote"].stringValue,
           var original = try ledger.store.find(originalID)?.object {
            quote["number"] = .string(revisionNumber(of: original))
            // The revision replaces the quote it revises: finalizing it cancels that one.
            if original["status"] == "open" { try cancel(&original, ledger) }
        } else {
            let count = try ledger.store.all(type: "quote", filters: [.field("status", in: ["open", "accepted", "canceled"])])
                .filter { ($0["number"].stringValue?.split(separator: "-").count ?? 0) == 2 }.count
            quote["number"] = .string("QT-\(String(repeating: "0", count: max(0, 4 - String(count + 1).count)))\(count + 1)")
        }
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
        if let effective = quote["subscription_data"]["effective_date"].intValue, effective > now, !recurring.isEmpty {
            let schedule = try startLater(quote, at: effective, customer: customer, recurring: recurring, oneTime: oneTime, ledger)
            quote["subscription_schedule"] = schedule["id"]
            return try accepted(&quote, now: now, ledger)
        }
        // One-time lines are invoice items on the first invoice.
        for line in oneTime {
            try InvoiceItemObject.forPrice(line["price"], quantity: line["quantity"].intValue ?? 1, customer: customer,
                                           description: line["description"].stringValue, taxRates: rates, now: now, ledger)
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
        try accepted(&quote, now: now, ledger)
    }

    static func accepted(_ quote: inout JSONValue, now: Int, _ ledger: Ledger) throws {
        quote["status"] = "accepted"
        quote["status_transitions"]["accepted_at"] = .int(now)
        try Scheduler.cancel(ledger, .expireQuote, target: quote["id"].stringValue!)
        try ledger.store.update(quote)
        try ledger.emit(.quoteAccepted, quote)
    }

    /// `subscription_data[effective_date]` in the future: as on Stripe, accepting makes a
    /// subscription schedule that starts then (`not_started` until the date), whose one phase is
    /// the quote: its recurring lines, one-time lines as `add_invoice_items`, its discounts, tax
    /// rates, trial, description and metadata. It releases its subscription after the phase.
    static func startLater(_ quote: JSONValue, at start: Int, customer: JSONValue, recurring: [JSONValue], oneTime: [JSONValue],
                           _ ledger: Ledger) throws -> JSONValue {
        let data = quote["subscription_data"]
        let rates = quote["default_tax_rates"].arrayValue ?? []
        var phase = SchedulePhase(items: recurring.map { SchedulePhase.Item(price: $0["price"], quantity: $0["quantity"].intValue ?? 1) })
        phase.addInvoiceItems = oneTime.map {
            var item = SchedulePhase.AddInvoiceItem(price: $0["price"], quantity: $0["quantity"].intValue ?? 1)
            item.taxRates = rates
            return item
        }
        phase.discounts = (quote["discounts"].arrayValue ?? []).map { ["coupon": nil, "discount": $0, "promotion_code": nil] }
        phase.defaultTaxRates = rates
        phase.metadata = data["metadata"].isNull ? [:] : data["metadata"]
        phase.description = data["description"].stringValue
        if let days = data["trial_period_days"].intValue, days > 0 { phase.trialEnd = start + days * 86400 }
        var new = ScheduleEngine.NewSchedule(customer: customer, phases: [phase])
        new.startDate = start
        new.collectionMethod = quote["collection_method"].stringValue
        return try ScheduleEngine.create(new, ledger)
    }

    /// A revision's number: the first quote's number and the revision's place (`QT-0001-2`).
    static func revisionNumber(of original: JSONValue) -> String {
        let parts = (original["number"].stringValue ?? "QT-0000").split(separator: "-").map(String.init)
        let root = parts.prefix(2).joined(separator: "-")
        let place = parts.count > 2 ? (Int(parts[2]) ?? 1) : 1
        return "\(root)-\(place + 1)"
    }

    /// `from_quote`: a new draft with the quote's customer, lines, discounts, tax rates, texts
    /// and settings; `is_revision` marks it as the quote's revision (only an open quote is
    /// revised, and finalizing the revision cancels it).
    package static func clone(_ source: JSONValue, isRevision: Bool, expiresAt: Int?, _ ledger: Ledger) throws -> JSONValue {
        let sourceID = source["id"].stringValue!
        if isRevision, source["status"] != "open" {
            throw StripeError.invalidRequest("Only an open (finalized) quote can be revised; \(sourceID) is \(source["status"].stringValue ?? "").",
                                             param: "from_quote[quote]")
        }
        let now = try ledger.now(for: source)
        if let expiresAt, expiresAt <= now {
            throw StripeError.invalidRequest("Invalid expires_at: must be in the future.", param: "expires_at")
        }
        var quote = source
        quote["id"] = .string(try ledger.newID("qt"))
        quote["created"] = .int(now)
        quote["status"] = "draft"
        quote["number"] = nil
        quote["expires_at"] = .int(expiresAt ?? now + 30 * 86400)
        quote["from_quote"] = ["is_revision": .bool(isRevision), "quote": .string(sourceID)]
        quote["status_transitions"] = ["accepted_at": nil, "canceled_at": nil, "finalized_at": nil]
        quote["invoice"] = nil
        quote["subscription"] = nil
        quote["subscription_schedule"] = nil
        var lines = try ledger.store.hidden(sourceID)["line_items"].arrayValue ?? []
        for i in lines.indices { lines[i]["id"] = .string(try ledger.newID("li")) }
        try ledger.store.insert(quote, type: "quote", hidden: ["line_items": .array(lines)])
        try ledger.emit(.quoteCreated, quote)
        return quote
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
