import StripeWire

/// The charge of a payment that is not a card's: a bank debit (pending until it settles) or a
/// cash balance payment (succeeded when funded). Card charges carry the card's authorization
/// details and are built by ``Payments/makeCharge(pi:pm:card:decline:capture:now:_:)``.
package enum ChargeObject {
    /// Stores and answers the charge; `details` is its `payment_method_details`.
    package static func settledLater(pi: JSONValue, pm: JSONValue, details: JSONValue, status: String, now: Int,
                                     _ ledger: Ledger) throws -> JSONValue {
        let id = try ledger.newID("py")
        let charge: JSONValue = [
            "id": .string(id), "object": "charge", "amount": pi["amount"], "amount_captured": pi["amount"], "amount_refunded": 0,
            "application": nil, "application_fee": nil, "application_fee_amount": nil, "balance_transaction": nil,
            "billing_details": pm["billing_details"],
            "calculated_statement_descriptor": .string(try AccountObject.identity(ledger).descriptor), "captured": true,
            "created": .int(now), "currency": pi["currency"], "customer": pi["customer"], "description": pi["description"],
            "disputed": false, "failure_balance_transaction": nil, "failure_code": nil, "failure_message": nil, "fraud_details": [:],
            "livemode": false, "metadata": [:], "on_behalf_of": nil,
            "outcome": ["advice_code": nil, "network_advice_code": nil, "network_decline_code": nil,
                        "network_status": "approved_by_network", "reason": nil, "risk_level": "not_assessed", "risk_score": nil,
                        "seller_message": "Payment complete.", "type": "authorized"],
            "paid": .bool(status == "succeeded"), "payment_intent": pi["id"], "payment_method": pm["id"],
            "payment_method_details": details, "radar_options": [:],
            "receipt_email": nil, "receipt_number": nil, "receipt_url": .string("\(ledger.settings.baseURL)/_emulator/receipts/\(id)"),
            "refunded": false,
            "refunds": ["object": "list", "data": [], "has_more": false, "total_count": 0, "url": .string("/v1/charges/\(id)/refunds")],
            "review": nil, "shipping": pi["shipping"], "source_transfer": nil, "statement_descriptor": nil,
            "statement_descriptor_suffix": nil, "status": .string(status), "transfer_data": nil, "transfer_group": nil,
        ]
        try ledger.store.insert(charge, type: "charge")
        return charge
    }
}
