import StripeWire

/// The `payment_method` object as the engine makes it (API create, Checkout, the portal), so
/// every path renders the same fields.
package enum PaymentMethodObject {
    package static func card(id: String, card: Card, now: Int, billingDetails: JSONValue? = nil) -> JSONValue {
        [
            "id": .string(id), "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": billingDetails ?? ["address": AddressObject.empty, "email": nil, "name": nil, "phone": nil, "tax_id": nil],
            "card": card.paymentMethodJSON,
            "created": .int(now), "customer": nil, "customer_account": nil, "livemode": false,
            "metadata": [:], "type": "card",
        ]
    }
}
