import StripeWire

/// What a price costs for a quantity, and how its billing periods run.
package enum PriceMath {
    /// Amount in minor units for `quantity` of a price (per-unit or tiered).
    package static func amount(_ price: JSONValue, quantity raw: Int) -> Int {
        let quantity = transformed(raw, price["transform_quantity"])
        if price["billing_scheme"] == "tiered", let tiers = price["tiers"].arrayValue {
            return tiered(tiers, mode: price["tiers_mode"].stringValue ?? "graduated", quantity: quantity)
        }
        if let unit = price["unit_amount"].intValue { return unit * quantity }
        if let d = price["unit_amount_decimal"].stringValue, let v = Double(d) { return Int((v * Double(quantity)).rounded()) }
        return 0
    }

    /// `transform_quantity`: the quantity divided by `divide_by`, rounded up or down.
    package static func transformed(_ quantity: Int, _ transform: JSONValue) -> Int {
        guard let d = transform["divide_by"].intValue, d > 0 else { return quantity }
        return transform["round"] == "down" ? quantity / d : (quantity + d - 1) / d
    }

    /// A tier's per-unit and flat amounts, from the decimal strings when they are given.
    static func tierAmounts(_ tier: JSONValue) -> (unit: Double, flat: Double) {
        func value(_ key: String) -> Double {
            if let d = tier[key + "_decimal"].stringValue, let v = Double(d) { return v }
            return Double(tier[key].intValue ?? 0)
        }
        return (value("unit_amount"), value("flat_amount"))
    }

    /// Volume: every unit at the price of the tier the quantity falls in, plus its flat amount.
    /// Graduated: each tier's units at its price, plus the flat amount of each tier reached.
    package static func tiered(_ tiers: [JSONValue], mode: String, quantity: Int) -> Int {
        if mode == "volume" {
            let tier = tiers.first { $0["up_to"].intValue.map { quantity <= $0 } ?? true } ?? tiers.last ?? .null
            let (unit, flat) = tierAmounts(tier)
            return Int((unit * Double(quantity) + flat).rounded())
        }
        var total = 0.0, lower = 0
        for tier in tiers {
            let upper = tier["up_to"].intValue ?? Int.max
            let inTier = max(0, min(quantity, upper) - lower)
            let (unit, flat) = tierAmounts(tier)
            if inTier > 0 { total += Double(inTier) * unit + flat }
            lower = upper
            if quantity <= upper { break }
        }
        return Int(total.rounded())
    }

    /// The end of the billing period that starts at `start`, keeping the anchor's day of month.
    package static func periodEnd(start: Int, recurring: JSONValue, anchor: Int) -> Int {
        let count = recurring["interval_count"].intValue ?? 1
        let anchorDay = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(anchor, 86400)).2
        switch recurring["interval"].stringValue ?? "month" {
        case "day": return start + 86400 * count
        case "week": return start + 7 * 86400 * count
        case "year": return UTCCalendar.addMonths(start, 12 * count, anchorDay: anchorDay)
        default: return UTCCalendar.addMonths(start, count, anchorDay: anchorDay)
        }
    }

    /// Seconds in one interval of a recurring price, for strict test-clock caps.
    package static func approximateIntervalSeconds(_ recurring: JSONValue) -> Int {
        let count = recurring["interval_count"].intValue ?? 1
        switch recurring["interval"].stringValue ?? "month" {
        case "day": return 86400 * count
        case "week": return 7 * 86400 * count
        case "year": return 365 * 86400 * count
        default: return 31 * 86400 * count
        }
    }

    /// "$20.00" style money for line descriptions.
    package static func money(_ amount: Int, _ currency: String) -> String {
        let symbol = ["usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"][currency] ?? currency.uppercased() + " "
        let sign = amount < 0 ? "-" : ""
        let a = abs(amount)
        let cents = a % 100
        return "\(sign)\(symbol)\(a / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// A UTC date as Stripe writes it in proration descriptions ("15 Jan 2027").
    package static func date(_ t: Int) -> String {
        let (y, m, d) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(d) \(months[m - 1]) \(y)"
    }
}
