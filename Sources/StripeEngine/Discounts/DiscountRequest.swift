import StripeWire

/// One entry of a `discounts[]` parameter (or the older `coupon` / `promotion_code`): a coupon to
/// apply, with the promotion code it was redeemed through, or a discount the customer already has.
package enum DiscountRequest {
    case coupon(JSONValue, promotionCode: JSONValue?)
    case existing(JSONValue)

    /// Applies the requests to a target, creating the new discounts; returns them in order, each
    /// marked `created` when it is new (an existing one is reused as it is).
    /// A request naming the same coupon twice is Stripe's 400.
    package static func apply(_ requests: [DiscountRequest], target: Discounts.Target, now: Int, _ ledger: Ledger) throws -> [(discount: JSONValue, created: Bool)] {
        var seen: Set<String> = []
        var out: [(discount: JSONValue, created: Bool)] = []
        for r in requests {
            switch r {
            case .existing(let d):
                out.append((d, false))
            case .coupon(let coupon, let promo):
                let key = coupon["id"].stringValue ?? ""
                guard seen.insert(key).inserted else {
                    throw StripeError.invalidRequest("You cannot apply the same coupon (\(key)) more than once.", param: "discounts",
                                                     code: "discount_duplicate")
                }
                out.append((try Discounts.create(ledger, coupon: coupon, promotionCode: promo, target: target, now: now), true))
            }
        }
        return out
    }
}
