import StripeWire

/// A customer's balance and its ledger of `customer_balance_transaction`s (`cbtxn_…`).
///
/// The balance is what the customer owes (positive) or is owed (negative, a credit). Every change
/// is a transaction whose `amount` is the change and `ending_balance` the result: manual
/// adjustments, the balance applied when an invoice is finalized (`applied_to_invoice`), a
/// negative invoice's credit, and credit notes (`credit_note`). A customer without a currency
/// takes the transaction's.
package enum CustomerBalance {
    @discardableResult
    package static func record(_ customer: inout JSONValue, amount: Int, currency: String, type: String, now: Int, _ ledger: Ledger,
                               invoice: String? = nil, creditNote: String? = nil, description: String? = nil,
                               metadata: JSONValue = [:]) throws -> JSONValue {
        if let own = customer["currency"].stringValue, own != currency {
            throw StripeError.invalidRequest(
                "The customer's balance is in \(own); a transaction in \(currency) cannot be added to it.", param: "currency")
        }
        let (ending, overflow) = (customer["balance"].intValue ?? 0).addingReportingOverflow(amount)
        guard !overflow else { throw StripeError.invalidRequest("The balance is too large to represent.", param: "amount", code: "amount_too_large") }
        let txn: JSONValue = [
            "id": .string(try ledger.newID("cbtxn")), "object": "customer_balance_transaction", "amount": .int(amount),
            "checkout_session": nil, "created": .int(now), "credit_note": .from(creditNote), "currency": .string(currency),
            "customer": customer["id"], "customer_account": nil, "description": .from(description), "ending_balance": .int(ending),
            "invoice": .from(invoice), "livemode": false, "metadata": metadata, "type": .string(type),
        ]
        try ledger.store.insert(txn, type: "customer_balance_transaction")
        customer["balance"] = .int(ending)
        if customer["currency"].isNull { customer["currency"] = .string(currency) }
        return txn
    }
}
