import StripeEngine
import StripeWire

/// The pieces invoices, credit notes and quotes print alike: the seller, the customer's
/// address block, discount and tax labels, dates.
struct DocumentParts {
    let ledger: Ledger

    /// The account's display name, email and country, as Stripe prints the "From" block.
    func seller() throws -> [String] {
        let account = try AccountObject.read(ledger)
        let settings = account["settings"]["dashboard"]
        return [settings["display_name"].stringValue ?? AccountObject.defaultName, account["email"].stringValue,
                account["country"].stringValue].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// Name, email and address lines of a customer, from the copies an invoice carries or the customer itself.
    func billTo(name: String?, email: String?, address: JSONValue) -> [String] {
        var lines = [name, email].compactMap { $0 }.filter { !$0.isEmpty }
        let a = address
        lines += [a["line1"].stringValue, a["line2"].stringValue,
                  [a["postal_code"].stringValue, a["city"].stringValue, a["state"].stringValue].compactMap { $0 }.filter { !$0.isEmpty }
                    .joined(separator: " "),
                  a["country"].stringValue].compactMap { $0 }.filter { !$0.isEmpty }
        return lines.isEmpty ? ["(no customer details)"] : lines
    }

    func customer(_ id: String?) throws -> JSONValue {
        guard let id else { return .null }
        return try ledger.store.find(id)?.object ?? .null
    }

    /// "Summer sale (20% off)" for a discount id: its coupon's name and what it takes off.
    func discountLabel(_ discountID: String?) throws -> String {
        guard let id = discountID, let discount = try ledger.store.find(id)?.object,
              let couponID = discount["source"]["coupon"].stringValue ?? discount["coupon"]["id"].stringValue,
              let coupon = try ledger.store.find(couponID)?.object else { return "Discount" }
        let name = coupon["name"].stringValue ?? coupon["id"].stringValue ?? "Discount"
        if let percent = coupon["percent_off"].doubleValue { return "\(name) (\(Self.percent(percent)) off)" }
        return name
    }

    /// "VAT (20%, inclusive)" for a tax rate id.
    func taxLabel(_ rateID: String?) throws -> String {
        guard let id = rateID, let rate = try ledger.store.find(id)?.object else { return "Tax" }
        let name = rate["display_name"].stringValue ?? "Tax"
        let pct = rate["percentage"].doubleValue.map(Self.percent) ?? ""
        return rate["inclusive"] == true ? "\(name) (\(pct), inclusive)" : "\(name) (\(pct))"
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    static func date(_ t: Int?) -> String? { t.map(PriceMath.date) }

    /// "1 Jan 2026 – 1 Feb 2026"; nil for an instant (a one-off item's period is a point).
    static func period(_ p: JSONValue) -> String? {
        guard let s = p["start"].intValue, let e = p["end"].intValue, s != e else { return nil }
        return "\(PriceMath.date(s)) – \(PriceMath.date(e))"
    }

    /// A unit amount from a decimal string, when it is a whole number of the smallest unit.
    static func unitAmount(_ decimal: JSONValue) -> Int? {
        if let i = decimal.intValue { return i }
        guard let s = decimal.stringValue, let d = Double(s), d == d.rounded() else { return nil }
        return Int(d)
    }
}
