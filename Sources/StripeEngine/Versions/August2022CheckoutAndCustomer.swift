import StripeWire

/// 2022-08-01 renamed Checkout's `shipping` to `shipping_details` and moved `shipping_rate` into
/// `shipping_cost`, and removed `customer.default_currency` (use `currency`). Backward: the old
/// fields. (Its behaviour changes — payment-mode sessions creating the customer and the intent
/// up front — are Checkout's, keyed by the session's version; see ``CheckoutEngine``.)
package enum August2022CheckoutAndCustomer: VersionChange {
    package static let version = APIVersion("2022-08-01")!
    package static let types: Set<String> = ["checkout.session", "customer"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        switch type {
        case "checkout.session":
            o["shipping"] = o["shipping_details"]
            o["shipping_rate"] = o["shipping_cost"]["shipping_rate"]
            remove(&o, ["shipping_details", "shipping_cost"])
        case "customer":
            o["default_currency"] = o["currency"]
        default:
            return
        }
    }
}
