import StripeWire

/// What a credit note credits, parsed from the API: a total `amount`, or `lines` (an invoice
/// line by amount or quantity, or a custom line), and where a paid invoice's credit goes.
package struct CreditNoteRequest {
    package enum Line {
        /// Part of an invoice line: `amount` (before tax), or `quantity` of its unit price.
        case invoiceLine(id: String, amount: Int?, quantity: Int?, description: String?)
        case custom(description: String, unitAmount: Int, quantity: Int)
    }

    package var amount: Int?
    package var lines: [Line] = []
    package var creditAmount: Int?
    package var refundAmount: Int?
    package var outOfBandAmount: Int?
    package var reason: String?
    package var memo: String?
    package var metadata: JSONValue = [:]
    /// An existing refund to link (`refunds[][refund]`), instead of creating one for `refund_amount`.
    package var refunds: [(id: String, amount: Int?)] = []

    package init() {}
}
