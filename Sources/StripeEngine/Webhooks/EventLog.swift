import GRDB
import StripeWire

/// The tenant's event log: every state change appends a Stripe event in the same transaction
/// as the change, so the log and the objects never disagree, and webhook delivery reads from it
/// (a transactional outbox).
package enum EventLog {
    @discardableResult
    package static func emit(_ ledger: Ledger, type eventType: StripeEventType, object: JSONValue, previous: JSONValue?) throws -> String {
        let type = eventType.rawValue
        let id = try ledger.newID("evt")
        // `created` is the time of the clock the object follows; retention counts on the account's.
        let clock = try ledger.clock(of: object)
        let created = try ledger.now(clock: clock)
        let logged = clock == nil ? created : try ledger.now(clock: nil)
        let endpoints = try WebhookOutbox.enqueue(ledger, eventID: id, type: type, created: created)
        let request: JSONValue = ["id": .from(ledger.request.id), "idempotency_key": .from(ledger.request.idempotencyKey)]
        // The object was almost always saved just before: its stored bytes are reused.
        let objectBytes = ledger.cache.bytes(of: object) ?? JSONWriter.data(object)
        // The version its `data` is read at through /v1/events: the account's default now.
        let envelope = Envelope(id: id, apiVersion: try APIVersion.accountDefault(ledger), created: created, previous: previous,
                                pendingWebhooks: endpoints, request: request, type: type)
        try ledger.store.insertEvent(rendered: envelope.render(object: objectBytes), id: id, type: type, created: created, logged: logged)
        ledger.cache.remember(envelope)
        return id
    }

    /// Everything of an event but its object, kept by the transaction that emitted it so that
    /// amending the event re-assembles it around the object's stored bytes instead of parsing
    /// the stored event and serializing it whole again.
    package struct Envelope {
        package let id: String
        package let apiVersion: String
        package let created: Int
        package var previous: JSONValue?
        package let pendingWebhooks: Int
        package let request: JSONValue
        package let type: String

        /// The event's JSON, byte for byte what ``JSONWriter`` renders for the same value (`id`,
        /// `object`, then keys in byte order), with the object's bytes spliced in.
        package func render(object: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(object.count + 400)
            func key(_ k: String, first: Bool = false) {
                if !first { out.append(UInt8(ascii: ",")) }
                JSONWriter.append(.string(k), to: &out)
                out.append(UInt8(ascii: ":"))
            }
            out.append(UInt8(ascii: "{"))
            key("id", first: true); JSONWriter.append(.string(id), to: &out)
            key("object"); JSONWriter.append("event", to: &out)
            key("api_version"); JSONWriter.append(.string(apiVersion), to: &out)
            key("created"); JSONWriter.append(.int(created), to: &out)
            key("data"); out.append(UInt8(ascii: "{"))
            key("object", first: true); out.append(contentsOf: object)
            if let previous { key("previous_attributes"); JSONWriter.append(previous, to: &out) }
            out.append(UInt8(ascii: "}"))
            key("livemode"); JSONWriter.append(false, to: &out)
            key("pending_webhooks"); JSONWriter.append(.int(pendingWebhooks), to: &out)
            key("request"); JSONWriter.append(request, to: &out)
            key("type"); JSONWriter.append(.string(type), to: &out)
            out.append(UInt8(ascii: "}"))
            return out
        }

        package init(id: String, apiVersion: String, created: Int, previous: JSONValue? = nil, pendingWebhooks: Int, request: JSONValue, type: String) {
            self.id = id
            self.apiVersion = apiVersion
            self.created = created
            self.previous = previous
            self.pendingWebhooks = pendingWebhooks
            self.request = request
            self.type = type
        }
    }

    /// Re-renders an update event of this request with the object's final state.
    package static func amend(_ ledger: Ledger, eventID: String, before: JSONValue, after: JSONValue) throws {
        let previous = PreviousAttributes.of(before, after) ?? [:]
        if var envelope = ledger.cache.event(eventID) {
            envelope.previous = previous
            try rewrite(ledger, envelope, object: after)
            return
        }
        guard var event = try ledger.store.find(eventID)?.object else { return }
        event["data"]["object"] = after
        event["data"]["previous_attributes"] = previous
        try ledger.store.update(event)
    }

    /// Replaces the object an earlier event of this request carried (used when Stripe reports the
    /// final state of an object in its `*.created` event although other events follow it).
    package static func replaceObject(_ ledger: Ledger, eventID: String, with object: JSONValue) throws {
        if let envelope = ledger.cache.event(eventID) {
            try rewrite(ledger, envelope, object: object)
            return
        }
        guard var event = try ledger.store.find(eventID)?.object else { return }
        event["data"]["object"] = object
        try ledger.store.update(event)
    }

    private static func rewrite(_ ledger: Ledger, _ envelope: Envelope, object: JSONValue) throws {
        let objectBytes = ledger.cache.bytes(of: object) ?? JSONWriter.data(object)
        try ledger.store.replaceEvent(envelope.id, with: envelope.render(object: objectBytes))
        ledger.cache.remember(envelope)
    }
}
