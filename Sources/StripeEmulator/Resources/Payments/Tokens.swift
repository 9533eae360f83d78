import StripeEngine
import StripeWire

/// `/v1/tokens` for cards, and the magic `tok_*` test tokens (reusable; real tokens are single-use).
enum Tokens {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/tokens", create)
        r.get("/v1/tokens/{token}", retrieve)
    }

    static func render(id: String, card: Card, cardID: String, now: Int, used: Bool) -> JSONValue {
        ["id": .string(id), "object": "token", "card": card.legacyJSON(id: cardID), "client_ip": nil,
         "created": .int(now), "livemode": false, "type": "card", "used": .bool(used)]
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        guard req.params.has("card") else {
            if req.params.has("bank_account") || req.params.has("pii") || req.params.has("account") || req.params.has("person") {
                throw StripeError.invalidRequest("Only card tokens are emulated.", param: nil)
            }
            throw StripeError.missingParam("card")
        }
        if let cardID = req.params.raw(["card"])?.stringValue {
            throw StripeError.invalidRequest("Tokenizing an existing card (\(cardID)) is not emulated; pass card[number], card[exp_month], card[exp_year].",
                                             param: "card")
        }
        let number = try req.params.requiredString("card", "number")
        let card = try Card.validate(number: number, expMonth: try req.params.int("card", "exp_month"),
                                     expYear: try req.params.int("card", "exp_year"),
                                     cvc: try req.params.string("card", "cvc"), now: req.now, paramPrefix: "card")
        var token = render(id: try req.newID("tok"), card: card, cardID: try req.newID("card"), now: req.now, used: false)
        if let name = try req.params.nonEmpty("card", "name") { token["card"]["name"] = .string(name) }
        for f in ["address_line1", "address_line2", "address_city", "address_state", "address_zip", "address_country"] {
            if let v = try req.params.nonEmpty("card", f) { token["card"][f] = .string(v) }
        }
        if let c = try req.params.currency("card", "currency") { token["card"]["currency"] = .string(c) }
        try req.store.insert(token, type: "token", hidden: card.hidden)
        return token
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        if let (name, magic) = TestCards.magic(forID: id), id.hasPrefix("tok_") {
            return render(id: id, card: Card.fromMagic(name, magic, now: req.now), cardID: "card_" + name, now: req.now, used: false)
        }
        return try req.store.get(id, type: "token")
    }

    /// The card behind a token, marking a real token used (a second use is an error, as on Stripe).
    static func consume(_ id: String, _ req: inout APIRequest, param: String) throws -> Card {
        if let (name, magic) = TestCards.magic(forID: id), id.hasPrefix("tok_") {
            return Card.fromMagic(name, magic, now: req.now)
        }
        var token = try req.store.get(id, type: "token", param: param)
        guard token["used"].boolValue != true else {
            throw StripeError.invalidRequest("You cannot use a Stripe token more than once: \(id).", param: param,
                                             code: "token_already_used")
        }
        guard let card = Card(hidden: try req.store.hidden(id)) else { throw StripeError.noSuch("token", id, param: param) }
        token["used"] = true
        try req.store.update(token)
        return card
    }
}
