import StripeEngine
import StripeWire

/// `/v1/invoiceitems`: one-off charges and credits waiting for the customer's next invoice
/// (proration items are created by the engine and listed here too).
enum InvoiceItems {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/invoiceitems", create)
        r.read("/v1/invoiceitems", list)
        r.read("/v1/invoiceitems/{id}", retrieve)
        r.post("/v1/invoiceitems/{id}", update)
        r.delete("/v1/invoiceitems/{id}", delete)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(try req.params.requiredString("customer"), req, param: "customer")
        let now = try req.ledger.now(for: customer)
        var price: JSONValue = .null
        if let p = try req.params.nonEmpty("pricing", "price") ?? req.params.nonEmpty("price") {
            price = try req.store.get(p, type: "price", param: "pricing[price]")
        }
        let quantity = try req.params.int("quantity") ?? 1
        let amount: Int
        let currency: String
        if !price.isNull {
            amount = PriceMath.amount(price, quantity: quantity)
            currency = price["currency"].stringValue ?? "usd"
        } else {
            guard let a = try req.params.int("amount") else {
                throw StripeError.invalidRequest("You must specify either `amount` or `pricing[price]`.", param: "amount", code: "parameter_missing")
            }
            amount = a
            guard let c = try req.params.currency("currency") else { throw StripeError.missingParam("currency") }
            currency = c.lowercased()
        }
        var subscription: JSONValue = .null
        if let s = try req.params.nonEmpty("subscription") {
            let sub = try req.store.get(s, type: "subscription", param: "subscription")
            subscription = ["subscription": sub["id"], "subscription_item": nil]
        }
        var invoiceID: JSONValue = .null
        if let inv = try req.params.nonEmpty("invoice") {
            let invoice = try req.store.get(inv, type: "invoice", param: "invoice")
            guard invoice["status"] == "draft" else {
                throw StripeError.invalidRequest("You can only add invoice items to draft invoices.", param: "invoice", code: "invoice_not_editable")
            }
            invoiceID = invoice["id"]
        }
        let id = try req.newID("ii")
        let taxRates = try TaxRates.read(&req, ["tax_rates"]) ?? []
        let discountRequests = try DiscountParams.read(&req, customer: customer["id"].stringValue, currency: currency, amount: amount, now: now) ?? []
        let discounts = try DiscountRequest.apply(discountRequests, target: .init(customer: customer["id"].stringValue, invoiceItem: id),
                                                  now: now, req.ledger).map { $0.discount["id"] }
        var ii: JSONValue = [
            "id": .string(id), "object": "invoiceitem", "amount": .int(amount), "currency": .string(currency),
            "customer": customer["id"], "customer_account": nil, "date": .int(now),
            "description": .from(try req.params.nonEmpty("description")),
            "discountable": .bool(try req.params.bool("discountable") ?? true), "discounts": .array(discounts), "invoice": invoiceID,
            "livemode": false, "metadata": try Metadata.apply(&req.params, to: [:]), "net_amount": .int(amount),
            "parent": subscription.isNull ? .null : ["subscription_details": subscription, "type": "subscription_details"],
            "period": ["end": .int(try req.params.int("period", "end") ?? now), "start": .int(try req.params.int("period", "start") ?? now)],
            "pricing": price.isNull ? .null : ["price_details": ["price": price["id"], "product": price["product"]],
                                                "type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"]],
            "proration": false, "proration_details": ["discount_amounts": []], "quantity": .int(quantity), "tax_rates": .array(taxRates),
            "test_clock": customer["test_clock"],
        ]
        if ii["description"].isNull, !price.isNull {
            ii["description"] = try SubscriptionEngine.product(of: price, req.ledger)["name"]
        }
        try req.store.insert(ii, type: "invoiceitem")
        try req.ledger.emit(.invoiceitemCreated, ii)
        if let inv = invoiceID.stringValue, var invoice = try req.store.find(inv)?.object {
            var lines = invoice["lines"]["data"].arrayValue ?? []
            lines.append(try Invoicing.itemLine(req.ledger, invoiceID: inv, ii: ii))
            invoice["lines"]["data"] = .array(lines)
            try Invoicing.recompute(&invoice, req.ledger)
            try req.store.update(invoice)
        }
        return ii
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "invoiceitem", noun: "invoiceitem")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var ii = try req.store.get(req.pathParam(), type: "invoiceitem", noun: "invoiceitem")
        guard ii["invoice"].isNull else {
            throw StripeError.invalidRequest("This invoice item is already on an invoice and can no longer be changed.", code: "invoice_not_editable")
        }
        let before = ii
        if let a = try req.params.int("amount") { ii["amount"] = .int(a); ii["net_amount"] = .int(a) }
        try ii.setString("description", from: &req.params)
        ii["metadata"] = try Metadata.apply(&req.params, to: ii["metadata"])
        if let q = try req.params.int("quantity") { ii["quantity"] = .int(q) }
        try ii.setBool("discountable", from: &req.params)
        if let rates = try TaxRates.read(&req, ["tax_rates"]) { ii["tax_rates"] = .array(rates) }
        let now = try req.ledger.now(for: ii)
        if let requests = try DiscountParams.read(&req, customer: ii["customer"].stringValue, currency: ii["currency"].stringValue,
                                                  amount: ii["amount"].intValue, now: now) {
            let target = Discounts.Target(customer: ii["customer"].stringValue, invoiceItem: ii["id"].stringValue)
            ii["discounts"] = .array(try DiscountRequest.apply(requests, target: target, now: now, req.ledger).map { $0.discount["id"] })
        }
        try req.store.update(ii)
        try req.ledger.emitUpdate(.invoiceitemUpdated, before: before, after: ii)
        return ii
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let ii = try req.store.get(req.pathParam(), type: "invoiceitem", noun: "invoiceitem")
        guard ii["invoice"].isNull else {
            throw StripeError.invalidRequest("This invoice item is already on an invoice and can no longer be deleted.", code: "invoice_not_editable")
        }
        try req.store.markDeleted(ii["id"].stringValue!)
        try req.ledger.emit(.invoiceitemDeleted, ii)
        return deletedStub(ii["id"].stringValue!, "invoiceitem")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let c = try req.params.nonEmpty("customer") { filters.append(.column("customer", c)) }
        if let i = try req.params.nonEmpty("invoice") { filters.append(.field("invoice", equals: .string(i))) }
        if let pending = try req.params.bool("pending") {
            filters.append(ListFilter(sql: pending ? "json_extract(data, '$.invoice') IS NULL" : "json_extract(data, '$.invoice') IS NOT NULL", arguments: []))
        }
        return try req.store.list(type: "invoiceitem", filters: filters, page: page, url: "/v1/invoiceitems", noun: "invoiceitem")
    }
}
