import StripeWire

extension TaxMath.Tax {
    /// The tax as invoices, their lines and credit notes render it (`taxes[]`, `total_taxes[]`).
    package func json(reason: String) -> JSONValue {
        ["amount": .int(amount), "tax_behavior": .string(inclusive ? "inclusive" : "exclusive"),
         "tax_rate_details": ["tax_rate": .string(rate)], "taxability_reason": .string(reason),
         "taxable_amount": .int(taxableAmount), "type": "tax_rate_details"]
    }
}
