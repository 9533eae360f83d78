import StripeWire

/// A pending invoice item for a price (not a proration): the one-time lines of an accepted quote
/// and a schedule phase's `add_invoice_items`. `subscription` ties it to that subscription's next
/// invoice (its renewal, or the invoice of a change); without it the customer's next invoice
/// (a new subscription's first) takes it.
package enum InvoiceItemObject {
    @discardableResult
    package static func forPrice(_ price: JSONValue, quantity: Int, customer: JSONValue, subscription: String? = nil, description: String?,
                                 taxRates: [JSONValue], metadata: JSONValue = [:], now: Int, _ ledger: Ledger) throws -> JSONValue {
        let amount = PriceMath.amount(price, quantity: quantity)
        let parent: JSONValue = subscription.map {
            ["subscription_details": ["subscription": .string($0), "subscription_item": nil], "type": "subscription_details"]
        } ?? nil
        let ii: JSONValue = [
            "id": .string(try ledger.newID("ii")), "object": "invoiceitem", "amount": .int(amount), "currency": price["currency"],
            "customer": customer["id"], "customer_account": nil, "date": .int(now), "description": .from(description),
            "discountable": true, "discounts": [], "invoice": nil, "livemode": false, "metadata": metadata, "net_amount": .int(amount),
            "parent": parent, "period": ["end": .int(now), "start": .int(now)],
            "pricing": ["price_details": ["price": price["id"], "product": price["product"]], "type": "price_details",
                        "unit_amount_decimal": price["unit_amount_decimal"]],
            "proration": false, "proration_details": ["discount_amounts": []], "quantity": .int(quantity), "tax_rates": .array(taxRates),
            "test_clock": customer["test_clock"],
        ]
        try ledger.store.insert(ii, type: "invoiceitem")
        try ledger.emit(.invoiceitemCreated, ii)
        return ii
    }
}
