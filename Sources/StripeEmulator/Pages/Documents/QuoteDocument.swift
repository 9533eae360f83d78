import StripeEngine
import StripeWire

extension BillingDocument {
    /// A quote: its number (once finalized), expiry, lines, discounts and taxes, and the total.
    static func quote(_ quote: JSONValue, lineItems: [JSONValue], _ ledger: Ledger) throws -> BillingDocument {
        let parts = DocumentParts(ledger: ledger)
        let currency = quote["currency"].stringValue ?? "usd"
        var facts: [(String, String)] = []
        if let created = DocumentParts.date(quote["created"].intValue) { facts.append(("Date", created)) }
        if let expires = DocumentParts.date(quote["expires_at"].intValue) { facts.append(("Valid until", expires)) }
        let rows = lineItems.map { item -> Row in
            let price = item["price"]
            var detail: String? = nil
            if price["type"] == "recurring" {
                let count = price["recurring"]["interval_count"].intValue ?? 1
                let interval = price["recurring"]["interval"].stringValue ?? "month"
                detail = count == 1 ? "Billed every \(interval)" : "Billed every \(count) \(interval)s"
            }
            return Row(description: item["description"].stringValue ?? "Item", detail: detail, quantity: item["quantity"].intValue,
                       unitAmount: price["unit_amount"].intValue, amount: item["amount_subtotal"].intValue ?? 0)
        }
        var totals = [Total(label: "Subtotal", amount: quote["amount_subtotal"].intValue ?? 0)]
        let discount = quote["total_details"]["amount_discount"].intValue ?? 0
        if discount != 0 { totals.append(Total(label: "Discount", amount: -discount)) }
        let tax = quote["total_details"]["amount_tax"].intValue ?? 0
        if tax != 0 { totals.append(Total(label: "Tax", amount: tax)) }
        totals.append(Total(label: "Total", amount: quote["amount_total"].intValue ?? 0, emphasized: true))
        let customer = try parts.customer(quote["customer"].stringValue)
        return BillingDocument(
            kind: "Quote", number: quote["number"].stringValue ?? "Draft (\(quote["id"].stringValue ?? ""))", facts: facts,
            seller: try parts.seller(),
            billTo: parts.billTo(name: customer["name"].stringValue, email: customer["email"].stringValue, address: customer["address"]),
            currency: currency, rows: rows, totals: totals, status: quote["status"].stringValue.map { "Status: \($0)" },
            memo: [quote["header"].stringValue, quote["description"].stringValue, quote["footer"].stringValue].compactMap { $0 }
                .joined(separator: "\n"))
    }
}
