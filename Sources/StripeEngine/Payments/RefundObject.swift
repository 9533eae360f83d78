import StripeWire

/// The `refund` object as the engine makes it (a refund request, a capture releasing what it
/// did not take, a canceled or expired authorization), with every field of the schema. Card
/// refunds go back to the card (`destination_details.card.type` `refund`); a released
/// authorization is a `reversal`. Balance transactions are not emulated (null).
package enum RefundObject {
    package static func new(_ ledger: Ledger, charge: JSONValue, amount: Int, reason: String?, metadata: JSONValue,
                       status: String, reversal: Bool, now: Int) throws -> JSONValue {
        [
            "id": .string(try ledger.newID("re")), "object": "refund", "amount": .int(amount), "balance_transaction": nil,
            "charge": charge["id"], "created": .int(now), "currency": charge["currency"], "description": nil,
            "destination_details": ["card": ["reference": nil, "reference_status": "pending",
                                             "reference_type": reversal ? nil : "acquirer_reference_number",
                                             "type": reversal ? "reversal" : "refund"],
                                    "type": "card"],
            "failure_balance_transaction": nil, "failure_reason": nil, "instructions_email": nil, "metadata": metadata,
            "next_action": nil, "payment_intent": charge["payment_intent"],
            "pending_reason": status == "pending" ? "processing" : nil, "reason": .from(reason), "receipt_number": nil,
            "source_transfer_reversal": nil, "status": .string(status), "transfer_reversal": nil,
        ]
    }
}
