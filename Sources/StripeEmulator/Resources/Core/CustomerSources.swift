import StripeEngine
import StripeWire

/// `/v1/customers/{id}/sources` (cards only, as legacy integrations use them): a token
/// (`tok_visa`, or one from `/v1/tokens`) or a card hash becomes a `card_…` owned by the
/// customer. The first card becomes the customer's `default_source`; the cards are charged as
/// payment methods (see ``CardSource``).
enum CustomerSources {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/customers/{customer}/sources", create)
        r.read("/v1/customers/{customer}/sources", list)
        r.read("/v1/customers/{customer}/sources/{id}", retrieve)
        r.post("/v1/customers/{customer}/sources/{id}", update)
        r.delete("/v1/customers/{customer}/sources/{id}", delete)
    }

    static let addressFields = ["address_city", "address_country", "address_line1", "address_line2", "address_state", "address_zip"]

    /// The card a `source` parameter names: a token id or a `source[object]=card` hash.
    /// Cards that decline on attach answer 402 here, as on Stripe. Nothing is stored yet.
    static func card(from req: inout APIRequest, param: String = "source") throws -> (Card, JSONValue) {
        guard let raw = req.params.raw([param]) else { throw StripeError.missingParam(param) }
        var details: JSONValue = [:]
        let card: Card
        switch raw {
        case .string(let id):
            req.params.consume([param])
            guard !id.isEmpty else { throw StripeError.missingParam(param) }
            guard id.hasPrefix("tok_") else {
                throw StripeError.invalidRequest(
                    "Only card tokens (`tok_…`) and card hashes are emulated as sources; \(id) is neither.", param: param)
            }
            if TestCards.magic(forID: id) == nil, let token = try req.store.find(id)?.object, token["object"] == "token" {
                for f in ["name"] + addressFields { details[f] = token["card"][f] }
            }
            card = try Tokens.consume(id, &req, param: param)
        case .dict:
            let object = try req.params.string(param, "object")
            guard object == "card" else {
                throw StripeError.invalidRequest("Only card sources (source[object]=card) are emulated.", param: "\(param)[object]")
            }
            let number = try req.params.requiredString(param, "number")
            card = try Card.validate(number: number, expMonth: try req.params.int(param, "exp_month"),
                                     expYear: try req.params.int(param, "exp_year"), cvc: try req.params.string(param, "cvc"),
                                     now: req.now, paramPrefix: param)
            for f in ["name"] + addressFields {
                if let v = try req.params.nonEmpty(param, f) { details[f] = .string(v) }
            }
            _ = try req.params.currency(param, "currency")
            _ = try Metadata.apply(&req.params, to: [:], path: [param, "metadata"])
        case .array:
            throw StripeError.invalidRequest("Invalid \(param): must be a token id or a card hash.", param: param)
        }
        if let decline = card.behavior.declineOnAttach { throw decline.error() }
        return (card, details)
    }

    /// Stores a new card source for the customer and emits `customer.source.created`.
    static func add(_ card: Card, details: JSONValue, metadata: JSONValue = [:], to customer: String,
                    _ req: inout APIRequest) throws -> JSONValue {
        var object = CardSource.new(id: try req.newID("card"), card: card, customer: customer, details: details)
        object["metadata"] = metadata
        try req.store.insert(object, type: "card", hidden: card.hidden)
        try req.ledger.emit(.customerSourceCreated, object)
        return object
    }

    static func owned(_ req: APIRequest) throws -> (customer: JSONValue, card: JSONValue) {
        let customer = try Customers.live(req.pathParam(0), req)
        let id = req.pathParam(1)
        guard let row = try req.store.find(id), row.type == "card", !row.deleted,
              row.object["customer"].stringValue == customer["id"].stringValue else {
            throw StripeError.noSuch("source", id)
        }
        return (customer, row.object)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        var customer = try Customers.live(req.pathParam(), req)
        let id = customer["id"].stringValue!
        let (card, details) = try card(from: &req)
        _ = try req.params.bool("validate")
        let metadata = try Metadata.apply(&req.params, to: [:])
        let source = try add(card, details: details, metadata: metadata, to: id, &req)
        // The first source becomes the default.
        if customer["default_source"].isNull {
            let before = customer
            customer["default_source"] = source["id"]
            try req.store.update(customer)
            try req.ledger.emitUpdate(.customerUpdated, before: before, after: customer)
        }
        return source
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try owned(req).card }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var (_, card) = try owned(req)
        let before = card
        for f in ["name"] + addressFields { try card.setString(f, from: &req.params) }
        var hidden = try req.store.hidden(card["id"].stringValue!)
        if let m = try req.params.int("exp_month") {
            guard (1...12).contains(m) else {
                throw StripeError(status: 402, type: .cardError, code: "invalid_expiry_month",
                                  message: "Your card's expiration month is invalid.", param: "exp_month")
            }
            card["exp_month"] = .int(m)
            hidden["exp_month"] = .int(m)
        }
        if let y = try req.params.int("exp_year") {
            let year = y < 100 ? 2000 + y : y
            let (nowYear, nowMonth) = UTCCalendar.yearMonthOf(req.now)
            let month = card["exp_month"].intValue ?? 12
            guard year > nowYear || (year == nowYear && month >= nowMonth), year < nowYear + 50 else {
                throw StripeError(status: 402, type: .cardError, code: "invalid_expiry_year",
                                  message: "Your card's expiration year is invalid.", param: "exp_year")
            }
            card["exp_year"] = .int(year)
            hidden["exp_year"] = .int(year)
        }
        card["metadata"] = try Metadata.apply(&req.params, to: card["metadata"])
        try req.store.update(card)
        try req.store.setHidden(card["id"].stringValue!, hidden)
        try req.ledger.emitUpdate(.customerSourceUpdated, before: before, after: card)
        return card
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        var (customer, card) = try owned(req)
        let id = card["id"].stringValue!
        try remove(card, from: &customer, &req)
        return ["id": .string(id), "object": "card", "currency": nil, "deleted": true]
    }

    /// Deletes a source; when it was the default, the most recently added remaining card takes
    /// its place (or none), with `customer.updated`.
    static func remove(_ card: JSONValue, from customer: inout JSONValue, _ req: inout APIRequest, emitCustomerUpdate: Bool = true) throws {
        let id = card["id"].stringValue!
        try req.store.markDeleted(id)
        try req.ledger.emit(.customerSourceDeleted, card)
        guard customer["default_source"].stringValue == id else { return }
        let before = customer
        let remaining = try CardSource.all(of: customer["id"].stringValue!, req.ledger)
        customer["default_source"] = remaining.last?["id"] ?? .null
        try req.store.update(customer)
        if emitCustomerUpdate { try req.ledger.emitUpdate(.customerUpdated, before: before, after: customer) }
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req)
        let id = customer["id"].stringValue!
        var (page, filters) = try req.listPage(createdFilter: false)
        filters.append(.column("customer", id))
        let object = try req.params.choice("object", in: ["card", "bank_account", "source", "account"])
        if let object, object != "card" {
            return ["object": "list", "data": [], "has_more": false, "url": .string("/v1/customers/\(id)/sources")]
        }
        return try req.store.list(type: "card", filters: filters, page: page, url: "/v1/customers/\(id)/sources", noun: "source")
    }
}
