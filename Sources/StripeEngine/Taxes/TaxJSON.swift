import StripeWire

extension TaxMath.Tax {
    /// The tax as invoices, their lines and credit notes render it (`taxes[]`, `total_taxes[]`).
    package func json(reason: String) -> JSONValue {
        ["amount": .int(amount), "tax_behavior": .string(inclusive ? "inclusive" : "exclusive"),
         "tax_rate_details": ["tax_rate": .string(rate)], "taxability_reason": .string(reason),
         "taxable_amount": .int(taxableAmount), "type": "tax_rate_details"]
    }
}

extension TaxMath {
    /// `taxability_reason` for manual tax rates: no Stripe Tax reasoning (`not_available`), unless
    /// the customer is exempt (`customer_exempt`) or reverse-charged (`reverse_charge`).
    package static func reason(customerTaxExempt: String?) -> String {
        switch customerTaxExempt {
        case "exempt": "customer_exempt"
        case "reverse": "reverse_charge"
        default: "not_available"
        }
    }
}
