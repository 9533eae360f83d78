import StripeEngine
import StripeWire

/// `/v1/invoices`: manual invoices, the lifecycle operations (finalize, pay, void,
/// mark_uncollectible), lines, and `create_preview`.
enum Invoices {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/invoices", create)
        r.read("/v1/invoices", list)
        r.post("/v1/invoices/create_preview", preview)
        r.read("/v1/invoices/search", search)
        r.get("/v1/invoices/upcoming", upcoming)
        r.get("/v1/invoices/upcoming/lines", upcomingLines)
        r.read("/v1/invoices/{id}", retrieve)
        r.post("/v1/invoices/{id}", update)
        r.delete("/v1/invoices/{id}", delete)
        r.read("/v1/invoices/{id}/lines", lines)
        r.post("/v1/invoices/{id}/finalize", finalize)
        r.post("/v1/invoices/{id}/pay", pay)
        r.post("/v1/invoices/{id}/void", void)
        r.post("/v1/invoices/{id}/mark_uncollectible", markUncollectible)
        r.post("/v1/invoices/{id}/send", send)
        r.read("/v1/invoice_payments", listPayments)
        r.read("/v1/invoice_payments/{id}", retrievePayment)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "invoice", param: "invoice")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(try req.params.requiredString("customer"), req, param: "customer")
        let now = try req.ledger.now(for: customer)
        var subscription: JSONValue? = nil
        if let s = try req.params.nonEmpty("subscription") { subscription = try req.store.get(s, type: "subscription", param: "subscription") }
        let collection = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) ?? "charge_automatically"
        let days = try req.params.int("days_until_due")
        let dueDate = try req.params.int("due_date")
        if let d = dueDate, d <= now { throw StripeError.invalidRequest("Invalid due_date: must be in the future.", param: "due_date") }
        if dueDate != nil, collection != "send_invoice" {
            throw StripeError.invalidRequest("due_date can only be set when collection_method is send_invoice.", param: "due_date")
        }
        if collection == "send_invoice", days == nil, dueDate == nil {
            throw StripeError.invalidRequest("days_until_due or due_date is required when collection_method is send_invoice.", param: "days_until_due")
        }
        let behavior = try req.params.choice("pending_invoice_items_behavior", in: ["include", "exclude"]) ?? "exclude"
        let pending = behavior == "include"
            ? try Invoicing.pendingItems(req.ledger, customer: customer["id"].stringValue!, subscription: subscription?["id"].stringValue)
            : []
        let currency = try req.params.currency("currency") ?? pending.first?["currency"].stringValue ?? "usd"
        try AutomaticTax.refuse(&req)
        let discounts = try DiscountParams.read(&req, customer: customer["id"].stringValue, currency: currency, amount: nil, now: now)
        var invoice = try Invoicing.createDraft(
            req.ledger, customer: customer, subscription: subscription, billingReason: "manual", lines: [], pendingItems: pending,
            period: (now, now), now: now, autoAdvance: try req.params.bool("auto_advance") ?? false, collectionMethod: collection,
            daysUntilDue: days, currency: currency, description: try req.params.nonEmpty("description"),
            metadata: try Metadata.apply(&req.params, to: [:]), discounts: discounts == nil ? nil : [],
            defaultTaxRates: try TaxRates.read(&req, ["default_tax_rates"]) ?? [])
        if let discounts {
            try applyDiscounts(discounts, to: &invoice, now: now, req.ledger)
        }
        if let d = dueDate { invoice["due_date"] = .int(d) }
        if let pm = try req.params.nonEmpty("default_payment_method") {
            invoice["default_payment_method"] = .string(pm)
            try req.store.update(invoice)
        }
        try invoice.setString("footer", from: &req.params)
        try req.store.update(invoice)
        return invoice
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    /// A draft's own discounts (`discounts[]`): they replace the ones it had, and the totals follow.
    static func applyDiscounts(_ requests: [DiscountRequest], to invoice: inout JSONValue, now: Int, _ ledger: Ledger) throws {
        let target = Discounts.Target(customer: invoice["customer"].stringValue, invoice: invoice["id"].stringValue)
        invoice["discounts"] = .array(try DiscountRequest.apply(requests, target: target, now: now, ledger).map { $0.discount["id"] })
        try Invoicing.recompute(&invoice, ledger)
        try ledger.store.update(invoice)
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        let before = invoice
        let draft = invoice["status"] == "draft"
        invoice["metadata"] = try Metadata.apply(&req.params, to: invoice["metadata"])
        if draft {
            try invoice.setString("description", from: &req.params)
            try invoice.setString("footer", from: &req.params)
            if let pm = try req.params.string("default_payment_method") { invoice["default_payment_method"] = pm.isEmpty ? .null : .string(pm) }
            if let c = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) { invoice["collection_method"] = .string(c) }
            try AutomaticTax.refuse(&req)
            if let rates = try TaxRates.read(&req, ["default_tax_rates"]) { invoice["default_tax_rates"] = .array(rates) }
            let now = try req.ledger.now(for: invoice)
            if let discounts = try DiscountParams.read(&req, customer: invoice["customer"].stringValue, currency: invoice["currency"].stringValue,
                                                       amount: nil, now: now) {
                try applyDiscounts(discounts, to: &invoice, now: now, req.ledger)
            }
            try Invoicing.recompute(&invoice, req.ledger)
        } else if req.params.has("discounts") || req.params.has("default_tax_rates") {
            throw StripeError.invalidRequest("A finalized invoice's discounts and tax rates can no longer be changed.", code: "invoice_not_editable")
        }
        if let a = try req.params.bool("auto_advance") {
            invoice["auto_advance"] = .bool(a)
            if draft {
                let now = try req.ledger.now(for: invoice)
                invoice["automatically_finalizes_at"] = a ? .int(max(now, invoice["created"].intValue ?? now) + 3600) : .null
                if a {
                    try Scheduler.reschedule(req.ledger, clock: invoice["test_clock"].stringValue,
                                             at: invoice["automatically_finalizes_at"].intValue!, .finalizeInvoice, target: invoice["id"].stringValue!)
                } else {
                    try Scheduler.cancel(req.ledger, .finalizeInvoice, target: invoice["id"].stringValue!)
                }
            }
        }
        if !draft, req.params.has("description") || req.params.has("footer") {
            throw StripeError.invalidRequest("Finalized invoices can only update metadata, auto_advance and a few other fields.",
                                             code: "invoice_not_editable")
        }
        try req.store.update(invoice)
        try req.ledger.emitUpdate(.invoiceUpdated, before: before, after: invoice)
        return invoice
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let invoice = try get(req.pathParam(), req)
        guard invoice["status"] == "draft" else {
            throw StripeError.invalidRequest("You can only delete draft invoices. Void finalized invoices instead.", code: "invoice_not_editable")
        }
        let id = invoice["id"].stringValue!
        for var ii in try req.store.all(type: "invoiceitem", filters: [.field("invoice", equals: .string(id))]) {
            ii["invoice"] = nil
            try req.store.update(ii)
        }
        try Scheduler.cancelAll(req.ledger, target: id)
        try req.store.markDeleted(id)
        try req.ledger.emit(.invoiceDeleted, invoice)
        return deletedStub(id, "invoice")
    }

    static func send(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        try InvoiceDueDates.send(&invoice, req.ledger)
        return invoice
    }

    static func finalize(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        if let a = try req.params.bool("auto_advance") { invoice["auto_advance"] = .bool(a) }
        try Invoicing.finalize(&invoice, req.ledger)
        return invoice
    }

    /// Pays now: with the given or default payment method, or `paid_out_of_band`.
    static func pay(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        let ledger = req.ledger
        if invoice["status"] == "draft" { try Invoicing.finalize(&invoice, ledger) }
        guard invoice["status"] == "open" || invoice["status"] == "uncollectible" else {
            if invoice["status"] == "paid" {
                throw StripeError.invalidRequest("Invoice is already paid", code: "invoice_already_paid")
            }
            throw StripeError.invalidRequest("You can only pay open invoices; this one is \(invoice["status"].stringValue ?? "").",
                                             code: "invoice_not_open")
        }
        if try req.params.bool("paid_out_of_band") == true {
            try Invoicing.markPaid(&invoice, ledger, outOfBand: true)
            try SubscriptionEngine.afterCollection(invoice: invoice, result: .paid, ledger)
            return invoice
        }
        var pmID: String? = nil
        if let pm = try req.params.nonEmpty("payment_method") {
            let stored = try PaymentMethods.live(pm, &req, param: "payment_method")
            if stored["customer"].isNull {
                _ = try PaymentMethods.attach(stored["id"].stringValue!, to: invoice["customer"].stringValue!, &req, param: "payment_method")
            }
            pmID = stored["id"].stringValue
        }
        // Stripe's reference: `off_session` defaults to true. Either way a card that needs
        // authentication leaves the intent `requires_action` (invoice.payment_action_required) for
        // the customer to complete, as a renewal does: it is not a decline.
        let offSession = try req.params.bool("off_session") ?? true
        _ = try req.params.bool("forgive")
        guard try pmID ?? Invoicing.paymentMethod(for: invoice, ledger) != nil else {
            throw StripeError.invalidRequest(
                "This customer has no attached payment source or default payment method. Please consider adding a default payment method.",
                code: "invoice_no_customer_line_items")
        }
        let result = try Invoicing.collect(&invoice, ledger, offSession: offSession, paymentMethod: pmID)
        try SubscriptionEngine.afterCollection(invoice: invoice, result: result, ledger)
        switch result {
        case .failed(let decline?):
            let piID = invoice["payments"]["data"].arrayValue?.last?["payment"]["payment_intent"].stringValue
            let pi = try piID.flatMap { try req.store.find($0)?.object } ?? .null
            throw CommittedFailure(error: Payments.error(for: decline, pi: pi, charge: try pi["latest_charge"].stringValue.flatMap { try req.store.find($0)?.object }))
        case .requiresAction:
            throw CommittedFailure(error: StripeError(status: 402, type: .cardError, code: "invoice_payment_intent_requires_action",
                                                      message: "This payment requires additional user action before it can be completed successfully."))
        default:
            return try get(invoice["id"].stringValue!, req)
        }
    }

    static func void(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        try Invoicing.void(&invoice, req.ledger)
        try SubscriptionEngine.afterWriteOff(invoice: invoice, req.ledger)
        return invoice
    }

    static func markUncollectible(_ req: inout APIRequest) throws -> JSONValue {
        var invoice = try get(req.pathParam(), req)
        try Invoicing.markUncollectible(&invoice, req.ledger)
        try SubscriptionEngine.afterWriteOff(invoice: invoice, req.ledger)
        return invoice
    }

    static func lines(_ req: inout APIRequest) throws -> JSONValue {
        let invoice = try get(req.pathParam(), req)
        let (page, _) = try req.listPage(createdFilter: false)
        return paginate(invoice["lines"]["data"].arrayValue ?? [], page: page, url: "/v1/invoices/\(invoice["id"].stringValue!)/lines")
    }

    /// Pages an embedded list (in list order) with Stripe's cursor rules.
    static func paginate(_ all: [JSONValue], page: ListPage, url: String) -> JSONValue {
        var items = all[...]
        if let after = page.startingAfter, let i = items.firstIndex(where: { $0["id"].stringValue == after }) {
            items = items[(i + 1)...]
        }
        if let before = page.endingBefore, let i = items.firstIndex(where: { $0["id"].stringValue == before }) {
            items = items[..<i].suffix(page.limit)
            return ["object": "list", "data": .array(Array(items)), "has_more": .bool(i - items.count > 0), "url": .string(url),
                    "total_count": .int(all.count)]
        }
        let slice = Array(items.prefix(page.limit))
        return ["object": "list", "data": .array(slice), "has_more": .bool(items.count > page.limit), "url": .string(url),
                "total_count": .int(all.count)]
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let s = try req.params.nonEmpty("subscription") {
            filters.append(.field("parent.subscription_details.subscription", equals: .string(s)))
        }
        if let st = try req.params.choice("status", in: ["draft", "open", "paid", "uncollectible", "void"]) {
            filters.append(.field("status", equals: .string(st)))
        }
        if let m = try req.params.choice("collection_method", in: ["charge_automatically", "send_invoice"]) {
            filters.append(.field("collection_method", equals: .string(m)))
        }
        filters += try req.rangeFilters("due_date").map { ListFilter(sql: $0.sql.replacingCreated(with: "json_extract(data, '$.due_date')"), arguments: $0.arguments) }
        return try req.store.list(type: "invoice", filters: filters, page: page, url: "/v1/invoices", noun: "invoice")
    }

    static func search(_ req: inout APIRequest) throws -> JSONValue {
        try req.search(type: "invoice", url: "/v1/invoices/search")
    }

    static func listPayments(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let i = try req.params.nonEmpty("invoice") { filters.append(.field("invoice", equals: .string(i))) }
        if let s = try req.params.choice("status", in: ["canceled", "open", "paid"]) { filters.append(.field("status", equals: .string(s))) }
        if let pi = try req.params.nonEmpty("payment", "payment_intent") { filters.append(.field("payment.payment_intent", equals: .string(pi))) }
        _ = try req.params.string("payment", "type")
        return try req.store.list(type: "invoice_payment", filters: filters, page: page, url: "/v1/invoice_payments", noun: "invoice payment")
    }

    static func retrievePayment(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "invoice_payment", noun: "invoice payment")
    }

    /// `create_preview`: the next invoice of a customer or subscription, computed and not stored.
    /// With only `customer`, the customer's subscription that renews first (as Stripe previews
    /// "the customer's upcoming invoice"); its pending invoice items when it has none.
    static func preview(_ req: inout APIRequest) throws -> JSONValue {
        var subscription: JSONValue? = nil
        if let s = try req.params.nonEmpty("subscription") { subscription = try req.store.get(s, type: "subscription", param: "subscription") }
        let customerID = try req.params.nonEmpty("customer") ?? subscription?["customer"].stringValue
        guard let customerID else { throw StripeError.invalidRequest("You must pass either customer or subscription.", param: "customer", code: "parameter_missing") }
        let customer = try Customers.live(customerID, req, param: "customer")
        if subscription == nil {
            subscription = try req.store.all(type: "subscription", filters: [.column("customer", customerID)])
                .filter { SubscriptionEngine.live.contains($0["status"].stringValue ?? "") }
                .min { SubscriptionEngine.periodEnd($0) < SubscriptionEngine.periodEnd($1) }
        }
        return try Previews.compute(&req, customer: customer, subscription: subscription)
    }

    /// The pre-basil `GET /v1/invoices/upcoming`: the same preview, with its old parameter names
    /// (`subscription_items`, `subscription_proration_behavior`, `subscription_proration_date`).
    /// Removed in 2025-03-31.basil, so refused at that version and later.
    static func upcoming(_ req: inout APIRequest) throws -> JSONValue {
        guard req.version < BasilInvoicingAndPeriods.version else {
            throw StripeError.invalidRequest(
                "GET /v1/invoices/upcoming was removed in API version 2025-03-31.basil: use POST /v1/invoices/create_preview (this request is at \(req.version)).",
                status: 400)
        }
        var root = req.params.root
        var details: [String: FormValue] = [:]
        for (old, new) in [("subscription_items", "items"), ("subscription_proration_behavior", "proration_behavior"),
                           ("subscription_proration_date", "proration_date")] {
            if let v = root.removeValue(forKey: old) { details[new] = v }
        }
        if !details.isEmpty { root["subscription_details"] = .dict(details) }
        req.params = Params(root)
        // An upcoming invoice has no id.
        guard case .object(var o) = try preview(&req) else { return .null }
        o["id"] = Optional<JSONValue>.none
        return .object(o)
    }

    static func upcomingLines(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage()
        let preview = try upcoming(&req)
        return preview["lines"]
    }
}

extension String {
    func replacingCreated(with expression: String) -> String {
        guard hasPrefix("created") else { return self }
        return expression + dropFirst("created".count)
    }
}
