import StripeEngine
import StripeWire

extension BillingDocument {
    /// A credit note: the invoice it credits, its lines and taxes, and how the credit was given
    /// (to the balance, refunded, outside Stripe).
    static func creditNote(_ note: JSONValue, _ ledger: Ledger) throws -> BillingDocument {
        let parts = DocumentParts(ledger: ledger)
        let currency = note["currency"].stringValue ?? "usd"
        let invoice = try note["invoice"].stringValue.flatMap { try ledger.store.find($0)?.object } ?? .null
        var facts: [(String, String)] = []
        if let issued = DocumentParts.date(note["effective_at"].intValue ?? note["created"].intValue) { facts.append(("Date of issue", issued)) }
        if let number = invoice["number"].stringValue { facts.append(("Credits invoice", number)) }
        if let reason = note["reason"].stringValue { facts.append(("Reason", reason.replacingOccurrences(of: "_", with: " "))) }
        let rows = (note["lines"]["data"].arrayValue ?? []).map { line in
            Row(description: line["description"].stringValue ?? "Credit", detail: nil, quantity: line["quantity"].intValue,
                unitAmount: line["unit_amount"].intValue, amount: line["amount"].intValue ?? 0)
        }
        var totals = [Total(label: "Subtotal", amount: note["subtotal"].intValue ?? 0)]
        for t in note["total_taxes"].arrayValue ?? [] {
            totals.append(Total(label: try parts.taxLabel(t["tax_rate_details"]["tax_rate"].stringValue), amount: t["amount"].intValue ?? 0))
        }
        totals.append(Total(label: "Total credited", amount: note["total"].intValue ?? 0, emphasized: true))
        let customer = try parts.customer(note["customer"].stringValue)
        return BillingDocument(
            kind: "Credit note", number: note["number"].stringValue ?? note["id"].stringValue ?? "", facts: facts,
            seller: try parts.seller(),
            billTo: parts.billTo(name: invoice["customer_name"].stringValue ?? customer["name"].stringValue,
                                 email: invoice["customer_email"].stringValue ?? customer["email"].stringValue,
                                 address: invoice.isNull ? customer["address"] : invoice["customer_address"]),
            currency: currency, rows: rows, totals: totals,
            status: note["status"] == "void" ? "Void" : "Issued", memo: note["memo"].stringValue)
    }
}
