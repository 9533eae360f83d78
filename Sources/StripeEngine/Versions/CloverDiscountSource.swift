import StripeWire

/// 2025-09-30.clover put coupons behind a source: `discount.source = {type: "coupon", coupon: id}`
/// instead of `discount.coupon` (the whole coupon), and `promotion_code.promotion` instead of
/// `promotion_code.coupon`. Backward: the whole coupon is looked up and embedded again, a deleted
/// coupon included (a discount outlives its coupon).
package enum CloverDiscountSource: VersionChange {
    package static let version = APIVersion("2025-09-30.clover")!
    package static let types: Set<String> = ["discount", "promotion_code"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        let key = type == "discount" ? "source" : "promotion"
        let coupon = o[key]["coupon"]
        if let id = coupon.stringValue {
            o["coupon"] = try context.store.find(id)?.object ?? nil
        } else {
            o["coupon"] = coupon  // already expanded
        }
        remove(&o, [key])
    }
}
