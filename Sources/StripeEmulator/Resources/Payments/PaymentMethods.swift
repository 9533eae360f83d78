import StripeEngine
import StripeWire

/// `/v1/payment_methods` (cards only): create from a card number or a token, the magic
/// `pm_card_*` test ids, attach (where declining test cards fail as Stripe's do), detach, list.
enum PaymentMethods {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/payment_methods", create)
        r.read("/v1/payment_methods", list)
        r.read("/v1/payment_methods/{payment_method}", retrieve)
        r.post("/v1/payment_methods/{payment_method}", update)
        r.post("/v1/payment_methods/{payment_method}/attach", attachRoute)
        r.post("/v1/payment_methods/{payment_method}/detach", detach)
        // Mandates are made by bank-debit confirmations (see BankDebit).
        r.read("/v1/mandates/{mandate}") { req in try req.store.get(req.pathParam(), type: "mandate") }
    }

    /// Stores a new card payment method.
    static func store(_ card: Card, _ req: inout APIRequest, billingDetails: JSONValue? = nil) throws -> JSONValue {
        let pm = PaymentMethodObject.card(id: try req.newID("pm"), card: card, now: req.now, billingDetails: billingDetails)
        try req.store.insert(pm, type: "payment_method", hidden: card.hidden)
        return pm
    }

    /// A stored payment method, or a fresh one materialized from a magic `pm_card_*` id
    /// (each use of a magic id makes a new payment method, as on Stripe).
    static func live(_ id: String, _ req: inout APIRequest, param: String? = "payment_method") throws -> JSONValue {
        if let (name, magic) = TestCards.magic(forID: id), id.hasPrefix("pm_card_") {
            return try store(Card.fromMagic(name, magic, now: req.now), &req)
        }
        if id.hasPrefix("tok_") {
            return try store(try Tokens.consume(id, &req, param: param ?? "payment_method"), &req)
        }
        // A customer's card source is charged as a payment method (`payment_method=card_…`).
        if CardSource.isSource(id) { return try CardSource.instrument(id, req.ledger, param: param) }
        return try req.store.get(id, type: "payment_method", noun: "PaymentMethod", param: param)
    }

    static func card(of pm: JSONValue, _ req: APIRequest) throws -> Card {
        guard let id = pm["id"].stringValue, let card = Card(hidden: try req.store.hidden(id)) else {
            return Card(number: "4242424242424242", expMonth: 12, expYear: 2099, cvcProvided: false, magicName: nil)
        }
        return card
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let type = try req.params.requiredString("type")
        if BankDebit.types.contains(type) { return try createBankDebit(type, &req) }
        guard type == "card" else {
            throw StripeError.invalidRequest("Payment method type '\(type)' is not emulated; card, sepa_debit and us_bank_account are.",
                                             param: "type")
        }
        let card: Card
        if let token = try req.params.nonEmpty("card", "token") {
            card = try Tokens.consume(token, &req, param: "card[token]")
        } else {
            guard req.params.has("card") else { throw StripeError.missingParam("card") }
            let number = try req.params.requiredString("card", "number")
            card = try Card.validate(number: number, expMonth: try req.params.int("card", "exp_month"),
                                     expYear: try req.params.int("card", "exp_year"),
                                     cvc: try req.params.string("card", "cvc"), now: req.now, paramPrefix: "card")
        }
        let billing = try Address.billingDetails(&req.params, ["billing_details"])
        var pm = PaymentMethodObject.card(id: try req.newID("pm"), card: card, now: req.now, billingDetails: billing)
        pm["metadata"] = try Metadata.apply(&req.params, to: [:])
        if let a = try req.params.choice("allow_redisplay", in: ["always", "limited", "unspecified"]) { pm["allow_redisplay"] = .string(a) }
        try req.store.insert(pm, type: "payment_method", hidden: card.hidden)
        return pm
    }

    /// `sepa_debit[iban]` or `us_bank_account[account_number, routing_number, ...]`, with Stripe's
    /// test account numbers deciding the settlement (see ``BankDebit``).
    static func createBankDebit(_ type: String, _ req: inout APIRequest) throws -> JSONValue {
        let details: JSONValue
        let account: String
        if type == "sepa_debit" {
            let iban = try req.params.requiredString("sepa_debit", "iban")
            guard BankDebit.validIBAN(iban) else {
                throw StripeError.invalidRequest("The IBAN you provided (\(iban)) is invalid.", param: "sepa_debit[iban]", code: "invalid_bank_account_iban")
            }
            account = iban.uppercased().filter { $0 != " " }
            details = BankDebit.sepaDetails(iban: account)
        } else {
            let number = try req.params.requiredString("us_bank_account", "account_number")
            let routing = try req.params.requiredString("us_bank_account", "routing_number")
            guard number.allSatisfy({ $0.isASCII && $0.isNumber }), (4...17).contains(number.count) else {
                throw StripeError.invalidRequest("Invalid account number.", param: "us_bank_account[account_number]")
            }
            guard routing.count == 9, routing.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw StripeError.invalidRequest("Routing number must have 9 digits.", param: "us_bank_account[routing_number]",
                                                 code: "routing_number_invalid")
            }
            let holder = try req.params.choice("us_bank_account", "account_holder_type", in: ["individual", "company"]) ?? "individual"
            let kind = try req.params.choice("us_bank_account", "account_type", in: ["checking", "savings"]) ?? "checking"
            account = number
            details = BankDebit.usBankDetails(account: number, routing: routing, holderType: holder, accountType: kind)
        }
        let billing = try Address.billingDetails(&req.params, ["billing_details"])
        guard billing["name"].stringValue != nil else {
            throw StripeError.invalidRequest("Missing required param: billing_details[name].", param: "billing_details[name]",
                                             code: "parameter_missing")
        }
        var pm = BankDebit.paymentMethod(id: try req.newID("pm"), type: type, details: details, billingDetails: billing, now: req.now)
        pm["metadata"] = try Metadata.apply(&req.params, to: [:])
        if let a = try req.params.choice("allow_redisplay", in: ["always", "limited", "unspecified"]) { pm["allow_redisplay"] = .string(a) }
        try req.store.insert(pm, type: "payment_method", hidden: ["bank": .string(type), "account": .string(account)])
        return pm
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        if let (name, magic) = TestCards.magic(forID: id), id.hasPrefix("pm_card_") {
            return PaymentMethodObject.card(id: id, card: Card.fromMagic(name, magic, now: req.now), now: req.now)
        }
        return try req.store.get(id, type: "payment_method", noun: "PaymentMethod")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var pm = try req.store.get(req.pathParam(), type: "payment_method", noun: "PaymentMethod")
        let before = pm
        pm["billing_details"] = try Address.billingDetails(&req.params, ["billing_details"], existing: pm["billing_details"])
        pm["metadata"] = try Metadata.apply(&req.params, to: pm["metadata"])
        if let m = try req.params.int("card", "exp_month") {
            guard (1...12).contains(m) else {
                throw StripeError(status: 402, type: .cardError, code: "invalid_expiry_month",
                                  message: "Your card's expiration month is invalid.", param: "card[exp_month]")
            }
            pm["card"]["exp_month"] = .int(m)
        }
        if let y = try req.params.int("card", "exp_year") { pm["card"]["exp_year"] = .int(y < 100 ? 2000 + y : y) }
        if let a = try req.params.choice("allow_redisplay", in: ["always", "limited", "unspecified"]) { pm["allow_redisplay"] = .string(a) }
        try req.store.update(pm)
        try req.ledger.emitUpdate(.paymentMethodUpdated, before: before, after: pm)
        return pm
    }

    /// Attaches a payment method to a customer; cards that decline on attach answer 402.
    static func attach(_ id: String, to customer: String, _ req: inout APIRequest, param: String?) throws -> JSONValue {
        var pm = try live(id, &req, param: param)
        if let owner = pm["customer"].stringValue {
            if owner == customer { return pm }
            throw StripeError.invalidRequest(
                "The payment method you provided has already been attached to a customer.", param: param,
                code: "payment_method_unexpected_state")
        }
        let card = try card(of: pm, req)
        if let decline = card.behavior.declineOnAttach {
            throw decline.error()
        }
        pm["customer"] = .string(customer)
        try req.store.update(pm)
        try req.ledger.emit(.paymentMethodAttached, pm)
        return pm
    }

    static func attachRoute(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try req.params.requiredString("customer")
        _ = try Customers.live(customer, req, param: "customer")
        return try attach(req.pathParam(), to: customer, &req, param: nil)
    }

    static func detach(_ req: inout APIRequest) throws -> JSONValue {
        var pm = try req.store.get(req.pathParam(), type: "payment_method", noun: "PaymentMethod")
        guard let owner = pm["customer"].stringValue else {
            throw StripeError.invalidRequest("The payment method \(pm["id"].stringValue!) is not attached to a customer.",
                                             code: "payment_method_unexpected_state")
        }
        pm["customer"] = nil
        try req.store.update(pm)
        try req.ledger.emit(.paymentMethodDetached, pm, previous: ["customer": .string(owner)])
        if var c = try req.store.find(owner)?.object,
           c["invoice_settings"]["default_payment_method"].stringValue == pm["id"].stringValue {
            let before = c
            c["invoice_settings"]["default_payment_method"] = nil
            try req.store.update(c)
            try req.ledger.emitUpdate(.customerUpdated, before: before, after: c)
        }
        return pm
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage(createdFilter: false)
        if let customer = try req.params.nonEmpty("customer") {
            _ = try Customers.live(customer, req, param: "customer")
            filters.append(.column("customer", customer))
        }
        if let type = try req.params.nonEmpty("type") { filters.append(.field("type", equals: .string(type))) }
        if let a = try req.params.nonEmpty("allow_redisplay") { filters.append(.field("allow_redisplay", equals: .string(a))) }
        return try req.store.list(type: "payment_method", filters: filters, page: page, url: "/v1/payment_methods",
                                  noun: "PaymentMethod")
    }

    static func listForCustomer(_ req: inout APIRequest) throws -> JSONValue {
        let customer = req.pathParam()
        _ = try Customers.live(customer, req)
        var (page, filters) = try req.listPage(createdFilter: false)
        filters.append(.column("customer", customer))
        if let type = try req.params.nonEmpty("type") { filters.append(.field("type", equals: .string(type))) }
        if let a = try req.params.nonEmpty("allow_redisplay") { filters.append(.field("allow_redisplay", equals: .string(a))) }
        return try req.store.list(type: "payment_method", filters: filters, page: page,
                                  url: "/v1/customers/\(customer)/payment_methods", noun: "PaymentMethod")
    }

    static func retrieveForCustomer(_ req: inout APIRequest) throws -> JSONValue {
        let customer = req.pathParam(0)
        _ = try Customers.live(customer, req)
        let pm = try req.store.get(req.pathParam(1), type: "payment_method", noun: "PaymentMethod")
        guard pm["customer"].stringValue == customer else {
            throw StripeError.noSuch("PaymentMethod", req.pathParam(1))
        }
        return pm
    }
}
