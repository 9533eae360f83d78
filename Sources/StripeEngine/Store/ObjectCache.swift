import StripeWire

/// Objects one transaction has already parsed or written, so the billing engine can look an
/// object up many times (a renewal reads its subscription, customer, price, product and invoice
/// several times over) and parse its stored JSON once.
///
/// It lives exactly as long as the transaction that owns it (a request, a clock advance, a
/// background pass) and every write of the transaction goes through the ``ObjectStore`` that
/// holds it, so it can never be stale. It is bounded: a year-long clock advance touches every
/// object of the account, so past `capacity` entries it starts over. Measured on `effinity bench
/// clock` (a year of 1,000 monthly subscriptions in one transaction): 16,384 parsed objects and
/// 1,024 recent renderings took the advance from 15.0 s to 10.7 s for 47 MiB more memory; 65,536
/// objects cost 234 MiB more and ran slower (11.6 s).
package final class ObjectCache {
    private var rows: [String: ObjectStore.Row] = [:]
    /// The bytes each object was last written as, with the value they render: an event about
    /// an object just saved embeds these bytes instead of serializing the object a second time.
    private var rendered: [String: (object: JSONValue, bytes: [UInt8])] = [:]
    /// How many parsed objects it keeps: objects a clock advance reads again a period later
    /// must still be there, so this is the large one.
    package let capacity: Int
    /// How many rendered objects and event envelopes it keeps: they serve the event or response
    /// that follows a write, so only the latest few matter.
    package let recent: Int
    /// The tenant's enabled webhook endpoints, read once per transaction for all its events;
    /// forgotten whenever an endpoint (or anything deleted) is written.
    package var enabledEndpoints: [JSONValue]?
    /// The account's default API version, read once per transaction (every event carries it).
    package var accountVersion: String?
    /// The account's alias once this transaction has recorded it (``AccountAlias/register(_:)``):
    /// a clock advance mints two document URLs for every invoice it finalizes.
    package var registeredAlias: String?
    /// Whether this transaction has given the account a new ``RenderStamp`` (once is enough).
    package var stampTouched = false
    /// Whether the transaction read the account's clock, which moves with the wall clock without
    /// any write: an answer that did cannot be reused on the strength of the stamp alone.
    package var readClock = false
    /// Whether the transaction queued work on the account's clock or a webhook delivery: only
    /// then may a write leave work due that the background worker should run at once (a write
    /// that queued nothing leaves what was due before it to the worker's next tick, which would
    /// have found it anyway), so the two index probes that tell are skipped otherwise.
    package var queuedWork = false
    /// The events this transaction emitted, without their objects (see ``EventLog/Envelope``).
    private var events: [String: EventLog.Envelope] = [:]
    /// The never-rendered state of objects (``ObjectStore/hidden(_:)``), parsed once.
    private var hiddenState: [String: JSONValue] = [:]

    package init(capacity: Int = 16_384, recent: Int = 1024) {
        self.capacity = capacity
        self.recent = recent
    }

    package func row(_ id: String) -> ObjectStore.Row? { rows[id] }

    package func remember(_ id: String, _ row: ObjectStore.Row) {
        if rows.count >= capacity { rows.removeAll(keepingCapacity: true) }
        rows[id] = row
    }

    package func event(_ id: String) -> EventLog.Envelope? { events[id] }

    package func remember(_ envelope: EventLog.Envelope) {
        if events.count >= recent { events.removeAll(keepingCapacity: true) }
        events[envelope.id] = envelope
    }

    package func forget(_ id: String) {
        rows[id] = nil
        rendered[id] = nil
        events[id] = nil
        hiddenState[id] = nil
    }

    package func hidden(_ id: String) -> JSONValue? { hiddenState[id] }

    package func remember(_ id: String, hidden value: JSONValue) {
        if hiddenState.count >= recent { hiddenState.removeAll(keepingCapacity: true) }
        hiddenState[id] = value
    }

    package func forgetHidden(_ id: String) { hiddenState[id] = nil }

    /// Forgets everything: after a savepoint is rolled back, what it wrote must not be read back.
    package func forgetAll() {
        rows.removeAll()
        rendered.removeAll()
        events.removeAll()
        hiddenState.removeAll()
        enabledEndpoints = nil
        accountVersion = nil
        stampTouched = false
        registeredAlias = nil
    }

    package func remember(_ id: String, rendered object: JSONValue, as bytes: [UInt8]) {
        if rendered.count >= recent { rendered.removeAll(keepingCapacity: true) }
        rendered[id] = (object, bytes)
    }

    /// The bytes `object` was last written as, if it is still exactly that value (usually the
    /// same storage, so the comparison is a pointer check).
    package func bytes(of object: JSONValue) -> [UInt8]? {
        guard let id = object["id"].stringValue, let r = rendered[id], r.object == object else { return nil }
        return r.bytes
    }
}
