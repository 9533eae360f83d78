import StripeWire

/// Which time a webhook's `Stripe-Signature` carries. Stripe signs with the real time, and every
/// SDK's verifier rejects a timestamp more than 300 s old; the fake's default is the account's
/// (virtual) clock, so an app that reads the virtual clock verifies what it gets. An app that
/// keeps wall time while a scenario travels (any app under test from a project file) needs
/// `real`: the signature then carries the machine's time, while the event's `created` stays on
/// the account clock. Set per account with `POST /_emulator/settings webhook_signature_time=`.
package enum SignatureTime: String, Sendable, CaseIterable {
    case account
    case real

    static let settingsKey = "webhook_signature_time"

    package static func of(_ ledger: Ledger) throws -> SignatureTime {
        try AccountSettings.read(ledger)[settingsKey].stringValue.flatMap(SignatureTime.init(rawValue:)) ?? .account
    }

    package static func set(_ value: SignatureTime, _ ledger: Ledger) throws {
        try AccountSettings.write(settingsKey, .string(value.rawValue), ledger)
    }
}
