/// How a set of discounts splits over an invoice's lines, to the cent: the arithmetic only,
/// free of objects and storage so it can be checked against hand-computed figures.
///
/// Stripe applies a line's own discounts (subscription item, invoice item) first, then the
/// invoice's discounts, each on what the discounts before it left. A percentage is taken from
/// each eligible line and rounded per line; an amount off is spread over the eligible lines in
/// proportion to what remains of each (largest remainder first, so the parts add up to the
/// amount exactly) and never takes a line below zero. Credit lines (negative amounts, such as
/// proration credits) are reduced by percentages too, so "unused time" is credited at the
/// discounted price; amounts off apply to positive lines only.
package enum DiscountAllocation {
    /// What a coupon takes.
    package enum Reduction: Equatable, Sendable {
        case percent(Double)
        case amountOff(Int)
    }

    /// One discount to apply: which lines it may touch is decided by the caller (`eligible`).
    package struct Discount: Sendable {
        package var id: String
        package var reduction: Reduction
        /// Line indexes this discount may reduce (discountable, right product, right currency).
        package var eligible: [Int]

        package init(id: String, reduction: Reduction, eligible: [Int]) {
            self.id = id
            self.reduction = reduction
            self.eligible = eligible
        }
    }

    /// Per line, the amount each discount took, in application order.
    package static func allocate(amounts: [Int], discounts: [Discount]) -> [[(discount: String, amount: Int)]] {
        var remaining = amounts
        var taken = Array(repeating: [(discount: String, amount: Int)](), count: amounts.count)
        for d in discounts {
            let lines = d.eligible.filter { $0 >= 0 && $0 < amounts.count }
            switch d.reduction {
            case .percent(let p):
                for i in lines {
                    let cut = Int((Double(remaining[i]) * p / 100).rounded())
                    guard cut != 0 else { continue }
                    remaining[i] -= cut
                    taken[i].append((d.id, cut))
                }
            case .amountOff(let off):
                let positive = lines.filter { remaining[$0] > 0 }
                let base = positive.reduce(0) { $0 + remaining[$1] }
                let total = min(off, base)
                guard total > 0 else { continue }
                var parts: [(line: Int, cut: Int, rest: Double)] = positive.map { i in
                    let exact = Double(total) * Double(remaining[i]) / Double(base)
                    return (i, Int(exact.rounded(.down)), exact - exact.rounded(.down))
                }
                var left = total - parts.reduce(0) { $0 + $1.cut }
                for k in parts.indices.sorted(by: { parts[$0].rest > parts[$1].rest || (parts[$0].rest == parts[$1].rest && $0 < $1) }) where left > 0 {
                    parts[k].cut += 1
                    left -= 1
                }
                for p in parts where p.cut != 0 {
                    remaining[p.line] -= p.cut
                    taken[p.line].append((d.id, p.cut))
                }
            }
        }
        return taken
    }
}
