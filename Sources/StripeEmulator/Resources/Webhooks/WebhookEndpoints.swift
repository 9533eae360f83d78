import StripeEngine
import StripeWire

/// `/v1/webhook_endpoints`: where events are delivered. The `whsec_` secret is shown only on
/// create (and on a secret roll), as on Stripe; it is kept as hidden state for signing.
enum WebhookEndpoints {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/webhook_endpoints", create)
        r.read("/v1/webhook_endpoints", list)
        r.read("/v1/webhook_endpoints/{id}", retrieve)
        r.post("/v1/webhook_endpoints/{id}", update)
        r.delete("/v1/webhook_endpoints/{id}", delete)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "webhook_endpoint", noun: "webhook endpoint")
    }

    static func readURL(_ req: inout APIRequest) throws -> String? {
        guard let url = try req.params.string("url") else { return nil }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > 8, !url.contains(" ") else {
            throw StripeError.invalidRequest("Invalid URL: \(url). An endpoint URL must be an http or https URL.", param: "url",
                                             code: "url_invalid")
        }
        return url
    }

    static func readEvents(_ req: inout APIRequest) throws -> [String]? {
        guard let events = try req.params.strings("enabled_events") else { return nil }
        guard !events.isEmpty else { throw StripeError.missingParam("enabled_events") }
        for (i, e) in events.enumerated() where !isEventType(e) {
            throw StripeError.invalidRequest("Invalid enabled_events[\(i)]: '\(e)' is not an event type.", param: "enabled_events[\(i)]")
        }
        return events
    }

    /// Stripe's event-type families (the object a type starts with). A type the fake emits is
    /// accepted exactly; another type, or a wildcard (`invoice.*`), must belong to one of these:
    /// integrations subscribe to events the fake does not emulate (yet), and a typo in the family
    /// is refused as on Stripe. Within a family the rest of the name is not checked (there is no
    /// list of Stripe's types in this repository).
    static let eventFamilies: Set<String> = [
        "account", "application_fee", "balance", "billing", "billing_portal", "capability", "cash_balance", "charge",
        "checkout", "climate", "coupon", "credit_note", "customer", "customer_cash_balance_transaction", "entitlements",
        "file", "financial_connections", "identity", "invoice", "invoice_payment", "invoiceitem", "issuing_authorization",
        "issuing_card", "issuing_cardholder", "issuing_dispute", "issuing_personalization_design", "issuing_token",
        "issuing_transaction", "mandate", "payment_intent", "payment_link", "payment_method", "payout", "person", "plan",
        "price", "product", "promotion_code", "quote", "radar", "refund", "reporting", "review", "setup_intent", "sigma",
        "source", "subscription_schedule", "tax", "tax_rate", "terminal", "test_helpers", "topup", "transfer", "treasury",
    ]

    static func isEventType(_ e: String) -> Bool {
        if e == "*" || StripeEventType(rawValue: e) != nil { return true }
        let parts = e.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, eventFamilies.contains(String(parts[0])) else { return false }
        return parts.dropFirst().allSatisfy { part in
            part == "*" || (!part.isEmpty && part.allSatisfy { ($0.isASCII && $0.isLowercase) || $0 == "_" })
        }
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        guard let url = try readURL(&req) else { throw StripeError.missingParam("url") }
        guard let events = try readEvents(&req) else { throw StripeError.missingParam("enabled_events") }
        let secret = SigningSecrets.new(account: req.account, requestID: req.requestID, idMode: req.settings.idMode)
        var endpoint: JSONValue = [
            "id": .string(try req.newID("we")), "object": "webhook_endpoint",
            // Events are rendered for it at this version (the account's default when null).
            "api_version": .from(try req.params.nonEmpty("api_version").map { try APIVersion.parse($0, param: "api_version").raw }),
            "application": nil, "created": .int(req.now),
            "description": .from(try req.params.nonEmpty("description")),
            "enabled_events": .array(events.map { .string($0) }), "livemode": false,
            "metadata": try Metadata.apply(&req.params, to: [:]), "status": "enabled", "url": .string(url),
        ]
        _ = try req.params.bool("connect")
        try req.store.insert(endpoint, type: "webhook_endpoint", hidden: ["secrets": [["secret": .string(secret), "expires": nil]]])
        endpoint["secret"] = .string(secret)
        return endpoint
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var endpoint = try get(req.pathParam(), req)
        if let url = try readURL(&req) { endpoint["url"] = .string(url) }
        if let events = try readEvents(&req) { endpoint["enabled_events"] = .array(events.map { .string($0) }) }
        try endpoint.setString("description", from: &req.params)
        endpoint["metadata"] = try Metadata.apply(&req.params, to: endpoint["metadata"])
        if let disabled = try req.params.bool("disabled") { endpoint["status"] = disabled ? "disabled" : "enabled" }
        try req.store.update(endpoint)
        return endpoint
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let endpoint = try get(req.pathParam(), req)
        let id = endpoint["id"].stringValue!
        try req.store.markDeleted(id)
        try DeliveryQueue(db: req.db, account: req.account).cancelPending(endpoint: id)
        return deletedStub(id, "webhook_endpoint")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let (page, filters) = try req.listPage(createdFilter: false)
        return try req.store.list(type: "webhook_endpoint", filters: filters, page: page, url: "/v1/webhook_endpoints",
                                  noun: "webhook endpoint")
    }
}
