import StripeEngine
import StripeWire

/// `/v1/customers`: create, retrieve, update, delete, list, search, and the customer's payment methods.
enum Customers {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/customers", create)
        r.read("/v1/customers", list)
        r.read("/v1/customers/search", search)
        r.read("/v1/customers/{customer}", retrieve)
        r.post("/v1/customers/{customer}", update)
        r.delete("/v1/customers/{customer}", delete)
        r.delete("/v1/customers/{customer}/discount", deleteDiscount)
        r.read("/v1/customers/{customer}/payment_methods", PaymentMethods.listForCustomer)
        CustomerBalanceTransactions.register(&r)
        r.read("/v1/customers/{customer}/payment_methods/{payment_method}", PaymentMethods.retrieveForCustomer)
        CustomerSources.register(&r)
    }

    /// A live customer, or 404.
    static func live(_ id: String, _ req: APIRequest, param: String? = "id") throws -> JSONValue {
        try req.store.get(id, type: "customer", param: param)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let id = try req.newID("cus")
        var c = CustomerObject.new(id: id, created: req.now)
        if let clock = try req.params.nonEmpty("test_clock") {
            let clockObject = try req.store.get(clock, type: "test_helpers.test_clock", noun: "test clock", param: "test_clock")
            c["test_clock"] = .string(clock)
            c["created"] = clockObject["frozen_time"]
        }
        try apply(&req, to: &c, creating: true)
        // `source`: a card becomes the customer's first source and its default.
        let source = req.params.has("source") ? try CustomerSources.card(from: &req) : nil
        let sourceID = source == nil ? nil : try req.newID("card")
        if let sourceID { c["default_source"] = .string(sourceID) }
        if req.settings.strictClocks, let clock = c["test_clock"].stringValue,
           try req.store.all(type: "customer", filters: [.field("test_clock", equals: .string(clock))]).count >= 3 {
            throw StripeError.invalidRequest("A test clock can have at most 3 customers (strict clocks are on).", param: "test_clock")
        }
        let discount = try DiscountParams.readLegacy(&req, customer: id, currency: nil, amount: nil, now: try req.ledger.now(for: c))
        try req.store.insert(c, type: "customer")
        let created = try EventLog.emit(req.ledger, type: .customerCreated, object: c, previous: nil)
        if case let (card, details)? = source, let sourceID {
            let object = CardSource.new(id: sourceID, card: card, customer: id, details: details)
            try req.store.insert(object, type: "card", hidden: card.hidden)
            try req.ledger.emit(.customerSourceCreated, object)
        }
        if let discount {
            try CustomerDiscount.set(&c, discount, now: try req.ledger.now(for: c), req.ledger)
            try req.store.update(c)
            try EventLog.replaceObject(req.ledger, eventID: created, with: c)
        }
        if let pm = try req.params.nonEmpty("payment_method") {
            let attached = try PaymentMethods.attach(pm, to: id, &req, param: "payment_method")
            if c["invoice_settings"]["default_payment_method"].stringValue == pm {
                c["invoice_settings"]["default_payment_method"] = attached["id"]
                try req.store.update(c)
                try EventLog.replaceObject(req.ledger, eventID: created, with: c)
            }
        }
        return c
    }

    /// The fields create and update share.
    static func apply(_ req: inout APIRequest, to c: inout JSONValue, creating: Bool) throws {
        for f in ["description", "email", "name", "phone", "business_name", "individual_name"] {
            try c.setString(f, from: &req.params)
        }
        if req.params.has("email"), let email = c["email"].stringValue { try EmailAddress.check(email, param: "email") }
        if let a = try Address.read(&req.params, ["address"]) { c["address"] = a }
        if let s = try Address.shipping(&req.params, ["shipping"]) { c["shipping"] = s }
        if req.params.has("balance") {
            // Setting the balance is a transaction of its own (`initial` on create, `adjustment` after).
            let target = try req.params.int("balance") ?? 0
            let change = target - (c["balance"].intValue ?? 0)
            if change != 0 {
                try CustomerBalance.record(&c, amount: change, currency: c["currency"].stringValue ?? AccountObject.defaultCurrency(req.ledger),
                                           type: creating ? "initial" : "adjustment", now: try req.ledger.now(for: c), req.ledger)
            }
        }
        if let p = try req.params.string("invoice_prefix") {
            guard p.count >= 3, p.count <= 12, p.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                throw StripeError.invalidRequest("Invalid invoice_prefix: it must be 3 to 12 uppercase letters or digits.", param: "invoice_prefix")
            }
            c["invoice_prefix"] = .string(p)
        }
        try c.setInt("next_invoice_sequence", from: &req.params)
        try c.setStrings("preferred_locales", from: &req.params)
        if let t = try req.params.choice("tax_exempt", in: ["none", "exempt", "reverse"]) { c["tax_exempt"] = .string(t) }
        c["metadata"] = try Metadata.apply(&req.params, to: c["metadata"])
        if let pm = try req.params.string("invoice_settings", "default_payment_method") {
            if pm.isEmpty {
                c["invoice_settings"]["default_payment_method"] = nil
            } else {
                let id = c["id"].stringValue!
                // A payment method must be attached to this customer to become its default.
                let resolved: String
                if creating, req.params.raw(["payment_method"])?.stringValue == pm {
                    resolved = pm  // attached just after the insert, below
                } else {
                    let stored = try PaymentMethods.live(pm, &req, param: "invoice_settings[default_payment_method]")
                    guard stored["customer"].stringValue == id else {
                        throw StripeError.invalidRequest(
                            "The customer does not have a payment method with the ID \(pm). The payment method must be attached to the customer.",
                            param: "invoice_settings[default_payment_method]", code: "resource_missing")
                    }
                    resolved = stored["id"].stringValue!
                }
                c["invoice_settings"]["default_payment_method"] = .string(resolved)
            }
        }
        if let f = try req.params.string("invoice_settings", "footer") {
            c["invoice_settings"]["footer"] = f.isEmpty ? .null : .string(f)
        }
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        guard let row = try req.store.find(id), row.type == "customer" else { throw StripeError.noSuch("customer", id) }
        return row.deleted ? deletedStub(id, "customer") : row.object
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var c = try live(req.pathParam(), req)
        let before = c
        let id = c["id"].stringValue!
        try apply(&req, to: &c, creating: false)
        // `source` adds a card, makes it the default and deletes the old default (Stripe's
        // documented behaviour for customer updates).
        if req.params.has("source") {
            let (card, details) = try CustomerSources.card(from: &req)
            let old = try c["default_source"].stringValue.flatMap { try req.store.find($0) }.flatMap { $0.deleted ? nil : $0.object }
            let added = try CustomerSources.add(card, details: details, to: id, &req)
            if let old {
                try req.store.markDeleted(old["id"].stringValue!)
                try req.ledger.emit(.customerSourceDeleted, old)
            }
            c["default_source"] = added["id"]
        }
        if let source = try req.params.string("default_source") {
            if source.isEmpty {
                c["default_source"] = nil
            } else {
                guard let row = try req.store.find(source), row.type == "card", !row.deleted,
                      row.object["customer"].stringValue == id else {
                    throw StripeError.invalidRequest("No such source: '\(source)'", param: "default_source", code: "resource_missing")
                }
                c["default_source"] = .string(source)
            }
        }
        // `coupon=""` (or `promotion_code=""`) takes the customer's discount off.
        if case .string("")? = req.params.raw(["coupon"]) ?? req.params.raw(["promotion_code"]) {
            req.params.consume(["coupon"])
            req.params.consume(["promotion_code"])
            try CustomerDiscount.clear(&c, req.ledger)
        } else if let discount = try DiscountParams.readLegacy(&req, customer: c["id"].stringValue, currency: nil, amount: nil,
                                                               now: try req.ledger.now(for: c)) {
            try CustomerDiscount.set(&c, discount, now: try req.ledger.now(for: c), req.ledger)
        }
        try req.store.update(c)
        try req.ledger.emitUpdate(.customerUpdated, before: before, after: c)
        return c
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        let customer = try live(id, req)
        let ledger = req.ledger
        // Deleting a customer ends its subscriptions at once, as on Stripe.
        for var sub in try req.store.all(type: "subscription", filters: [.column("customer", id)])
        where !["canceled", "incomplete_expired"].contains(sub["status"].stringValue ?? "") {
            try SubscriptionEngine.cancelNow(&sub, reason: nil, ledger)
        }
        try req.store.markDeleted(id)
        try ledger.emit(.customerDeleted, customer)
        return deletedStub(id, "customer")
    }

    /// `DELETE /v1/customers/{id}/discount`: the customer's discount ends now.
    static func deleteDiscount(_ req: inout APIRequest) throws -> JSONValue {
        var c = try live(req.pathParam(), req)
        return try CustomerDiscount.remove(&c, req.ledger)
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let email = try req.params.nonEmpty("email") { filters.append(.field("email", equals: .string(email))) }
        if let clock = try req.params.nonEmpty("test_clock") { filters.append(.field("test_clock", equals: .string(clock))) }
        return try req.store.list(type: "customer", filters: filters, page: page, url: "/v1/customers", noun: "customer")
    }

    static func search(_ req: inout APIRequest) throws -> JSONValue {
        try req.search(type: "customer", url: "/v1/customers/search")
    }
}
