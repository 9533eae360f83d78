import StripeWire

/// A new `customer` object with Stripe's defaults, made the same way by `POST /v1/customers` and
/// by Checkout when it creates the customer.
package enum CustomerObject {
    package static func new(id: String, created: Int, email: String? = nil, name: String? = nil) -> JSONValue {
        [
            "id": .string(id), "object": "customer",
            "address": nil, "balance": 0, "business_name": nil, "created": .int(created), "currency": nil,
            "customer_account": nil, "default_source": nil, "delinquent": false, "description": nil,
            "discount": nil, "email": .from(email), "individual_name": nil,
            "invoice_prefix": .string(invoicePrefix(id)),
            "invoice_settings": ["custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil],
            "livemode": false, "metadata": [:], "name": .from(name), "next_invoice_sequence": 1, "phone": nil,
            "preferred_locales": [], "shipping": nil, "tax_exempt": "none", "test_clock": nil,
        ]
    }

    /// Eight letters or digits derived from the id, so a seeded run numbers invoices the same way.
    package static func invoicePrefix(_ id: String) -> String {
        let digest = Digest.sha256(Array(id.utf8))
        return String(decoding: digest.prefix(8).map { prefixLetters[Int($0) % prefixLetters.count] }, as: UTF8.self)
    }

    /// As bytes: an array of `Character`s (grapheme-broken) was built for every new customer.
    private static let prefixLetters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
}
