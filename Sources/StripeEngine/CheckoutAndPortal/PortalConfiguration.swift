import StripeWire

/// The billing portal's configuration objects: the features a tenant's default configuration
/// turns on, used by the configuration routes and by the portal's own actions.
package enum PortalConfiguration {
    package static let cancellationReasons: [JSONValue] = ["too_expensive", "missing_features", "switched_service", "unused", "other"]

    package static func defaultFeatures() -> JSONValue {
        [
            "customer_update": ["allowed_updates": ["email", "address"], "enabled": true],
            "invoice_history": ["enabled": true],
            "payment_method_update": ["enabled": true, "payment_method_configuration": nil],
            "subscription_cancel": [
                "cancellation_reason": ["enabled": true, "options": .array(cancellationReasons)],
                "enabled": true, "mode": "at_period_end", "proration_behavior": "none",
            ],
            "subscription_update": [
                "billing_cycle_anchor": nil, "default_allowed_updates": ["price"], "enabled": true, "products": nil,
                "proration_behavior": "create_prorations", "schedule_at_period_end": ["conditions": []],
                "trial_update_behavior": "end_trial",
            ],
        ]
    }

    package static func make(_ ledger: Ledger, now: Int, isDefault: Bool) throws -> JSONValue {
        [
            "id": .string(try ledger.newID("bpc")), "object": "billing_portal.configuration", "active": true, "application": nil,
            "business_profile": ["headline": nil, "privacy_policy_url": nil, "terms_of_service_url": nil],
            "created": .int(now), "default_return_url": nil, "features": defaultFeatures(), "is_default": .bool(isDefault),
            "livemode": false, "login_page": ["enabled": false, "url": nil], "metadata": [:], "name": nil, "updated": .int(now),
        ]
    }
}
