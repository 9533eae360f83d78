import StripeWire

/// Legacy card sources (`card_…`): cards attached to a customer through `source=tok_…`, as older
/// integrations use them. Stripe charges them as payment methods too (`payment_method=card_…`),
/// so the engine reads either kind through ``instrument(_:_:param:)``.
package enum CardSource {
    /// A new `card` object owned by `customer`, with every field of Stripe's `card` schema.
    /// `details` carries what the token or hash said (name, address_*).
    package static func new(id: String, card: Card, customer: String, details: JSONValue = [:]) -> JSONValue {
        var object = card.legacyJSON(id: id)
        object["customer"] = .string(customer)
        // Only external accounts (Connect payouts) fill these; a customer's card has them null.
        for field in ["account", "available_payout_methods", "currency", "default_for_currency", "iin", "status"] {
            object[field] = nil
        }
        if card.cvcProvided { object["cvc_check"] = "pass" }
        for field in ["name", "address_line1", "address_line2", "address_city", "address_state", "address_zip", "address_country"] {
            if let v = details[field].stringValue { object[field] = .string(v) }
        }
        if object["address_line1"].stringValue != nil { object["address_line1_check"] = "pass" }
        if object["address_zip"].stringValue != nil { object["address_zip_check"] = "pass" }
        return object
    }

    package static func isSource(_ id: String) -> Bool { id.hasPrefix("card_") }

    /// A payment method or a card source, for charging: a card source is shown as the payment
    /// method Stripe makes of it (billing details from its name and address).
    package static func instrument(_ id: String, _ ledger: Ledger, param: String? = "payment_method") throws -> JSONValue {
        guard isSource(id) else {
            return try ledger.store.get(id, type: "payment_method", noun: "PaymentMethod", param: param)
        }
        guard let row = try ledger.store.find(id), row.type == "card", !row.deleted else {
            throw StripeError.noSuch("PaymentMethod", id, param: param)
        }
        return row.object
    }

    /// The `billing_details` of a payment made with a card source.
    package static func billingDetails(_ card: JSONValue) -> JSONValue {
        let address: JSONValue = [
            "city": card["address_city"], "country": card["address_country"], "line1": card["address_line1"],
            "line2": card["address_line2"], "postal_code": card["address_zip"], "state": card["address_state"],
        ]
        return ["address": address, "email": nil, "name": card["name"], "phone": nil, "tax_id": nil]
    }

    /// The customer's sources, oldest first.
    package static func all(of customer: String, _ ledger: Ledger) throws -> [JSONValue] {
        try ledger.store.all(type: "card", filters: [.column("customer", customer)])
    }
}
