import StripeWire

/// The `dispute` object the dispute test cards open, with every field of the schema: evidence
/// fields all null until the merchant sends them, `payment_method_details.card` saying whether
/// it is a chargeback or an inquiry. Balance transactions are not emulated (an empty list).
package enum DisputeObject {
    /// Evidence fields that take text.
    package static let textFields = [
        "access_activity_log", "billing_address", "cancellation_policy_disclosure", "cancellation_rebuttal",
        "customer_email_address", "customer_name", "customer_purchase_ip", "duplicate_charge_explanation",
        "duplicate_charge_id", "product_description", "refund_policy_disclosure", "refund_refusal_explanation",
        "service_date", "shipping_address", "shipping_carrier", "shipping_date", "shipping_tracking_number",
        "uncategorized_text",
    ]
    /// Evidence fields that take the id of an uploaded file (files are not emulated).
    package static let fileFields = [
        "cancellation_policy", "customer_communication", "customer_signature", "duplicate_charge_documentation",
        "receipt", "refund_policy", "service_documentation", "shipping_documentation", "uncategorized_file",
    ]

    static func emptyEvidence() -> JSONValue {
        var evidence: JSONValue = ["enhanced_evidence": [:]]
        for f in textFields + fileFields { evidence[f] = nil }
        return evidence
    }

    static func new(_ ledger: Ledger, charge: JSONValue, reason: String, networkReasonCode code: String, inquiry: Bool,
                    now: Int) throws -> JSONValue {
        let brand = charge["payment_method_details"]["card"]["brand"].stringValue ?? "visa"
        return [
            "id": .string(try ledger.newID("dp")), "object": "dispute", "amount": charge["amount_captured"],
            "balance_transactions": [], "charge": charge["id"], "created": .int(now), "currency": charge["currency"],
            "enhanced_eligibility_types": [], "evidence": emptyEvidence(),
            "evidence_details": ["due_by": .int(now + DisputeEngine.responseWindow), "enhanced_eligibility": [:], "has_evidence": false,
                                 "past_due": false, "submission_count": 0],
            "is_charge_refundable": .bool(inquiry), "livemode": false, "metadata": [:],
            "payment_intent": charge["payment_intent"],
            "payment_method_details": ["card": ["brand": .string(brand), "case_type": inquiry ? "inquiry" : "chargeback",
                                                "network_reason_code": .string(code)],
                                       "type": "card"],
            "reason": .string(reason), "status": inquiry ? "warning_needs_response" : "needs_response",
        ]
    }
}
