import GRDB
import StripeWire

/// Queues an event for every enabled webhook endpoint that listens to its type, in the same
/// transaction that appended the event (a transactional outbox: nothing is lost on a crash, and
/// a rolled-back change sends nothing).
package enum WebhookOutbox {
    /// Returns how many endpoints will receive the event (its `pending_webhooks`).
    package static func enqueue(_ ledger: Ledger, eventID: String, type: String, created: Int) throws -> Int {
        let endpoints = try enabledEndpoints(ledger).filter { listens($0, to: type) }
        guard !endpoints.isEmpty else { return 0 }
        let now = try ledger.now(clock: nil)
        let tenantChaos = try DeliveryChaos.tenant(ledger)
        for endpoint in endpoints {
            let chaos = try DeliveryChaos.forEndpoint(endpoint["id"].stringValue!, ledger) ?? tenantChaos
            try insert(ledger, eventID: eventID, type: type, endpoint: endpoint["id"].stringValue!,
                       due: now + (chaos?.delaySeconds ?? 0), now: now)
        }
        return endpoints.count
    }

    /// The enabled endpoints, once per transaction (a request or an advance emits many events).
    ///
    /// An account without endpoints (every load test, most scenarios' fake before the app
    /// registers) is answered by one index probe (``ObjectStore/hasLive(type:)``): the filtered
    /// query was 6% of `POST /v1/customers` with nothing to find.
    package static func enabledEndpoints(_ ledger: Ledger) throws -> [JSONValue] {
        if let known = ledger.cache.enabledEndpoints { return known }
        guard try ledger.store.hasLive(type: "webhook_endpoint") else {
            ledger.cache.enabledEndpoints = []
            return []
        }
        let endpoints = try ledger.store.all(type: "webhook_endpoint", filters: [.field("status", equals: "enabled")])
        ledger.cache.enabledEndpoints = endpoints
        return endpoints
    }

    package static func insert(_ ledger: Ledger, eventID: String, type: String, endpoint: String, due: Int, now: Int) throws {
        ledger.cache.queuedWork = true
        try DeliveryQueue(db: ledger.db, account: ledger.account).enqueue(eventID: eventID, type: type, endpoint: endpoint, due: due, now: now)
    }

    package static func listens(_ endpoint: JSONValue, to type: String) -> Bool {
        let events = endpoint["enabled_events"].arrayValue?.compactMap(\.stringValue) ?? []
        return events.contains("*") || events.contains(type)
            || events.contains { $0.hasSuffix(".*") && type.hasPrefix(String($0.dropLast(1))) }
    }
}
