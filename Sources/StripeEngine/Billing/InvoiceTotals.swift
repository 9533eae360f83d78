import StripeWire

/// An invoice's discounts, taxes and totals, worked out from its lines.
///
/// Each line keeps its gross `amount` (price × quantity, inclusive taxes inside it); its own
/// discounts (`line.discounts`) and then the invoice's (`invoice.discounts`) are split over the
/// lines by ``DiscountAllocation``; each line's tax rates are applied to what the discounts
/// leave by ``TaxMath``. Then:
/// `subtotal = Σ amount`, `total = subtotal − Σ discounts + Σ exclusive taxes`,
/// `subtotal_excluding_tax = subtotal − Σ inclusive taxes`, `total_excluding_tax = total − Σ taxes`,
/// and while the invoice is a draft, `amount_due = max(0, total + starting_balance)`.
package enum InvoiceTotals {
    package static func compute(_ invoice: inout JSONValue, _ ledger: Ledger) throws {
        var lines = invoice["lines"]["data"].arrayValue ?? []
        let currency = invoice["currency"].stringValue ?? "usd"
        // Discounts: line-level first, then invoice-level.
        var coupons: [String: JSONValue] = [:]
        func coupon(_ discountID: String) throws -> JSONValue? {
            if let c = coupons[discountID] { return c }
            guard let d = try ledger.store.find(discountID)?.object, let c = try Discounts.coupon(of: d, ledger) else { return nil }
            coupons[discountID] = c
            return c
        }
        // `discountable` governs the invoice's discounts only: a line's own discounts (a
        // proration's, which carry the subscription's) apply to it regardless.
        func eligible(_ c: JSONValue, _ line: JSONValue, invoiceLevel: Bool) -> Bool {
            if invoiceLevel, line["discountable"] == false { return false }
            if let products = c["applies_to"]["products"].arrayValue {
                guard let p = line["pricing"]["price_details"]["product"].stringValue,
                      products.contains(.string(p)) else { return false }
            }
            return true
        }
        func reduction(_ c: JSONValue) -> DiscountAllocation.Reduction? { Discounts.reduction(of: c, currency: currency) }
        var plan: [DiscountAllocation.Discount] = []
        for (i, line) in lines.enumerated() {
            for id in (line["discounts"].arrayValue ?? []).compactMap(\.stringValue) {
                guard let c = try coupon(id), let r = reduction(c), eligible(c, line, invoiceLevel: false) else { continue }
                plan.append(.init(id: id, reduction: r, eligible: [i]))
            }
        }
        for id in (invoice["discounts"].arrayValue ?? []).compactMap(\.stringValue) {
            guard let c = try coupon(id), let r = reduction(c) else { continue }
            plan.append(.init(id: id, reduction: r, eligible: lines.indices.filter { eligible(c, lines[$0], invoiceLevel: true) }))
        }
        let amounts = lines.map { $0["amount"].intValue ?? 0 }
        let taken = DiscountAllocation.allocate(amounts: amounts, discounts: plan)

        // Taxes on what the discounts leave.
        let exempt = ["exempt", "reverse"].contains(invoice["customer_tax_exempt"].stringValue ?? "none")
        let reason = TaxMath.reason(customerTaxExempt: invoice["customer_tax_exempt"].stringValue)
        let defaults = (invoice["default_tax_rates"].arrayValue ?? []).compactMap { $0["id"].stringValue }
        var rateCache: [String: JSONValue] = [:]
        var totalDiscounts: [String: Int] = [:], discountOrder: [String] = []
        var totalTaxes: [(rate: String, inclusive: Bool, amount: Int, taxable: Int)] = []
        var inclusiveTax = 0, exclusiveTax = 0
        for i in lines.indices {
            var line = lines[i]
            let cuts = taken[i]
            line["discount_amounts"] = .array(cuts.map { ["amount": .int($0.amount), "discount": .string($0.discount)] })
            line["pretax_credit_amounts"] = .array(cuts.map {
                ["amount": .int($0.amount), "credit_balance_transaction": nil, "discount": .string($0.discount), "type": "discount"]
            })
            for c in cuts {
                if totalDiscounts[c.discount] == nil { discountOrder.append(c.discount) }
                totalDiscounts[c.discount, default: 0] += c.amount
            }
            var rateIDs = try ownRates(of: line, ledger)
            if rateIDs.isEmpty { rateIDs = defaults }
            var rates: [TaxMath.Rate] = []
            for id in rateIDs {
                if rateCache[id] == nil { rateCache[id] = try ledger.store.find(id)?.object }
                guard let r = rateCache[id] else { continue }
                rates.append(.init(id: id, percentage: r["percentage"].doubleValue ?? 0, inclusive: r["inclusive"] == true))
            }
            let net = (line["amount"].intValue ?? 0) - cuts.reduce(0) { $0 + $1.amount }
            let taxes = TaxMath.taxes(net: net, rates: rates, exempt: exempt)
            line["taxes"] = .array(taxes.map { $0.json(reason: reason) })
            for t in taxes {
                if t.inclusive { inclusiveTax += t.amount } else { exclusiveTax += t.amount }
                if let k = totalTaxes.firstIndex(where: { $0.rate == t.rate }) {
                    totalTaxes[k].amount += t.amount
                    totalTaxes[k].taxable += t.taxableAmount
                } else {
                    totalTaxes.append((t.rate, t.inclusive, t.amount, t.taxableAmount))
                }
            }
            lines[i] = line
        }
        invoice["lines"]["data"] = .array(lines)
        invoice["lines"]["total_count"] = .int(lines.count)
        let subtotal = try MoneyMath.total(amounts)
        let discounts = try MoneyMath.total(totalDiscounts.values)
        invoice["total_discount_amounts"] = .array(discountOrder.map { ["amount": .int(totalDiscounts[$0]!), "discount": .string($0)] })
        invoice["total_pretax_credit_amounts"] = .array(discountOrder.map {
            ["amount": .int(totalDiscounts[$0]!), "credit_balance_transaction": nil, "discount": .string($0), "type": "discount"]
        })
        invoice["total_taxes"] = .array(totalTaxes.map {
            TaxMath.Tax(rate: $0.rate, inclusive: $0.inclusive, amount: $0.amount, taxableAmount: $0.taxable).json(reason: reason)
        })
        let total = subtotal - discounts + exclusiveTax
        invoice["subtotal"] = .int(subtotal)
        invoice["subtotal_excluding_tax"] = .int(subtotal - inclusiveTax)
        invoice["total"] = .int(total)
        invoice["total_excluding_tax"] = .int(total - inclusiveTax - exclusiveTax)
        if invoice["status"] == "draft" {
            let x = total + (invoice["starting_balance"].intValue ?? 0)
            invoice["amount_due"] = .int(max(0, x))
            invoice["amount_remaining"] = .int(max(0, x))
        }
    }

    /// The tax rates a line carries itself: an invoice item's `tax_rates` (read from the item,
    /// which may change while the invoice is a draft), else the rates recorded on a subscription
    /// line when it was made (the item's, else the subscription's defaults).
    static func ownRates(of line: JSONValue, _ ledger: Ledger) throws -> [String] {
        let parent = line["parent"]
        let itemID = parent["invoice_item_details"]["invoice_item"].stringValue
            ?? parent["subscription_item_details"]["invoice_item"].stringValue
        if let itemID, let ii = try ledger.store.find(itemID)?.object {
            return (ii["tax_rates"].arrayValue ?? []).compactMap { $0["id"].stringValue }
        }
        return (line["taxes"].arrayValue ?? []).compactMap { $0["tax_rate_details"]["tax_rate"].stringValue }
    }

    /// Placeholder taxes naming a line's rates; ``compute(_:_:)`` fills in the amounts.
    package static func taxPlaceholders(_ rates: [JSONValue]) -> JSONValue {
        .array(rates.compactMap { $0["id"].stringValue }.map {
            TaxMath.Tax(rate: $0, inclusive: false, amount: 0, taxableAmount: 0).json(reason: "not_available")
        })
    }
}
