import StripeWire

/// Proration invoice items: credit for the unused time of the old price, debit for the remaining
/// time of the new one, computed to the second over the current period (Stripe's method).
package enum Prorations {
    package static func fraction(_ amount: Int, remaining: Int, period: Int) -> Int {
        guard period > 0 else { return 0 }
        return Int((Double(amount) * Double(remaining) / Double(period)).rounded())
    }

    @discardableResult
    package static func makeItem(_ ledger: Ledger, sub: JSONValue, item: JSONValue, price: JSONValue, quantity: Int, amount: Int,
                         description: String, period: (Int, Int), now: Int) throws -> JSONValue {
        // A proration carries the discounts in force on the subscription when it was made, and the item's tax rates.
        let discounts = try (sub["discounts"].arrayValue ?? []).compactMap(\.stringValue).filter { try Discounts.inForce($0, now: now, ledger) }
        let ii: JSONValue = [
            "id": .string(try ledger.newID("ii")), "object": "invoiceitem", "amount": .int(amount),
            "currency": price["currency"], "customer": sub["customer"], "customer_account": nil, "date": .int(now),
            "description": .string(description), "discountable": false, "discounts": .array(discounts.map { .string($0) }), "invoice": nil,
            "livemode": false, "metadata": [:], "net_amount": .int(amount),
            "parent": ["subscription_details": ["subscription": sub["id"], "subscription_item": item["id"]],
                       "type": "subscription_details"],
            "period": ["end": .int(period.1), "start": .int(period.0)],
            "pricing": ["price_details": ["price": price["id"], "product": price["product"]], "type": "price_details",
                        "unit_amount_decimal": price["unit_amount_decimal"]],
            "proration": true, "proration_details": ["discount_amounts": []], "quantity": .int(quantity),
            "tax_rates": .array(Invoicing.taxRates(sub: sub, item: item)), "test_clock": sub["test_clock"],
        ]
        try ledger.store.insert(ii, type: "invoiceitem")
        try ledger.emit(.invoiceitemCreated, ii)
        return ii
    }

    /// "Unused time on 1 × Pro after 15 Jan 2027" for each item (used when canceling with `prorate`).
    package static func credit(sub: JSONValue, at: Int, _ ledger: Ledger) throws {
        for item in SubscriptionEngine.items(sub) {
            try unused(sub: sub, item: item, at: at, ledger)
        }
    }

    package static func unused(sub: JSONValue, item: JSONValue, at: Int, _ ledger: Ledger) throws {
        let start = item["current_period_start"].intValue ?? at, end = item["current_period_end"].intValue ?? at
        guard end > at, !Usage.isMetered(item["price"]) else { return }
        let price = item["price"]
        let q = item["quantity"].intValue ?? 1
        let amount = -fraction(PriceMath.amount(price, quantity: q), remaining: end - at, period: end - start)
        guard amount != 0 else { return }
        let product = try SubscriptionEngine.product(of: price, ledger)
        try makeItem(ledger, sub: sub, item: item, price: price, quantity: q, amount: amount,
                     description: "Unused time on \(q) × \(product["name"].stringValue ?? "") after \(PriceMath.date(at))",
                     period: (at, end), now: try ledger.now(for: sub))
    }

    package static func remaining(sub: JSONValue, item: JSONValue, at: Int, _ ledger: Ledger) throws {
        let start = item["current_period_start"].intValue ?? at, end = item["current_period_end"].intValue ?? at
        guard end > at, !Usage.isMetered(item["price"]) else { return }
        let price = item["price"]
        let q = item["quantity"].intValue ?? 1
        let amount = fraction(PriceMath.amount(price, quantity: q), remaining: end - at, period: end - start)
        guard amount != 0 else { return }
        let product = try SubscriptionEngine.product(of: price, ledger)
        try makeItem(ledger, sub: sub, item: item, price: price, quantity: q, amount: amount,
                     description: "Remaining time on \(q) × \(product["name"].stringValue ?? "") after \(PriceMath.date(at))",
                     period: (at, end), now: try ledger.now(for: sub))
    }
}
