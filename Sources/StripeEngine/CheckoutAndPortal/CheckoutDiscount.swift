import StripeWire

/// A discount on a Checkout Session: given when the session is created (`discounts[]`) or
/// entered by the customer on the hosted page (`allow_promotion_codes`). The session's amounts
/// show it at once (`total_details.amount_discount`, `amount_total`, each line's
/// `amount_discount`); it is redeemed when the session completes, on the subscription it
/// creates or, in payment mode, on the session itself.
package enum CheckoutDiscount {
    /// Sets the session's discount and recomputes its amounts; `lineItems` are the session's
    /// stored line items, updated in place.
    package static func apply(_ session: inout JSONValue, lineItems: inout [JSONValue], coupon: JSONValue, promotionCode: JSONValue?,
                              trial: Bool) {
        let currency = session["currency"].stringValue ?? "usd"
        let reduction = Discounts.reduction(of: coupon, currency: currency)
        let products = coupon["applies_to"]["products"].arrayValue
        let eligible = lineItems.indices.filter { i in
            guard let products else { return true }
            return products.contains(lineItems[i]["price"]["product"])
        }
        let amounts = lineItems.map { $0["amount_subtotal"].intValue ?? 0 }
        let taken = reduction.map { DiscountAllocation.allocate(amounts: amounts, discounts: [.init(id: "d", reduction: $0, eligible: eligible)]) }
            ?? Array(repeating: [], count: lineItems.count)
        var discountTotal = 0
        for i in lineItems.indices {
            let cut = taken[i].reduce(0) { $0 + $1.amount }
            discountTotal += cut
            lineItems[i]["amount_discount"] = .int(cut)
            lineItems[i]["amount_total"] = .int(amounts[i] - cut)
        }
        session["discounts"] = [["coupon": coupon["id"], "promotion_code": promotionCode?["id"] ?? .null]]
        session["total_details"]["amount_discount"] = .int(trial ? 0 : discountTotal)
        if !trial { session["amount_total"] = .int(amounts.reduce(0, +) - discountTotal) }
    }

    /// The session's discount as a request for the subscription (or payment) it creates.
    package static func request(of session: JSONValue, _ ledger: Ledger) throws -> DiscountRequest? {
        let d = session["discounts"][0]
        guard let couponID = d["coupon"].stringValue, let coupon = try ledger.store.find(couponID)?.object else { return nil }
        let promo = try d["promotion_code"].stringValue.flatMap { try ledger.store.find($0)?.object }
        return .coupon(coupon, promotionCode: promo)
    }
}

extension CheckoutDiscount {
    /// The customer typed a promotion code on the hosted page (sessions with
    /// `allow_promotion_codes=true`): an active code, within its limits, discounts the session.
    package static func enterCode(_ code: String, sessionID: String, _ ledger: Ledger) throws {
        guard var session = try ledger.store.find(sessionID)?.object, session["status"] == "open" else {
            throw StripeError.invalidRequest("This Checkout Session is no longer open.", param: "promotion_code")
        }
        guard session["allow_promotion_codes"] == true else {
            throw StripeError.invalidRequest("This Checkout Session does not accept promotion codes (allow_promotion_codes is not set).",
                                             param: "promotion_code")
        }
        guard let promo = try Discounts.activePromotionCode(code, ledger) else {
            throw StripeError.invalidRequest("This code is invalid.", param: "promotion_code", code: "promotion_code_invalid")
        }
        let now = try ledger.now(for: session)
        try Discounts.checkPromotionCode(promo, customer: session["customer"].stringValue, currency: session["currency"].stringValue,
                                         amount: session["amount_subtotal"].intValue, now: now, param: "promotion_code", ledger)
        guard let coupon = try ledger.store.find(Discounts.couponID(ofPromotionCode: promo))?.object else {
            throw StripeError.invalidRequest("This code is invalid.", param: "promotion_code", code: "promotion_code_invalid")
        }
        var hidden = try ledger.store.hidden(sessionID)
        var lines = hidden["line_items"].arrayValue ?? []
        let trial = (hidden["subscription_data"]["trial_period_days"].intValue ?? 0) > 0 || !hidden["subscription_data"]["trial_end"].isNull
        apply(&session, lineItems: &lines, coupon: coupon, promotionCode: promo, trial: trial)
        hidden["line_items"] = .array(lines)
        try ledger.store.update(session)
        try ledger.store.setHidden(sessionID, hidden)
    }
}
