import StripeEngine

/// What an invoice, a credit note or a quote prints: one layout-free model, so the PDF (and any
/// later format) is drawn by one function and each object only says what it contains.
struct BillingDocument: Sendable {
    struct Row: Sendable {
        var description: String
        /// A second, muted line: the service period, a proration's note.
        var detail: String?
        var quantity: Int?
        var unitAmount: Int?
        var amount: Int
    }

    struct Total: Sendable {
        var label: String
        var amount: Int
        var emphasized = false
    }

    /// "Invoice", "Credit note", "Quote".
    var kind: String
    var number: String
    /// Label and value pairs under the title: issued, due, period, related invoice.
    var facts: [(String, String)]
    var seller: [String]
    var billTo: [String]
    var currency: String
    var rows: [Row]
    var totals: [Total]
    /// The sentence under the totals: "Paid on 1 Feb 2026", "$49.00 due by 1 Mar 2026".
    var status: String?
    var memo: String?

    func money(_ amount: Int) -> String { PriceMath.money(amount, currency) }
}
