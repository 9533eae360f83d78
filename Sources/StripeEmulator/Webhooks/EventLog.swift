import GRDB
import StripeWire

/// The tenant's event log: every state change appends a Stripe event in the same transaction
/// as the change, so the log and the objects never disagree, and webhook delivery reads from it
/// (a transactional outbox).
enum EventLog {
    @discardableResult
    static func emit(_ ledger: Ledger, type: String, object: JSONValue, previous: JSONValue?) throws -> String {
        let id = try ledger.newID("evt")
        var data: [String: JSONValue] = ["object": object]
        if let previous { data["previous_attributes"] = previous }
        let created = try ledger.now(for: object)
        var event: JSONValue = [
            "id": .string(id), "object": "event", "api_version": .string(ledger.settings.apiVersion),
            "created": .int(created), "data": .object(data), "livemode": false, "pending_webhooks": 0,
            "request": ["id": .from(ledger.request.id), "idempotency_key": .from(ledger.request.idempotencyKey)],
            "type": .string(type),
        ]
        let endpoints = try WebhookOutbox.enqueue(ledger, eventID: id, type: type, created: created)
        event["pending_webhooks"] = .int(endpoints)
        try ledger.store.insert(event, type: "event")
        return id
    }

    /// Re-renders an update event of this request with the object's final state.
    static func amend(_ ledger: Ledger, eventID: String, before: JSONValue, after: JSONValue) throws {
        guard var event = try ledger.store.find(eventID)?.object else { return }
        event["data"]["object"] = after
        event["data"]["previous_attributes"] = JSONDiff.previousAttributes(before, after) ?? [:]
        try ledger.store.update(event)
    }

    /// Replaces the object an earlier event of this request carried (used when Stripe reports the
    /// final state of an object in its `*.created` event although other events follow it).
    static func replaceObject(_ ledger: Ledger, eventID: String, with object: JSONValue) throws {
        guard var event = try ledger.store.find(eventID)?.object else { return }
        event["data"]["object"] = object
        try ledger.store.update(event)
    }
}
