import StripeEngine
import StripeWire

/// `/v1/promotion_codes`: customer-facing codes for a coupon, with their own limits
/// (`expires_at`, `max_redemptions`, one customer, first-time buyers, a minimum amount).
///
/// The coupon is `promotion[coupon]` from 2025-09-30.clover on, `coupon` before it, as the
/// request's API version says.
enum PromotionCodes {
    static let clover = APIVersion("2025-09-30.clover")!

    static func register(_ r: inout APIRouter) {
        r.post("/v1/promotion_codes", create)
        r.read("/v1/promotion_codes", list)
        r.read("/v1/promotion_codes/{id}", retrieve)
        r.post("/v1/promotion_codes/{id}", update)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let couponParam = req.version < clover ? "coupon" : "promotion[coupon]"
        let couponID: String
        if req.version < clover {
            couponID = try req.params.requiredString("coupon")
        } else {
            guard try req.params.choice("promotion", "type", in: ["coupon"]) != nil else { throw StripeError.missingParam("promotion[type]") }
            couponID = try req.params.requiredString("promotion", "coupon")
        }
        let coupon = try req.store.get(couponID, type: "coupon", noun: "coupon", param: couponParam)
        let now = req.now
        try Discounts.checkRedeemable(coupon, now: now, param: couponParam)
        var code = try req.params.nonEmpty("code") ?? ""
        if code.isEmpty {
            code = try ShortCode.make(req, kind: "promo")
        } else {
            guard code.count <= 500, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw StripeError.invalidRequest("Invalid code: use letters, digits, '-' and '_' only.", param: "code")
            }
        }
        if try activeCode(code, req) != nil {
            throw StripeError.invalidRequest("An active promotion code with `code: \(code)` already exists.", param: "code",
                                             code: "resource_already_exists")
        }
        var customer: JSONValue = nil
        if let c = try req.params.nonEmpty("customer") { customer = try Customers.live(c, req, param: "customer")["id"] }
        let expires = try req.params.int("expires_at")
        if let e = expires {
            guard e > now else { throw StripeError.invalidRequest("Invalid expires_at: must be in the future.", param: "expires_at") }
            if let by = coupon["redeem_by"].intValue, e > by {
                throw StripeError.invalidRequest("The promotion code's expires_at cannot be later than its coupon's redeem_by.", param: "expires_at")
            }
        }
        let maxRedemptions = try req.params.int("max_redemptions")
        if let m = maxRedemptions, m <= 0 {
            throw StripeError.invalidRequest("Invalid max_redemptions: must be at least 1.", param: "max_redemptions")
        }
        let minimum = try req.params.int("restrictions", "minimum_amount")
        let minimumCurrency = try req.params.currency("restrictions", "minimum_amount_currency")?.lowercased()
        if minimum != nil, minimumCurrency == nil {
            throw StripeError.missingParam("restrictions[minimum_amount_currency]")
        }
        let promo: JSONValue = [
            "id": .string(try req.newID("promo")), "object": "promotion_code", "active": .bool(try req.params.bool("active") ?? true),
            "code": .string(code), "created": .int(now), "customer": customer, "customer_account": nil, "expires_at": .from(expires),
            "livemode": false, "max_redemptions": .from(maxRedemptions), "metadata": try Metadata.apply(&req.params, to: [:]),
            "promotion": ["coupon": coupon["id"], "type": "coupon"],
            "restrictions": ["currency_options": [:], "first_time_transaction": .bool(try req.params.bool("restrictions", "first_time_transaction") ?? false),
                             "minimum_amount": .from(minimum), "minimum_amount_currency": .from(minimumCurrency)],
            "times_redeemed": 0,
        ]
        try req.store.insert(promo, type: "promotion_code")
        try req.ledger.emit(.promotionCodeCreated, promo)
        return promo
    }

    static func activeCode(_ code: String, _ req: APIRequest) throws -> JSONValue? {
        try Discounts.activePromotionCode(code, req.ledger)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "promotion_code", noun: "promotion code")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var p = try req.store.get(req.pathParam(), type: "promotion_code", noun: "promotion code")
        let before = p
        if let active = try req.params.bool("active") {
            if active, p["active"] == false, let other = try activeCode(p["code"].stringValue ?? "", req), other["id"] != p["id"] {
                throw StripeError.invalidRequest("An active promotion code with `code: \(p["code"].stringValue ?? "")` already exists.",
                                                 param: "active", code: "resource_already_exists")
            }
            p["active"] = .bool(active)
        }
        p["metadata"] = try Metadata.apply(&req.params, to: p["metadata"])
        try req.store.update(p)
        try req.ledger.emitUpdate(.promotionCodeUpdated, before: before, after: p)
        return p
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let a = try req.params.bool("active") { filters.append(.field("active", equals: .bool(a))) }
        if let c = try req.params.nonEmpty("code") {
            filters.append(Discounts.codeFilter(c))
        }
        if let c = try req.params.nonEmpty("coupon") { filters.append(.field("promotion.coupon", equals: .string(c))) }
        if let c = try req.params.nonEmpty("customer") { filters.append(.field("customer", equals: .string(c))) }
        return try req.store.list(type: "promotion_code", filters: filters, page: page, url: "/v1/promotion_codes", noun: "promotion_code")
    }
}
