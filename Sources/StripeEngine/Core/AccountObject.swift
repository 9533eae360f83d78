import StripeWire

/// The tenant's own Stripe account (`GET /v1/account`): what integrations read at start-up to
/// check the key and learn the account id, country, default currency and display name.
///
/// Each API key is its own account. Its id is derived from the key (stable across restarts and
/// runs, so goldens hold it); what the tenant changed (`POST /v1/account`,
/// `POST /_emulator/settings account[...]`) is kept in its settings and laid over the defaults.
/// The display name, country and statement descriptor are the ones invoices and charges carry.
package enum AccountObject {
    /// Emulated accounts report this as their creation (2020-01-01T00:00:00Z): they have no real one.
    package static let created = 1_577_836_800
    package static let defaultName = "EFFINITY (emulated Stripe)"
    package static let defaultDescriptor = "EFFINITY"

    /// `acct_` and 16 characters derived from the API key (FNV-1a, base 62).
    package static func id(forKey key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var out = ""
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        for round in 0..<2 {
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ UInt64(round)) &* 0x100_0000_01b3
            var h = hash
            for _ in 0..<8 {
                out.append(alphabet[Int(h % 62)])
                h /= 62
            }
        }
        return "acct_" + out
    }

    /// The account as the API renders it.
    package static func read(_ ledger: Ledger) throws -> JSONValue {
        let s = try AccountSettings.read(ledger)["account"]
        func value(_ key: String, _ fallback: JSONValue) -> JSONValue { s[key].isNull ? fallback : s[key] }
        let name = value("display_name", .string(defaultName))
        let country = value("country", "US")
        let currency = value("default_currency", "usd")
        return [
            "id": .string(id(forKey: ledger.account)), "object": "account",
            "business_profile": [
                "annual_revenue": nil, "estimated_worker_count": nil, "mcc": value("mcc", "5734"),
                "minority_owned_business_designation": nil, "monthly_estimated_revenue": ["amount": 0, "currency": currency],
                "name": name, "product_description": value("product_description", .null), "support_address": nil,
                "support_email": value("support_email", .null), "support_phone": value("support_phone", .null),
                "support_url": value("support_url", .null), "url": value("url", .null),
            ],
            "business_type": "company",
            "capabilities": ["card_payments": "active", "transfers": "active"],
            "charges_enabled": true,
            "controller": ["type": "account"],
            "country": country,
            "created": .int(created),
            "default_currency": currency,
            "details_submitted": true,
            "email": value("email", "owner@effinity.test"),
            "future_requirements": requirements,
            "metadata": value("metadata", [:]),
            "payouts_enabled": true,
            "requirements": requirements,
            "settings": [
                "bacs_debit_payments": ["display_name": nil, "service_user_number": nil],
                "branding": ["icon": nil, "logo": nil, "primary_color": value("primary_color", .null),
                             "secondary_color": value("secondary_color", .null)],
                "card_issuing": ["tos_acceptance": ["date": nil, "ip": nil]],
                "card_payments": ["decline_on": ["avs_failure": false, "cvc_failure": false],
                                  "statement_descriptor_prefix": nil, "statement_descriptor_prefix_kana": nil,
                                  "statement_descriptor_prefix_kanji": nil],
                "dashboard": ["display_name": name, "timezone": value("timezone", "Etc/UTC")],
                "invoices": ["default_account_tax_ids": nil, "hosted_payment_method_save": "offer"],
                "payments": ["statement_descriptor": value("statement_descriptor", .string(defaultDescriptor)),
                             "statement_descriptor_kana": nil, "statement_descriptor_kanji": nil],
                "payouts": ["debit_negative_balances": true,
                            "schedule": ["delay_days": 2, "interval": "daily"], "statement_descriptor": nil],
                "sepa_debit_payments": [:],
            ],
            "tos_acceptance": ["date": .int(created), "ip": "127.0.0.1", "user_agent": nil],
            "type": "standard",
        ]
    }

    static let requirements: JSONValue = [
        "alternatives": [], "current_deadline": nil, "currently_due": [], "disabled_reason": nil, "errors": [],
        "eventually_due": [], "past_due": [], "pending_verification": [],
    ]

    /// The fields a tenant may set, as `account[...]` keys of its settings.
    package static let settable: Set<String> = [
        "display_name", "country", "default_currency", "email", "statement_descriptor", "mcc", "product_description",
        "support_email", "support_phone", "support_url", "url", "primary_color", "secondary_color", "timezone", "metadata",
    ]

    /// Applies changes (keys of ``settable``; null unsets) and sends `account.updated` when the
    /// rendered account changed.
    package static func update(_ changes: [String: JSONValue], _ ledger: Ledger) throws -> JSONValue {
        let before = try read(ledger)
        var stored = try AccountSettings.read(ledger)["account"]
        if stored.isNull { stored = [:] }
        for (key, value) in changes { stored[key] = value }
        try AccountSettings.write("account", stored, ledger)
        let after = try read(ledger)
        try ledger.emitUpdate(.accountUpdated, before: before, after: after)
        return after
    }

    /// The account's default currency (`usd` unless the tenant set another).
    package static func defaultCurrency(_ ledger: Ledger) throws -> String {
        try AccountSettings.read(ledger)["account"]["default_currency"].stringValue ?? "usd"
    }

    /// The name and statement descriptor invoices and charges carry.
    package static func identity(_ ledger: Ledger) throws -> (name: String, country: String, descriptor: String) {
        let s = try AccountSettings.read(ledger)["account"]
        return (s["display_name"].stringValue ?? defaultName, s["country"].stringValue ?? "US",
                s["statement_descriptor"].stringValue ?? defaultDescriptor)
    }
}
