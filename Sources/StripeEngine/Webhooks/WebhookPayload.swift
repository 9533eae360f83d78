import StripeWire

/// The body a webhook endpoint receives for an event: the event rendered at the endpoint's
/// `api_version`, or the account's default when the endpoint pins none. One function, so the
/// console shows exactly the bytes the delivery worker sends.
package enum WebhookPayload {
    package static func render(event: JSONValue, endpoint: JSONValue, _ ledger: Ledger) throws -> (version: APIVersion, body: [UInt8]) {
        let version = try endpoint["api_version"].stringValue.flatMap(APIVersion.init)
            ?? APIVersion(try APIVersion.accountDefault(ledger)) ?? .current
        return (version, try Rendering.render(event, stored: nil, for: .webhookDelivery(version: version), store: ledger.store))
    }
}
