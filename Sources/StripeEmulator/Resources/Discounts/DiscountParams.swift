import StripeEngine
import StripeWire

/// The discount parameters: `discounts[N][coupon | promotion_code | discount]`, and the single
/// `coupon` / `promotion_code` older integrations send (removed from subscriptions at
/// 2025-03-31.basil; see ``readLegacy(_:customer:currency:amount:now:)``).
enum DiscountParams {
    static let basil = APIVersion("2025-03-31.basil")!

    /// `discounts[]` at `path`: nil when absent, [] when cleared (`discounts=""`).
    /// `amount` is what the discounts would apply to (for promotion codes' `minimum_amount`).
    static func read(_ req: inout APIRequest, _ path: [String] = ["discounts"], customer: String?, currency: String?, amount: Int?,
                     now: Int) throws -> [DiscountRequest]? {
        if case .string("")? = req.params.raw(path) { req.params.consume(path); return [] }
        let n = try req.params.count(path)
        guard n > 0 else { return nil }
        var out: [DiscountRequest] = []
        for i in 0..<n {
            let base = path + [String(i)]
            let coupon = try req.params.nonEmptyPath(base + ["coupon"])
            let promo = try req.params.nonEmptyPath(base + ["promotion_code"])
            let existing = try req.params.nonEmptyPath(base + ["discount"])
            switch (coupon, promo, existing) {
            case (let c?, nil, nil):
                out.append(try couponRequest(c, req, param: Params.name(base + ["coupon"]), now: now))
            case (nil, let p?, nil):
                out.append(try promotionRequest(p, req, param: Params.name(base + ["promotion_code"]), customer: customer, currency: currency,
                                                amount: amount, now: now))
            case (nil, nil, let d?):
                let discount = try req.store.get(d, type: "discount", noun: "discount", param: Params.name(base + ["discount"]))
                guard discount["customer"].stringValue == customer else {
                    throw StripeError.invalidRequest("The discount \(d) does not belong to this customer.", param: Params.name(base + ["discount"]))
                }
                out.append(.existing(discount))
            default:
                throw StripeError.invalidRequest("Each entry of \(Params.name(path)) takes exactly one of coupon, promotion_code or discount.",
                                                 param: Params.name(base))
            }
        }
        return out
    }

    /// The single `coupon` / `promotion_code` of customers (every version) and of subscriptions
    /// before 2025-03-31.basil; nil when neither is sent.
    static func readLegacy(_ req: inout APIRequest, customer: String?, currency: String?, amount: Int?, now: Int) throws -> DiscountRequest? {
        let coupon = try req.params.nonEmpty("coupon")
        let promo = try req.params.nonEmpty("promotion_code")
        if coupon != nil, promo != nil {
            throw StripeError.invalidRequest("You can only specify one of coupon and promotion_code.", param: "promotion_code")
        }
        if let coupon { return try couponRequest(coupon, req, param: "coupon", now: now) }
        if let promo {
            return try promotionRequest(promo, req, param: "promotion_code", customer: customer, currency: currency, amount: amount, now: now)
        }
        return nil
    }

    /// Subscriptions lost `coupon` and `promotion_code` at basil: there they are unknown parameters.
    static func rejectLegacyAfterBasil(_ req: APIRequest) throws {
        guard req.version >= basil else { return }
        for p in ["coupon", "promotion_code"] where req.params.has(p) {
            throw StripeError.invalidRequest(
                "Received unknown parameter: \(p). Since API version 2025-03-31.basil, use discounts[][\(p)] instead.", param: p)
        }
    }

    static func couponRequest(_ id: String, _ req: APIRequest, param: String, now: Int) throws -> DiscountRequest {
        let coupon = try req.store.get(id, type: "coupon", noun: "coupon", param: param)
        try Discounts.checkRedeemable(coupon, now: now, param: param)
        return .coupon(coupon, promotionCode: nil)
    }

    static func promotionRequest(_ id: String, _ req: APIRequest, param: String, customer: String?, currency: String?, amount: Int?,
                                 now: Int) throws -> DiscountRequest {
        let promo = try req.store.get(id, type: "promotion_code", noun: "promotion code", param: param)
        try Discounts.checkPromotionCode(promo, customer: customer, currency: currency, amount: amount, now: now, param: param, req.ledger)
        let coupon = try req.store.get(Discounts.couponID(ofPromotionCode: promo), type: "coupon", noun: "coupon", param: param)
        return .coupon(coupon, promotionCode: promo)
    }
}
