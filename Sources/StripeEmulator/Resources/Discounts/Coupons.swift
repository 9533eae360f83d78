import StripeEngine
import StripeWire

/// `/v1/coupons`: percentages or amounts off, once, for some months, or forever; limited by
/// `max_redemptions` and `redeem_by`, optionally to some products (`applies_to`).
enum Coupons {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/coupons", create)
        r.read("/v1/coupons", list)
        r.read("/v1/coupons/{id}", retrieve)
        r.post("/v1/coupons/{id}", update)
        r.delete("/v1/coupons/{id}", delete)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let percent = try req.params.string("percent_off").map { s -> Double in
            guard let v = Double(s), v > 0, v <= 100 else {
                throw StripeError.invalidRequest("Invalid percent_off: must be greater than 0 and at most 100.", param: "percent_off")
            }
            return v
        }
        let amount = try req.params.int("amount_off")
        let currency = try req.params.currency("currency")?.lowercased()
        switch (percent, amount) {
        case (nil, nil):
            throw StripeError.invalidRequest("You must specify either percent_off or amount_off.", param: "percent_off")
        case (.some, .some):
            throw StripeError.invalidRequest("You can only specify one of percent_off and amount_off.", param: "amount_off")
        default: break
        }
        if let amount {
            guard amount > 0 else { throw StripeError.invalidRequest("Invalid amount_off: must be greater than 0.", param: "amount_off") }
            guard currency != nil else {
                throw StripeError.invalidRequest("You must specify currency when you specify amount_off.", param: "currency")
            }
        }
        let duration = try req.params.choice("duration", in: ["forever", "once", "repeating"]) ?? "once"
        let months = try req.params.int("duration_in_months")
        if duration == "repeating" {
            guard let months, months > 0 else {
                throw StripeError.invalidRequest("duration_in_months is required (a positive number of months) when duration is repeating.",
                                                 param: "duration_in_months")
            }
        } else if months != nil {
            throw StripeError.invalidRequest("duration_in_months is only valid when duration is repeating.", param: "duration_in_months")
        }
        let now = req.now
        let maxRedemptions = try req.params.int("max_redemptions")
        if let m = maxRedemptions, m <= 0 {
            throw StripeError.invalidRequest("Invalid max_redemptions: must be at least 1.", param: "max_redemptions")
        }
        let redeemBy = try req.params.int("redeem_by")
        if let r = redeemBy, r <= now {
            throw StripeError.invalidRequest("Invalid redeem_by: must be in the future.", param: "redeem_by")
        }
        var id = try req.params.nonEmpty("id") ?? ""
        if id.isEmpty {
            id = try ShortCode.make(req, kind: "coupon")
        } else if try req.store.find(id) != nil {
            throw StripeError.invalidRequest("Coupon already exists.", param: "id", code: "resource_already_exists")
        }
        var appliesTo: JSONValue = nil
        if let products = try req.params.strings("applies_to", "products") {
            for p in products { _ = try req.store.get(p, type: "product", param: "applies_to[products]") }
            appliesTo = ["products": .array(products.map { .string($0) })]
        }
        var coupon: JSONValue = [
            "id": .string(id), "object": "coupon", "amount_off": .from(amount), "applies_to": appliesTo, "created": .int(now),
            "currency": .from(amount == nil ? nil : currency), "currency_options": nil, "duration": .string(duration),
            "duration_in_months": .from(months), "livemode": false, "max_redemptions": .from(maxRedemptions),
            "metadata": try Metadata.apply(&req.params, to: [:]), "name": .from(try req.params.nonEmpty("name")),
            "percent_off": percent.map { $0 == $0.rounded() ? .int(Int($0)) : .double($0) } ?? .null,
            "redeem_by": .from(redeemBy), "times_redeemed": 0, "valid": true,
        ]
        if let options = try currencyOptions(&req, amountOff: amount != nil) { coupon["currency_options"] = options }
        try req.store.insert(coupon, type: "coupon")
        try req.ledger.emit(.couponCreated, coupon)
        return coupon
    }

    /// `currency_options[eur][amount_off]`: the amount off in other currencies (amount-off coupons only).
    static func currencyOptions(_ req: inout APIRequest, amountOff: Bool) throws -> JSONValue? {
        guard case .dict(let d)? = req.params.raw(["currency_options"]) else { return nil }
        guard amountOff else {
            throw StripeError.invalidRequest("currency_options is only valid for coupons with amount_off.", param: "currency_options")
        }
        var out: [String: JSONValue] = [:]
        for code in d.keys.sorted() {
            guard let a = try req.params.int("currency_options", code, "amount_off"), a > 0 else {
                throw StripeError.missingParam("currency_options[\(code)][amount_off]")
            }
            out[code.lowercased()] = ["amount_off": .int(a)]
        }
        return .object(JSONObject(out))
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        var c = try req.store.get(req.pathParam(), type: "coupon", noun: "coupon")
        c["valid"] = .bool(Discounts.isValid(c, now: req.now))
        return c
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var c = try req.store.get(req.pathParam(), type: "coupon", noun: "coupon")
        let before = c
        try c.setString("name", from: &req.params)
        c["metadata"] = try Metadata.apply(&req.params, to: c["metadata"])
        if let options = try currencyOptions(&req, amountOff: !c["amount_off"].isNull) {
            var merged = c["currency_options"].objectValue ?? JSONObject()
            for (k, v) in options.objectValue ?? JSONObject() { merged[k] = v }
            c["currency_options"] = .object(merged)
        }
        try req.store.update(c)
        try req.ledger.emitUpdate(.couponUpdated, before: before, after: c)
        return c
    }

    /// Deleting a coupon stops new redemptions; discounts already made from it keep applying.
    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let c = try req.store.get(req.pathParam(), type: "coupon", noun: "coupon")
        let id = c["id"].stringValue!
        try req.store.markDeleted(id)
        try req.ledger.emit(.couponDeleted, c)
        return deletedStub(id, "coupon")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let (page, filters) = try req.listPage()
        return try req.store.list(type: "coupon", filters: filters, page: page, url: "/v1/coupons", noun: "coupon")
    }
}
