import StripeEngine
import StripeWire

/// `/v1/checkout/sessions`: hosted Checkout in subscription, payment and setup modes. The session
/// points at the fake's own page (`url`); completing it (page or control API) runs ``CheckoutEngine``.
enum CheckoutSessions {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/checkout/sessions", create)
        r.read("/v1/checkout/sessions", list)
        r.read("/v1/checkout/sessions/{id}", retrieve)
        r.read("/v1/checkout/sessions/{id}/line_items", lineItems)
        r.post("/v1/checkout/sessions/{id}/expire", expire)
        PaymentPages.register(&r)
    }

    /// `payment_intent_data` (payment mode): what the session's PaymentIntent is created with.
    static func paymentIntentData(_ req: inout APIRequest, mode: String) throws -> JSONValue {
        let base = ["payment_intent_data"]
        guard req.params.has(base) else { return [:] }
        guard mode == "payment" else {
            throw StripeError.invalidRequest("You can only specify `payment_intent_data` in `payment` mode.", param: "payment_intent_data")
        }
        for connect in ["application_fee_amount", "on_behalf_of", "transfer_data"] where req.params.has(base + [connect]) {
            throw StripeError.invalidRequest("Connect is not emulated: payment_intent_data[\(connect)] is not supported.",
                                             param: "payment_intent_data[\(connect)]")
        }
        var data: JSONValue = [:]
        data["capture_method"] = .from(try req.params.choice("payment_intent_data", "capture_method", in: ["automatic", "automatic_async", "manual"]))
        data["setup_future_usage"] = .from(try req.params.choice("payment_intent_data", "setup_future_usage", in: ["off_session", "on_session"]))
        data["description"] = .from(try req.params.nonEmpty("payment_intent_data", "description"))
        data["receipt_email"] = .from(try req.params.nonEmpty("payment_intent_data", "receipt_email"))
        if let e = data["receipt_email"].stringValue { try EmailAddress.check(e, param: "payment_intent_data[receipt_email]") }
        data["transfer_group"] = .from(try req.params.nonEmpty("payment_intent_data", "transfer_group"))
        for f in ["statement_descriptor", "statement_descriptor_suffix"] {
            guard let v = try req.params.nonEmpty("payment_intent_data", f) else { continue }
            guard v.count <= 22, v.contains(where: { $0.isLetter }),
                  !v.contains(where: { "<>\\'\"*".contains($0) }) else {
                throw StripeError.invalidRequest("Invalid payment_intent_data[\(f)]: at most 22 characters, at least one letter, none of < > \\ ' \" *.",
                                                 param: "payment_intent_data[\(f)]")
            }
            data[f] = .string(v)
        }
        if let shipping = try Address.shipping(&req.params, base + ["shipping"]) { data["shipping"] = shipping }
        if req.params.has(base + ["metadata"]) { data["metadata"] = try Metadata.apply(&req.params, to: [:], path: base + ["metadata"]) }
        return data
    }

    /// `setup_intent_data` (setup mode): the description and metadata of the session's SetupIntent.
    static func setupIntentData(_ req: inout APIRequest, mode: String) throws -> JSONValue {
        let base = ["setup_intent_data"]
        guard req.params.has(base) else { return [:] }
        guard mode == "setup" else {
            throw StripeError.invalidRequest("You can only specify `setup_intent_data` in `setup` mode.", param: "setup_intent_data")
        }
        if req.params.has(base + ["on_behalf_of"]) {
            throw StripeError.invalidRequest("Connect is not emulated: setup_intent_data[on_behalf_of] is not supported.",
                                             param: "setup_intent_data[on_behalf_of]")
        }
        var data: JSONValue = [:]
        data["description"] = .from(try req.params.nonEmpty("setup_intent_data", "description"))
        if req.params.has(base + ["metadata"]) { data["metadata"] = try Metadata.apply(&req.params, to: [:], path: base + ["metadata"]) }
        return data
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "checkout.session", noun: "checkout.session", param: "session")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        guard let mode = try req.params.choice("mode", in: ["payment", "subscription", "setup"]) else {
            throw StripeError.missingParam("mode")
        }
        // dahlia renamed the modes (hosted → hosted_page...); each version takes its own names.
        let dahlia = req.version >= DahliaCheckoutUIModes.version
        let ui = try req.params.choice("ui_mode", in: dahlia ? ["hosted_page", "embedded_page", "elements", "form"] : ["hosted", "embedded", "custom"])
        guard ui == nil || ui == "hosted" || ui == "hosted_page" else {
            throw StripeError.invalidRequest("Only ui_mode=\(dahlia ? "hosted_page" : "hosted") is emulated (the fake serves its own hosted page).",
                                             param: "ui_mode")
        }
        guard let successURL = try req.params.nonEmpty("success_url") else { throw StripeError.missingParam("success_url") }
        var customer: JSONValue? = nil
        if let c = try req.params.nonEmpty("customer") { customer = try Customers.live(c, req, param: "customer") }
        let email = try req.params.nonEmpty("customer_email")
        if let email { try EmailAddress.check(email, param: "customer_email") }
        if customer != nil, email != nil {
            throw StripeError.invalidRequest("You may only specify one of these parameters: customer, customer_email.", param: "customer_email")
        }
        let customerCreation = try req.params.choice("customer_creation", in: ["always", "if_required"])
        if customerCreation != nil, customer != nil {
            throw StripeError.invalidRequest("customer_creation can only be used without `customer`.", param: "customer_creation")
        }
        if customerCreation == "if_required", mode == "subscription" {
            throw StripeError.invalidRequest("customer_creation=if_required is not valid in subscription mode: a customer is always created.",
                                             param: "customer_creation")
        }
        let ledger = req.ledger
        let now = try customer.map { try ledger.now(for: $0) } ?? req.now

        // Line items: prices (or inline price data) and quantities.
        var items: [JSONValue] = []
        let n = try req.params.count("line_items")
        if mode != "setup" && n == 0 { throw StripeError.missingParam("line_items") }
        for i in 0..<n {
            let base = ["line_items", String(i)]
            let price: JSONValue
            if let p = try req.params.string(base + ["price"]), !p.isEmpty {
                price = try Subscriptions.price(p, req, param: "line_items[\(i)][price]")
            } else if req.params.has(base + ["price_data"]) {
                guard let product = try req.params.string(base + ["price_data", "product"]), !product.isEmpty else {
                    throw StripeError.invalidRequest("Inline product_data is not emulated; pass price_data[product].",
                                                     param: "line_items[\(i)][price_data][product]")
                }
                _ = try req.store.get(product, type: "product", param: "line_items[\(i)][price_data][product]")
                price = try Prices.create(from: &req, path: base + ["price_data"], product: product)
            } else {
                throw StripeError.missingParam("line_items[\(i)][price]")
            }
            let quantity = try req.params.int(base + ["quantity"]) ?? 1
            guard quantity >= 1 else { throw StripeError.invalidRequest("Quantity must be at least 1.", param: "line_items[\(i)][quantity]") }
            _ = try req.params.value(base + ["adjustable_quantity"])
            let amount = PriceMath.amount(price, quantity: quantity)
            let product = try SubscriptionEngine.product(of: price, ledger)
            items.append([
                "id": .string(try req.newID("li")), "object": "item", "amount_discount": 0, "amount_subtotal": .int(amount),
                "amount_tax": 0, "amount_total": .int(amount), "currency": price["currency"], "description": product["name"],
                "discounts": [], "metadata": [:], "price": price, "quantity": .int(quantity), "taxes": [],
            ])
        }
        let prices = items.map { $0["price"] }
        if mode == "subscription" {
            guard prices.contains(where: { $0["type"] == "recurring" }) else {
                throw StripeError.invalidRequest("You must provide at least one recurring price in `subscription` mode when using prices.",
                                                 param: "line_items")
            }
            try SubscriptionEngine.checkCompatible(prices.filter { $0["type"] == "recurring" })
        }
        if mode == "payment", prices.contains(where: { $0["type"] == "recurring" }) {
            throw StripeError.invalidRequest("You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
                                             param: "line_items")
        }
        let requestedCurrency = try req.params.currency("currency")
        let currency = prices.first?["currency"].stringValue ?? requestedCurrency ?? "usd"

        // Subscription data: trial, metadata, description, trial end behaviour.
        var subscriptionData: JSONValue = [:]
        var trialDays = 0
        if mode == "subscription" {
            trialDays = try req.params.int("subscription_data", "trial_period_days") ?? 0
            guard (0...730).contains(trialDays) else {
                throw StripeError.invalidRequest("trial_period_days must be between 1 and 730.", param: "subscription_data[trial_period_days]")
            }
            if let end = try req.params.int("subscription_data", "trial_end") {
                guard end > now + 2 * 86400 else {
                    throw StripeError.invalidRequest("subscription_data[trial_end] must be at least 48 hours in the future.",
                                                     param: "subscription_data[trial_end]")
                }
                subscriptionData["trial_end"] = .int(end)
            }
            subscriptionData["trial_period_days"] = trialDays > 0 ? .int(trialDays) : .null
            subscriptionData["metadata"] = try Metadata.apply(&req.params, to: [:], path: ["subscription_data", "metadata"])
            subscriptionData["description"] = .from(try req.params.nonEmpty("subscription_data", "description"))
            subscriptionData["missing_payment_method"] = .from(try req.params.choice(
                "subscription_data", "trial_settings", "end_behavior", "missing_payment_method", in: ["cancel", "pause", "create_invoice"]))
            subscriptionData["billing_cycle_anchor"] = .from(try req.params.int("subscription_data", "billing_cycle_anchor"))
        }
        let intentData = try paymentIntentData(&req, mode: mode)
        let setupData = try setupIntentData(&req, mode: mode)
        let trial = trialDays > 0 || !subscriptionData["trial_end"].isNull
        let collection = try req.params.choice("payment_method_collection", in: ["always", "if_required"]) ?? "always"
        let total = trial ? 0 : items.reduce(0) { $0 + ($1["amount_total"].intValue ?? 0) }
        let expiresAt = try req.params.int("expires_at") ?? now + 86400
        guard expiresAt >= now + 1800, expiresAt <= now + 86400 else {
            throw StripeError.invalidRequest("The `expires_at` timestamp must be between 30 minutes and 24 hours from the Checkout Session's creation.",
                                             param: "expires_at")
        }
        let id = "cs_test_" + (req.settings.idMode == .sequential ? String(try req.newID("cs").dropFirst(3)) : IDMinter.randomToken(58))
        let alias = try AccountAlias.register(ledger)
        var session: JSONValue = [
            "id": .string(id), "object": "checkout.session", "adaptive_pricing": nil, "after_expiration": nil,
            "allow_promotion_codes": .from(try req.params.bool("allow_promotion_codes")),
            "amount_subtotal": .int(items.reduce(0) { $0 + ($1["amount_subtotal"].intValue ?? 0) }), "amount_total": .int(total),
            "automatic_tax": ["enabled": false, "liability": nil, "provider": nil, "status": nil],
            "billing_address_collection": .from(try req.params.choice("billing_address_collection", in: ["auto", "required"])),
            "branding_settings": nil, "cancel_url": .from(try req.params.nonEmpty("cancel_url")),
            "client_reference_id": .from(try req.params.nonEmpty("client_reference_id")), "client_secret": nil,
            "collected_information": nil, "consent": nil, "consent_collection": nil, "created": .int(now),
            "currency": .string(currency), "currency_conversion": nil, "custom_fields": [],
            "custom_text": ["after_submit": nil, "shipping_address": nil, "submit": nil, "terms_of_service_acceptance": nil],
            "customer": .from(customer?["id"].stringValue), "customer_account": nil,
            "customer_creation": customer != nil ? .null : .string(customerCreation ?? (mode == "payment" ? "if_required" : "always")),
            "customer_details": nil, "customer_email": .from(email), "discounts": [], "excluded_payment_method_types": [],
            "expires_at": .int(expiresAt), "invoice": nil, "invoice_creation": nil, "livemode": false,
            "locale": .from(try req.params.nonEmpty("locale")), "metadata": try Metadata.apply(&req.params, to: [:]), "mode": .string(mode),
            "optional_items": nil, "origin_context": nil, "payment_intent": nil, "payment_link": nil,
            "payment_method_collection": mode == "subscription" ? .string(collection) : nil,
            "payment_method_configuration_details": nil,
            "payment_method_options": ["card": ["request_three_d_secure": "automatic"]], "payment_method_types": ["card"],
            "payment_status": trial || total == 0 ? "no_payment_required" : "unpaid", "permissions": nil,
            "phone_number_collection": ["enabled": false], "recovered_from": nil, "saved_payment_method_options": nil,
            "setup_intent": nil, "shipping_address_collection": nil, "shipping_cost": nil, "shipping_options": [],
            "status": "open", "submit_type": nil, "subscription": nil, "success_url": .string(successURL),
            "tax_id_collection": ["enabled": false, "required": "never"],
            "total_details": ["amount_discount": 0, "amount_shipping": 0, "amount_tax": 0], "ui_mode": "hosted_page",
            "url": .string("\(req.settings.baseURL)/c/pay/\(alias)/\(id)"), "wallet_options": nil,
        ]
        if mode == "payment" || mode == "setup" { session["payment_status"] = mode == "setup" ? "no_payment_required" : "unpaid" }
        // The payment method types the page offers: cards, and the bank debits (which need their currency).
        if let types = try req.params.strings("payment_method_types"), !types.isEmpty {
            for (i, t) in types.enumerated() {
                guard (["card"] + BankDebit.types).contains(t) else {
                    throw StripeError.invalidRequest("Payment method type '\(t)' is not emulated; card, sepa_debit and us_bank_account are.",
                                                     param: "payment_method_types[\(i)]")
                }
                let needed = t == "sepa_debit" ? "eur" : t == "us_bank_account" ? "usd" : nil
                if let needed, currency != needed {
                    throw StripeError.invalidRequest(
                        "The payment method `\(t)` cannot be used with the currency \(currency): it only supports \(needed).",
                        param: "payment_method_types[\(i)]")
                }
            }
            session["payment_method_types"] = .array(types.map { .string($0) })
            var options: JSONValue = [:]
            for t in types { options[t] = t == "card" ? ["request_three_d_secure": "automatic"] : [:] }
            session["payment_method_options"] = options
        }
        for ignored in ["submit_type", "phone_number_collection", "customer_update", "tax_id_collection",
                        "consent_collection", "custom_text"] {
            _ = req.params.value([ignored])
        }
        try AutomaticTax.refuse(&req)
        var lineItems = items
        if let discounts = try DiscountParams.read(&req, customer: customer?["id"].stringValue, currency: session["currency"].stringValue,
                                                   amount: session["amount_subtotal"].intValue, now: now) {
            guard session["allow_promotion_codes"] != true else {
                throw StripeError.invalidRequest("You may only specify one of these parameters: allow_promotion_codes, discounts.", param: "discounts")
            }
            guard discounts.count <= 1 else {
                throw StripeError.invalidRequest("A Checkout Session takes at most one discount.", param: "discounts")
            }
            if case .coupon(let coupon, let promo)? = discounts.first {
                CheckoutDiscount.apply(&session, lineItems: &lineItems, coupon: coupon, promotionCode: promo, trial: trial)
            } else if !discounts.isEmpty {
                throw StripeError.invalidRequest("A Checkout Session's discount is a coupon or a promotion code.", param: "discounts[0][discount]")
            }
        }
        try req.store.insert(session, type: "checkout.session",
                             hidden: ["line_items": .array(lineItems), "subscription_data": subscriptionData,
                                      "payment_intent_data": intentData, "setup_intent_data": setupData])
        // Expiry runs on the clock the session's time came from (the customer's test clock, if any).
        try Scheduler.schedule(ledger, clock: customer?["test_clock"].stringValue, at: expiresAt, .expireCheckout, target: id)
        return session
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let s = try req.params.nonEmpty("subscription") { filters.append(.field("subscription", equals: .string(s))) }
        if let p = try req.params.nonEmpty("payment_intent") { filters.append(.field("payment_intent", equals: .string(p))) }
        if let st = try req.params.choice("status", in: ["open", "complete", "expired"]) { filters.append(.field("status", equals: .string(st))) }
        return try req.store.list(type: "checkout.session", filters: filters, page: page, url: "/v1/checkout/sessions", noun: "checkout.session")
    }

    static func lineItems(_ req: inout APIRequest) throws -> JSONValue {
        let session = try get(req.pathParam(), req)
        let (page, _) = try req.listPage(createdFilter: false)
        let items = try req.store.hidden(session["id"].stringValue!)["line_items"].arrayValue ?? []
        return Invoices.paginate(items, page: page, url: "/v1/checkout/sessions/\(session["id"].stringValue!)/line_items")
    }

    static func expire(_ req: inout APIRequest) throws -> JSONValue {
        let session = try get(req.pathParam(), req)
        guard session["status"] == "open" else {
            throw StripeError.invalidRequest("Only Checkout Sessions with a status in [\"open\"] can be expired; this one is \(session["status"].stringValue ?? "").",
                                             code: "checkout_session_not_open")
        }
        return try CheckoutEngine.expire(session["id"].stringValue!, req.ledger, onlyIfDue: false) ?? session
    }
}
