import Billing
import StripeWire

/// A snapshot: canonical JSON of every app table, the fake's billing objects (customers,
/// subscriptions, invoices, payment intents, charges, sorted by id) and the types of the
/// webhook events delivered to the app so far, normalized by ``Normalizer``.
struct SnapshotTaker: Sendable {
    let http: HTTP
    let app: any AppSide
    let normalizer: Normalizer

    static let stripeLists: [(String, String)] = [
        ("customers", "/v1/customers"), ("subscriptions", "/v1/subscriptions?status=all"), ("invoices", "/v1/invoices"),
        ("payment_intents", "/v1/payment_intents"), ("charges", "/v1/charges"),
    ]

    func take(delivered: [String]) async throws -> JSONValue {
        var tables: [String: JSONValue] = [:]
        for dump in try await app.tables() { tables[dump.table] = .array(dump.rows) }
        var stripe: [String: JSONValue] = [:]
        for (name, path) in Self.stripeLists {
            stripe[name] = .array(try await list(path).sorted { ($0["id"].stringValue ?? "") < ($1["id"].stringValue ?? "") })
        }
        return normalizer.normalize(["app": .object(tables), "stripe": .object(stripe), "webhooks_delivered": .array(delivered.map { .string($0) })])
    }

    /// Every object of a list endpoint, following `has_more`.
    func list(_ path: String) async throws -> [JSONValue] {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        var out: [JSONValue] = []
        var after: String? = nil
        while true {
            var query = "limit=100"
            if parts.count > 1 { query += "&" + parts[1] }
            if let after { query += "&starting_after=\(after)" }
            let reply = try await http.stripe("GET", parts[0], query: query)
            guard reply.status == 200, let data = reply.json["data"].arrayValue else {
                throw ScenarioFailure("snapshot: GET \(path) answered \(reply.status): \(reply.text)")
            }
            out += data
            guard reply.json["has_more"].boolValue == true, let last = data.last?["id"].stringValue else { return out }
            after = last
        }
    }
}
