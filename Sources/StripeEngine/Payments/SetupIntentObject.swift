import StripeWire

/// The `setup_intent` object as the engine makes it (the API, and the Billing Portal saving a
/// card for off-session use), so every path renders the same fields.
package enum SetupIntentObject {
    package static func new(_ ledger: Ledger, now: Int, customer: String? = nil, paymentMethod: String? = nil,
                            usage: String = "off_session") throws -> JSONValue {
        let id = try ledger.newID("seti")
        let secret = ledger.settings.idMode == .sequential ? "\(id)_secret_test" : "\(id)_secret_\(IDMinter.secretToken(24))"
        return [
            "id": .string(id), "object": "setup_intent", "application": nil, "attach_to_self": nil,
            "automatic_payment_methods": nil, "cancellation_reason": nil, "client_secret": .string(secret),
            "created": .int(now), "customer": .from(customer), "customer_account": nil, "description": nil,
            "excluded_payment_method_types": nil, "flow_directions": nil, "last_setup_error": nil, "latest_attempt": nil,
            "livemode": false, "mandate": nil, "metadata": [:], "next_action": nil, "on_behalf_of": nil,
            "payment_method": .from(paymentMethod), "payment_method_configuration_details": nil,
            "payment_method_options": ["card": ["mandate_options": nil, "network": nil, "request_three_d_secure": "automatic"]],
            "payment_method_types": ["card"], "single_use_mandate": nil,
            "status": paymentMethod == nil ? "requires_payment_method" : "requires_confirmation",
            "usage": .string(usage),
        ]
    }
}
