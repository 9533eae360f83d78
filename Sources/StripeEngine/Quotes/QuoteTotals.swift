import StripeWire

/// A quote's amounts: what is due on acceptance (`computed.upfront`: every line, recurring ones
/// for their first period) and per period after (`computed.recurring`), each after the quote's
/// discounts (``DiscountAllocation``) and with its tax rates (``TaxMath``), to the cent.
package enum QuoteTotals {
    package static func compute(_ quote: inout JSONValue, lineItems: inout [JSONValue], _ ledger: Ledger) throws {
        let currency = quote["currency"].stringValue ?? "usd"
        var coupons: [(id: String, coupon: JSONValue)] = []
        for d in quote["discounts"].arrayValue ?? [] {
            guard let id = d.stringValue, let discount = try ledger.store.find(id)?.object,
                  let coupon = try Discounts.coupon(of: discount, ledger) else { continue }
            coupons.append((id, coupon))
        }
        let rates = try (quote["default_tax_rates"].arrayValue ?? []).compactMap { r -> TaxMath.Rate? in
            guard let id = r["id"].stringValue else { return nil }
            let rate = try ledger.store.find(id)?.object ?? r
            return .init(id: id, percentage: rate["percentage"].doubleValue ?? 0, inclusive: rate["inclusive"] == true)
        }
        func totals(_ indexes: [Int], writeLines: Bool) -> (subtotal: Int, discount: Int, tax: Int, total: Int) {
            let amounts = indexes.map { lineItems[$0]["amount_subtotal"].intValue ?? 0 }
            let plan = coupons.compactMap { c -> DiscountAllocation.Discount? in
                guard let r = Discounts.reduction(of: c.coupon, currency: currency) else { return nil }
                let products = c.coupon["applies_to"]["products"].arrayValue
                let eligible = indexes.indices.filter { k in products.map { $0.contains(lineItems[indexes[k]]["price"]["product"]) } ?? true }
                return .init(id: c.id, reduction: r, eligible: eligible)
            }
            let taken = DiscountAllocation.allocate(amounts: amounts, discounts: plan)
            var discount = 0, exclusive = 0
            for (k, i) in indexes.enumerated() {
                let cut = taken[k].reduce(0) { $0 + $1.amount }
                let taxes = TaxMath.taxes(net: amounts[k] - cut, rates: rates)
                let lineTax = taxes.reduce(0) { $0 + $1.amount }
                let lineExclusive = taxes.filter { !$0.inclusive }.reduce(0) { $0 + $1.amount }
                discount += cut
                exclusive += lineExclusive
                if writeLines {
                    lineItems[i]["amount_discount"] = .int(cut)
                    lineItems[i]["amount_tax"] = .int(lineTax)
                    lineItems[i]["amount_total"] = .int(amounts[k] - cut + lineExclusive)
                }
            }
            let subtotal = amounts.reduce(0, +)
            let allTax = indexes.isEmpty ? 0 : indexes.map { lineItems[$0]["amount_tax"].intValue ?? 0 }.reduce(0, +)
            return (subtotal, discount, writeLines ? allTax : exclusive, subtotal - discount + exclusive)
        }
        let all = Array(lineItems.indices)
        let whole = totals(all, writeLines: true)
        let recurringIdx = all.filter { lineItems[$0]["price"]["type"] == "recurring" }
        // With a trial nothing recurring is due on acceptance.
        let trial = (quote["subscription_data"]["trial_period_days"].intValue ?? 0) > 0
        let upfront = trial ? totals(all.filter { !recurringIdx.contains($0) }, writeLines: false) : whole
        func details(_ t: (subtotal: Int, discount: Int, tax: Int, total: Int)) -> JSONValue {
            ["amount_discount": .int(t.discount), "amount_shipping": 0, "amount_tax": .int(t.tax)]
        }
        quote["amount_subtotal"] = .int(whole.subtotal)
        quote["amount_total"] = .int(whole.total)
        quote["total_details"] = details(whole)
        quote["computed"]["upfront"] = [
            "amount_subtotal": .int(upfront.subtotal), "amount_total": .int(upfront.total), "total_details": details(upfront),
        ]
        if recurringIdx.isEmpty {
            quote["computed"]["recurring"] = nil
        } else {
            let r = totals(recurringIdx, writeLines: false)
            let recurring = lineItems[recurringIdx[0]]["price"]["recurring"]
            quote["computed"]["recurring"] = [
                "amount_subtotal": .int(r.subtotal), "amount_total": .int(r.total), "interval": recurring["interval"],
                "interval_count": recurring["interval_count"], "total_details": details(r),
            ]
        }
    }
}
