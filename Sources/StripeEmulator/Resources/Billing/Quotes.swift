import GRDB
import StripeEngine
import StripeWire

/// `/v1/quotes`: create and update drafts (line items, discounts, tax rates, `subscription_data`),
/// finalize, accept, cancel, list, and the line items. ``StripeEngine/QuoteEngine`` has the rules.
enum Quotes {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/quotes", create)
        r.read("/v1/quotes", list)
        r.read("/v1/quotes/{id}", retrieve)
        r.post("/v1/quotes/{id}", update)
        r.post("/v1/quotes/{id}/finalize", finalize)
        r.post("/v1/quotes/{id}/accept", accept)
        r.post("/v1/quotes/{id}/cancel", cancel)
        r.read("/v1/quotes/{id}/line_items", lineItems)
        r.read("/v1/quotes/{id}/computed_upfront_line_items", upfrontLineItems)
        r.file("/v1/quotes/{id}/pdf", pdf)
    }

    /// `GET /v1/quotes/{id}/pdf`: the quote as a PDF file (Stripe serves it from its files host;
    /// the SDKs' `quote.pdf()` streams it).
    static func pdf(_ emulator: StripeEmulator, _ call: APICall, _ account: String) async throws -> APIResponse {
        let params = Params(try FormDecoder().decodeForAPI(call))
        try params.finish()
        let id = String(call.path.split(separator: "/")[2])
        let document = try await emulator.reading(account: account) { ledger in
            let quote = try ledger.store.get(id, type: "quote", noun: "quote")
            return try BillingDocument.quote(quote, lineItems: try ledger.store.hidden(id)["line_items"].arrayValue ?? [], ledger)
        }
        return InvoicePage.pdfResponse(document)
    }

    static func get(_ req: APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "quote", noun: "quote")
    }

    /// `line_items[N][price | price_data][quantity]` as Checkout-style `item` objects.
    static func readLines(_ req: inout APIRequest) throws -> [JSONValue]? {
        let n = try req.params.count("line_items")
        guard n > 0 else { return nil }
        var items: [JSONValue] = []
        var currency: JSONValue = nil
        var interval: JSONValue = nil
        for i in 0..<n {
            let base = ["line_items", String(i)]
            let price: JSONValue
            if let p = try req.params.nonEmptyPath(base + ["price"]) {
                price = try Subscriptions.price(p, req, param: Params.name(base + ["price"]))
            } else if req.params.has(base + ["price_data"]) {
                let product = try req.params.nonEmptyPath(base + ["price_data", "product"]) ?? ""
                guard !product.isEmpty else { throw StripeError.missingParam(Params.name(base + ["price_data", "product"])) }
                _ = try req.store.get(product, type: "product", param: Params.name(base + ["price_data", "product"]))
                price = try Prices.create(from: &req, path: base + ["price_data"], product: product)
            } else {
                throw StripeError.missingParam(Params.name(base + ["price"]))
            }
            if currency.isNull { currency = price["currency"] } else if currency != price["currency"] {
                throw StripeError.invalidRequest("All line items of a quote must have the same currency.", param: Params.name(base + ["price"]))
            }
            if price["type"] == "recurring" {
                let r: JSONValue = ["interval": price["recurring"]["interval"], "interval_count": price["recurring"]["interval_count"]]
                if interval.isNull { interval = r } else if interval != r {
                    throw StripeError.invalidRequest("All recurring line items of a quote must bill on the same interval.", param: Params.name(base + ["price"]))
                }
            }
            let q = try req.params.int(base + ["quantity"]) ?? 1
            guard q >= 0 else { throw StripeError.invalidRequest("Invalid quantity: must be at least 0.", param: Params.name(base + ["quantity"])) }
            let amount = PriceMath.amount(price, quantity: q)
            let product = try SubscriptionEngine.product(of: price, req.ledger)
            items.append([
                "id": .string(try req.newID("li")), "object": "item", "amount_discount": 0, "amount_subtotal": .int(amount),
                "amount_tax": 0, "amount_total": .int(amount), "currency": price["currency"], "description": product["name"],
                "discounts": [], "price": price, "quantity": .int(q), "taxes": [],
            ])
        }
        return items
    }

    /// The parameters a clone (`from_quote`) takes from its quote instead.
    static let clonedParams = ["customer", "line_items", "discounts", "default_tax_rates", "description", "header", "footer",
                               "metadata", "collection_method", "invoice_settings", "subscription_data"]

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        if req.params.has("from_quote") {
            for name in clonedParams where req.params.has(name) {
                throw StripeError.invalidRequest("You cannot pass \(name) with from_quote: a clone takes its quote's; update the draft afterwards.",
                                                 param: name)
            }
            let source = try req.store.get(try req.params.requiredString("from_quote", "quote"), type: "quote", noun: "quote",
                                           param: "from_quote[quote]")
            return try QuoteEngine.clone(source, isRevision: try req.params.bool("from_quote", "is_revision") ?? false,
                                         expiresAt: try req.params.int("expires_at"), req.ledger)
        }
        var customer: JSONValue? = nil
        if let c = try req.params.nonEmpty("customer") { customer = try Customers.live(c, req, param: "customer") }
        let ledger = req.ledger
        let now = try customer.map { try ledger.now(for: $0) } ?? req.now
        let lines = try readLines(&req) ?? []
        let id = try req.newID("qt")
        let accountCurrency = try AccountObject.defaultCurrency(ledger)
        var quote: JSONValue = [
            "id": .string(id), "object": "quote", "amount_subtotal": 0, "amount_total": 0, "application": nil,
            "application_fee_amount": nil, "application_fee_percent": nil,
            "automatic_tax": ["enabled": false, "liability": nil, "provider": nil, "status": nil],
            "collection_method": "charge_automatically",
            "computed": ["recurring": nil, "upfront": ["amount_subtotal": 0, "amount_total": 0,
                                                      "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0]]],
            "created": .int(now), "currency": lines.first?["currency"] ?? .string(accountCurrency),
            "customer": .from(customer?["id"].stringValue), "customer_account": nil, "default_tax_rates": [], "description": nil,
            "discounts": [], "expires_at": .int(now + 30 * 86400), "footer": nil, "from_quote": nil, "header": nil,
            "invoice": nil, "invoice_settings": ["days_until_due": nil, "issuer": ["type": "self"]], "livemode": false, "metadata": [:],
            "number": nil, "on_behalf_of": nil, "status": "draft",
            "status_transitions": ["accepted_at": nil, "canceled_at": nil, "finalized_at": nil], "subscription": nil,
            "subscription_data": ["billing_mode": ["flexible": nil, "type": "classic"], "description": nil, "effective_date": nil,
                                  "metadata": nil, "trial_period_days": nil],
            "subscription_schedule": nil, "test_clock": customer?["test_clock"] ?? .null,
            "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0], "transfer_data": nil,
        ]
        var items = lines
        try apply(&req, to: &quote, lines: &items, now: now)
        try req.store.insert(quote, type: "quote", hidden: ["line_items": .array(items)])
        try ledger.emit(.quoteCreated, quote)
        return quote
    }

    /// The fields create and update share; the amounts are worked out again.
    static func apply(_ req: inout APIRequest, to quote: inout JSONValue, lines: inout [JSONValue], now: Int) throws {
        try AutomaticTax.refuse(&req)
        for f in ["description", "header", "footer"] { try quote.setString(f, from: &req.params) }
        quote["metadata"] = try Metadata.apply(&req.params, to: quote["metadata"])
        if let c = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) { quote["collection_method"] = .string(c) }
        if let d = try req.params.int("invoice_settings", "days_until_due") { quote["invoice_settings"]["days_until_due"] = .int(d) }
        if let e = try req.params.int("expires_at") {
            guard e > now else { throw StripeError.invalidRequest("Invalid expires_at: must be in the future.", param: "expires_at") }
            quote["expires_at"] = .int(e)
        }
        if let e = try req.params.string("subscription_data", "effective_date") {
            if e == "current_period_end" {
                throw StripeError.invalidRequest(
                    "subscription_data[effective_date]=current_period_end is for quotes that update a subscription, which are not emulated; pass a timestamp.",
                    param: "subscription_data[effective_date]")
            }
            guard e.isEmpty || Int(e) != nil else {
                throw StripeError.invalidRequest("Invalid subscription_data[effective_date]: a Unix timestamp.", param: "subscription_data[effective_date]")
            }
            quote["subscription_data"]["effective_date"] = Int(e).map { .int($0) } ?? nil
        }
        if let d = try req.params.int("subscription_data", "trial_period_days") { quote["subscription_data"]["trial_period_days"] = .int(d) }
        if let d = try req.params.string("subscription_data", "description") { quote["subscription_data"]["description"] = d.isEmpty ? nil : .string(d) }
        if req.params.has(["subscription_data", "metadata"]) {
            quote["subscription_data"]["metadata"] = try Metadata.apply(&req.params, to: [:], path: ["subscription_data", "metadata"])
        }
        if let rates = try TaxRates.read(&req, ["default_tax_rates"]) { quote["default_tax_rates"] = .array(rates) }
        if let requests = try DiscountParams.read(&req, customer: quote["customer"].stringValue, currency: quote["currency"].stringValue,
                                                  amount: nil, now: now) {
            let target = Discounts.Target(customer: quote["customer"].stringValue)
            quote["discounts"] = .array(try DiscountRequest.apply(requests, target: target, now: now, req.ledger).map { $0.discount["id"] })
        }
        if !lines.isEmpty { quote["currency"] = lines[0]["currency"] }
        try QuoteTotals.compute(&quote, lineItems: &lines, req.ledger)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req) }

    /// Only a draft changes (its customer, lines, discounts, taxes, texts and dates).
    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var quote = try get(req)
        guard quote["status"] == "draft" else {
            throw StripeError.invalidRequest("Only a draft quote can be updated; this one is \(quote["status"].stringValue ?? "").",
                                             code: "quote_not_editable")
        }
        let id = quote["id"].stringValue!
        if let c = try req.params.nonEmpty("customer") {
            let customer = try Customers.live(c, req, param: "customer")
            quote["customer"] = customer["id"]
            quote["test_clock"] = customer["test_clock"]
        }
        var hidden = try req.store.hidden(id)
        var lines = try readLines(&req) ?? (hidden["line_items"].arrayValue ?? [])
        try apply(&req, to: &quote, lines: &lines, now: try req.ledger.now(for: quote))
        hidden["line_items"] = .array(lines)
        try req.store.update(quote)
        try req.store.setHidden(id, hidden)
        return quote
    }

    static func finalize(_ req: inout APIRequest) throws -> JSONValue {
        var quote = try get(req)
        try QuoteEngine.finalize(&quote, expiresAt: try req.params.int("expires_at"), req.ledger)
        return quote
    }

    static func accept(_ req: inout APIRequest) throws -> JSONValue {
        var quote = try get(req)
        try QuoteEngine.accept(&quote, req.ledger)
        return quote
    }

    static func cancel(_ req: inout APIRequest) throws -> JSONValue {
        var quote = try get(req)
        try QuoteEngine.cancel(&quote, req.ledger)
        return quote
    }

    static func lineItems(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage(createdFilter: false)
        let quote = try get(req)
        let items = try req.store.hidden(quote["id"].stringValue!)["line_items"].arrayValue ?? []
        return ["object": "list", "data": .array(items), "has_more": false, "url": .string("/v1/quotes/\(quote["id"].stringValue!)/line_items")]
    }

    /// What is due on acceptance: every line, or only the one-time lines during a trial.
    static func upfrontLineItems(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage(createdFilter: false)
        let quote = try get(req)
        let trial = (quote["subscription_data"]["trial_period_days"].intValue ?? 0) > 0
        let items = (try req.store.hidden(quote["id"].stringValue!)["line_items"].arrayValue ?? [])
            .filter { !trial || $0["price"]["type"] != "recurring" }
        return ["object": "list", "data": .array(items), "has_more": false,
                "url": .string("/v1/quotes/\(quote["id"].stringValue!)/computed_upfront_line_items")]
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let s = try req.params.choice("status", in: ["accepted", "canceled", "draft", "open"]) { filters.append(.field("status", equals: .string(s))) }
        return try req.store.list(type: "quote", filters: filters, page: page, url: "/v1/quotes", noun: "quote")
    }
}
