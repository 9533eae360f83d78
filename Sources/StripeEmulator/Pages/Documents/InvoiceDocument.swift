import StripeEngine
import StripeWire

extension BillingDocument {
    /// An invoice as Stripe's invoice PDF prints it: lines with their periods and quantities,
    /// discounts and taxes by name, totals, and what is due or was paid.
    static func invoice(_ invoice: JSONValue, _ ledger: Ledger) throws -> BillingDocument {
        let parts = DocumentParts(ledger: ledger)
        let currency = invoice["currency"].stringValue ?? "usd"
        var facts: [(String, String)] = []
        if let issued = DocumentParts.date(invoice["status_transitions"]["finalized_at"].intValue ?? invoice["created"].intValue) {
            facts.append(("Date of issue", issued))
        }
        if let due = DocumentParts.date(invoice["due_date"].intValue) { facts.append(("Date due", due)) }
        if let period = DocumentParts.period(["start": invoice["period_start"], "end": invoice["period_end"]]),
           invoice["parent"]["type"] == "subscription_details" {
            facts.append(("Billing period", period))
        }
        let rows = (invoice["lines"]["data"].arrayValue ?? []).map { line in
            Row(description: line["description"].stringValue ?? "Item", detail: DocumentParts.period(line["period"]),
                quantity: line["quantity"].intValue, unitAmount: DocumentParts.unitAmount(line["pricing"]["unit_amount_decimal"]),
                amount: line["amount"].intValue ?? 0)
        }
        var totals = [Total(label: "Subtotal", amount: invoice["subtotal"].intValue ?? 0)]
        for d in invoice["total_discount_amounts"].arrayValue ?? [] where (d["amount"].intValue ?? 0) != 0 {
            totals.append(Total(label: try parts.discountLabel(d["discount"].stringValue), amount: -(d["amount"].intValue ?? 0)))
        }
        for t in invoice["total_taxes"].arrayValue ?? [] {
            totals.append(Total(label: try parts.taxLabel(t["tax_rate_details"]["tax_rate"].stringValue), amount: t["amount"].intValue ?? 0))
        }
        let total = invoice["total"].intValue ?? 0
        totals.append(Total(label: "Total", amount: total))
        let amountDue = invoice["amount_due"].intValue ?? 0
        if amountDue != total, invoice["status"] != "draft" {
            totals.append(Total(label: "Applied balance", amount: amountDue - total))
        }
        let paid = invoice["amount_paid"].intValue ?? 0
        if paid > 0 { totals.append(Total(label: "Amount paid", amount: paid)) }
        totals.append(Total(label: "Amount due", amount: invoice["amount_remaining"].intValue ?? amountDue, emphasized: true))

        let status: String
        switch invoice["status"].stringValue {
        case "paid":
            status = "Paid" + (DocumentParts.date(invoice["status_transitions"]["paid_at"].intValue).map { " on \($0)" } ?? "")
        case "open":
            let remaining = PriceMath.money(invoice["amount_remaining"].intValue ?? amountDue, currency)
            status = "\(remaining) due" + (DocumentParts.date(invoice["due_date"].intValue).map { " by \($0)" } ?? "")
        case "void": status = "Void"
        case "uncollectible": status = "Uncollectible"
        default: status = "Draft"
        }
        return BillingDocument(
            kind: "Invoice", number: invoice["number"].stringValue ?? invoice["id"].stringValue ?? "",
            facts: facts, seller: try parts.seller(),
            billTo: parts.billTo(name: invoice["customer_name"].stringValue, email: invoice["customer_email"].stringValue,
                                 address: invoice["customer_address"]),
            currency: currency, rows: rows, totals: totals, status: status,
            memo: [invoice["description"].stringValue, invoice["footer"].stringValue].compactMap { $0 }.joined(separator: "\n"))
    }
}
