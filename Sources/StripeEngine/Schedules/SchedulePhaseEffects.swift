import StripeWire

/// What a phase does to its subscription besides its items, when the phase starts: its
/// discounts become the subscription's, its trial (`trial_end`, or `trial` for the whole phase)
/// makes the subscription trial, and its `add_invoice_items` become pending invoice items that
/// the phase's first invoice bills.
extension ScheduleEngine {
    /// The phase's discounts as requests for its subscription.
    static func discountRequests(_ phase: JSONValue, _ ledger: Ledger) throws -> [DiscountRequest] {
        try (phase["discounts"].arrayValue ?? []).compactMap { d in
            if let id = d["discount"].stringValue, let discount = try ledger.store.find(id)?.object { return .existing(discount) }
            if let id = d["promotion_code"].stringValue, let promo = try ledger.store.find(id)?.object,
               let couponID = promo["promotion"]["coupon"].stringValue ?? promo["coupon"]["id"].stringValue,
               let coupon = try ledger.store.find(couponID)?.object {
                return .coupon(coupon, promotionCode: promo)
            }
            if let id = d["coupon"].stringValue, let coupon = try ledger.store.find(id)?.object { return .coupon(coupon, promotionCode: nil) }
            return nil
        }
    }

    /// The phase's `add_invoice_items` as pending invoice items: the first phase's before its
    /// subscription exists (the subscription's first invoice takes the customer's pending items),
    /// a later phase's tied to the subscription (its next invoice takes them).
    static func addInvoiceItems(_ phase: JSONValue, customer: JSONValue, subscription: String?, now: Int, _ ledger: Ledger) throws {
        for item in phase["add_invoice_items"].arrayValue ?? [] {
            let price = try ledger.store.get(item["price"].stringValue ?? "", type: "price", param: "phases")
            let product = try price["product"].stringValue.flatMap { try ledger.store.find($0)?.object }
            try InvoiceItemObject.forPrice(price, quantity: item["quantity"].intValue ?? 1, customer: customer, subscription: subscription,
                                           description: product?["name"].stringValue, taxRates: item["tax_rates"].arrayValue ?? [],
                                           metadata: item["metadata"].isNull ? [:] : item["metadata"], now: now, ledger)
        }
    }

    /// The trial a phase starting at `start` gives its subscription, if it ends after the start.
    static func trialEnd(of phase: JSONValue, start: Int) -> Int? {
        guard let t = phase["trial_end"].intValue, t > start else { return nil }
        return t
    }
}
