import StripeWire

/// Discounts: a coupon (or a promotion code's coupon) applied to a customer, a subscription, a
/// subscription item, an invoice or an invoice item. Each application is a stored `discount`
/// object (`di_…`) so that invoices, events and expansions name it, as Stripe's do.
///
/// A `once` discount serves one invoice that it reduces and is then removed; a `repeating` one
/// ends `duration_in_months` after it started (`end`); a `forever` one stays. Ended discounts are
/// removed when the next invoice of their subscription or customer is made
/// (``expire(subscription:customer:now:_:)``), with `customer.discount.deleted`.
package enum Discounts {
    /// Where a discount is applied.
    package struct Target {
        package var customer: String?
        package var subscription: String? = nil
        package var subscriptionItem: String? = nil
        package var invoice: String? = nil
        package var invoiceItem: String? = nil
        package var checkoutSession: String? = nil

        package init(customer: String?, subscription: String? = nil, subscriptionItem: String? = nil, invoice: String? = nil,
                     invoiceItem: String? = nil, checkoutSession: String? = nil) {
            self.customer = customer
            self.subscription = subscription
            self.subscriptionItem = subscriptionItem
            self.invoice = invoice
            self.invoiceItem = invoiceItem
            self.checkoutSession = checkoutSession
        }
    }

    /// A coupon is redeemable until `redeem_by` and while `times_redeemed < max_redemptions`.
    package static func checkRedeemable(_ coupon: JSONValue, now: Int, param: String) throws {
        let id = coupon["id"].stringValue ?? ""
        if let by = coupon["redeem_by"].intValue, by <= now {
            throw StripeError.invalidRequest("Coupon expired: \(id)", param: param, code: "coupon_expired")
        }
        if let max = coupon["max_redemptions"].intValue, (coupon["times_redeemed"].intValue ?? 0) >= max {
            throw StripeError.invalidRequest("Coupon expired: \(id)", param: param, code: "coupon_expired")
        }
    }

    /// A coupon's `valid` at a moment: not past `redeem_by`, not used up.
    package static func isValid(_ coupon: JSONValue, now: Int) -> Bool {
        if let by = coupon["redeem_by"].intValue, by <= now { return false }
        if let max = coupon["max_redemptions"].intValue, (coupon["times_redeemed"].intValue ?? 0) >= max { return false }
        return true
    }

    /// The promotion code's own limits, checked for a customer about to redeem it.
    /// `amount` is what the code would discount (the first invoice's subtotal), when known.
    package static func checkPromotionCode(_ promo: JSONValue, customer: String?, currency: String?, amount: Int?, now: Int,
                                           param: String, _ ledger: Ledger) throws {
        let code = promo["code"].stringValue ?? ""
        guard promo["active"] == true else {
            throw StripeError.invalidRequest("This promotion code (\(code)) is inactive.", param: param, code: "promotion_code_inactive")
        }
        if let at = promo["expires_at"].intValue, at <= now {
            throw StripeError.invalidRequest("This promotion code (\(code)) has expired.", param: param, code: "promotion_code_expired")
        }
        if let max = promo["max_redemptions"].intValue, (promo["times_redeemed"].intValue ?? 0) >= max {
            throw StripeError.invalidRequest("This promotion code (\(code)) has reached its maximum number of redemptions.", param: param,
                                             code: "promotion_code_expired")
        }
        if let only = promo["customer"].stringValue, only != customer {
            throw StripeError.invalidRequest("This promotion code (\(code)) cannot be redeemed by this customer.", param: param,
                                             code: "promotion_code_customer_not_eligible")
        }
        let r = promo["restrictions"]
        if r["first_time_transaction"] == true, let customer {
            let paid = try ledger.store.all(type: "charge", filters: [.column("customer", customer), .field("status", equals: "succeeded")])
            guard paid.isEmpty else {
                throw StripeError.invalidRequest("This promotion code (\(code)) is only for customers with no prior transactions.",
                                                 param: param, code: "promotion_code_customer_not_eligible")
            }
        }
        if let min = r["minimum_amount"].intValue, let amount {
            let minCurrency = r["minimum_amount_currency"].stringValue
            if minCurrency == nil || minCurrency == currency, amount < min {
                throw StripeError.invalidRequest(
                    "This promotion code (\(code)) requires a minimum amount of \(PriceMath.money(min, minCurrency ?? currency ?? "usd")).",
                    param: param, code: "promotion_code_minimum_amount_not_met")
            }
        }
        try checkRedeemable(try ledger.store.get(couponID(ofPromotionCode: promo), type: "coupon", param: param), now: now, param: param)
    }

    /// The filter for promotion codes with this code: codes compare without case, as on Stripe.
    package static func codeFilter(_ code: String) -> ListFilter {
        ListFilter(sql: "lower(json_extract(data, '$.code')) = lower(?)", arguments: [code])
    }

    /// The active promotion code a customer typed (at most one code is active at a time).
    package static func activePromotionCode(_ code: String, _ ledger: Ledger) throws -> JSONValue? {
        try ledger.store.all(type: "promotion_code", filters: [codeFilter(code), .field("active", equals: true)]).first
    }

    package static func couponID(ofPromotionCode promo: JSONValue) -> String {
        promo["promotion"]["coupon"].stringValue ?? ""
    }

    /// Creates and stores the discount, counting the redemption on the coupon and promotion code.
    /// Events are the caller's: the same discount means `customer.discount.created` on a customer
    /// or subscription but nothing on an invoice or invoice item.
    package static func create(_ ledger: Ledger, coupon: JSONValue, promotionCode: JSONValue?, target: Target, now: Int) throws -> JSONValue {
        var coupon = coupon
        let months = coupon["duration"] == "repeating" ? coupon["duration_in_months"].intValue : nil
        let discount: JSONValue = [
            "id": .string(try ledger.newID("di")), "object": "discount", "checkout_session": .from(target.checkoutSession),
            "customer": .from(target.customer), "customer_account": nil,
            "end": months.map { .int(UTCCalendar.addMonths(now, $0)) } ?? .null,
            "invoice": .from(target.invoice), "invoice_item": .from(target.invoiceItem),
            "promotion_code": promotionCode?["id"] ?? .null,
            "source": ["coupon": coupon["id"], "type": "coupon"], "start": .int(now),
            "subscription": .from(target.subscription), "subscription_item": .from(target.subscriptionItem),
        ]
        try ledger.store.insert(discount, type: "discount")
        coupon["times_redeemed"] = .int((coupon["times_redeemed"].intValue ?? 0) + 1)
        coupon["valid"] = .bool(isValid(coupon, now: now))
        try ledger.store.update(coupon)
        if var promo = promotionCode {
            promo["times_redeemed"] = .int((promo["times_redeemed"].intValue ?? 0) + 1)
            if let max = promo["max_redemptions"].intValue, promo["times_redeemed"].intValue! >= max { promo["active"] = false }
            try ledger.store.update(promo)
        }
        return discount
    }

    /// What a coupon takes off an amount in `currency`: its percentage, or its amount off in that
    /// currency (`currency_options` for other currencies); nil when it has none in that currency.
    package static func reduction(of coupon: JSONValue, currency: String) -> DiscountAllocation.Reduction? {
        if let p = coupon["percent_off"].doubleValue { return .percent(p) }
        if let a = coupon["amount_off"].intValue, coupon["currency"].stringValue == currency { return .amountOff(a) }
        if let o = coupon["currency_options"][currency]["amount_off"].intValue { return .amountOff(o) }
        return nil
    }

    /// The coupon a discount applies.
    package static func coupon(of discount: JSONValue, _ ledger: Ledger) throws -> JSONValue? {
        guard let id = discount["source"]["coupon"].stringValue else { return nil }
        return try ledger.store.find(id)?.object
    }

    /// Still in force at `now`: not past its `end`, and not a `once` discount that has served an invoice.
    package static func inForce(_ discountID: String, now: Int, _ ledger: Ledger) throws -> Bool {
        guard let d = try ledger.store.find(discountID)?.object, d["object"] == "discount" else { return false }
        if let end = d["end"].intValue, end <= now { return false }
        if try ledger.store.hidden(discountID)["used"] == true { return false }
        return true
    }

    /// The `deleted_discount` Stripe answers when a discount is removed.
    package static func deletedStub(_ discount: JSONValue) -> JSONValue {
        var d = discount
        d["deleted"] = true
        d["end"] = nil
        return d
    }

    /// The discounts an invoice of this subscription (or a one-off invoice of this customer) gets:
    /// the subscription's own, else the customer's.
    package static func forInvoice(subscription: JSONValue?, customer: JSONValue, now: Int, _ ledger: Ledger) throws -> [String] {
        let own = (subscription?["discounts"].arrayValue ?? []).compactMap(\.stringValue)
        let live = try own.filter { try inForce($0, now: now, ledger) }
        if !live.isEmpty { return live }
        if let c = customer["discount"]["id"].stringValue, try inForce(c, now: now, ledger) { return [c] }
        return []
    }

    /// `once` discounts that reduced this invoice have served their one invoice.
    package static func markUsed(by invoice: JSONValue, _ ledger: Ledger) throws {
        var used: Set<String> = []
        for amount in invoice["total_discount_amounts"].arrayValue ?? [] where (amount["amount"].intValue ?? 0) != 0 {
            if let id = amount["discount"].stringValue { used.insert(id) }
        }
        for id in used.sorted() {
            guard let d = try ledger.store.find(id)?.object, let c = try coupon(of: d, ledger), c["duration"] == "once" else { continue }
            var hidden = try ledger.store.hidden(id)
            hidden["used"] = true
            try ledger.store.setHidden(id, hidden)
        }
    }

    /// Removes the subscription's and the customer's discounts that have ended, before their next
    /// invoice: `customer.discount.deleted` for each, the customer saved (the subscription is the caller's to save).
    package static func expire(subscription sub: inout JSONValue, now: Int, _ ledger: Ledger) throws {
        let ids = (sub["discounts"].arrayValue ?? []).compactMap(\.stringValue)
        var kept: [JSONValue] = []
        for id in ids {
            if try inForce(id, now: now, ledger) { kept.append(.string(id)); continue }
            if let d = try ledger.store.find(id)?.object { try ledger.emit(.customerDiscountDeleted, deletedStub(d)) }
        }
        if kept.count != ids.count { sub["discounts"] = .array(kept) }
        if let c = sub["customer"].stringValue { try expire(customer: c, now: now, ledger) }
    }

    package static func expire(customer id: String, now: Int, _ ledger: Ledger) throws {
        guard var customer = try ledger.store.find(id)?.object, let d = customer["discount"]["id"].stringValue,
              !(try inForce(d, now: now, ledger)) else { return }
        let before = customer
        let discount = customer["discount"]
        customer["discount"] = nil
        try ledger.store.update(customer)
        try ledger.emit(.customerDiscountDeleted, deletedStub(discount))
        try ledger.emitUpdate(.customerUpdated, before: before, after: customer)
    }
}
