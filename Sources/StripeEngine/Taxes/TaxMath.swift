/// Tax on one line, to the cent, from manual tax rates (Stripe Tax is not emulated).
///
/// Exclusive rates add `round(net × p / 100)` each, on the line's amount after discounts.
/// Inclusive rates are already inside the amount: together they take
/// `net − round(net / (1 + Σp / 100))`, shared between the rates in proportion to their
/// percentages (the last one takes the rounding remainder so the shares add up).
/// `taxable_amount` is the net for exclusive rates and the net without the inclusive tax for
/// inclusive ones.
package enum TaxMath {
    package struct Rate: Sendable {
        package var id: String
        package var percentage: Double
        package var inclusive: Bool

        package init(id: String, percentage: Double, inclusive: Bool) {
            self.id = id
            self.percentage = percentage
            self.inclusive = inclusive
        }
    }

    package struct Tax: Equatable, Sendable {
        package var rate: String
        package var inclusive: Bool
        package var amount: Int
        package var taxableAmount: Int

        package init(rate: String, inclusive: Bool, amount: Int, taxableAmount: Int) {
            self.rate = rate
            self.inclusive = inclusive
            self.amount = amount
            self.taxableAmount = taxableAmount
        }
    }

    package static func taxes(net: Int, rates: [Rate], exempt: Bool = false) -> [Tax] {
        let inclusive = rates.filter(\.inclusive)
        let inclusivePercent = inclusive.reduce(0) { $0 + $1.percentage }
        let inclusiveTax = exempt || inclusive.isEmpty ? 0 : net - Int((Double(net) / (1 + inclusivePercent / 100)).rounded())
        let base = net - inclusiveTax
        var shared = 0
        var out: [Tax] = []
        for (k, r) in rates.enumerated() {
            if r.inclusive {
                let isLast = !rates[(k + 1)...].contains(where: \.inclusive)
                let share = isLast ? inclusiveTax - shared
                    : (inclusivePercent > 0 ? Int((Double(inclusiveTax) * r.percentage / inclusivePercent).rounded()) : 0)
                shared += share
                out.append(Tax(rate: r.id, inclusive: true, amount: share, taxableAmount: base))
            } else {
                let amount = exempt ? 0 : Int((Double(base) * r.percentage / 100).rounded())
                out.append(Tax(rate: r.id, inclusive: false, amount: amount, taxableAmount: base))
            }
        }
        return out
    }
}
