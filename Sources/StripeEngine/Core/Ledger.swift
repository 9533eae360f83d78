import GRDB
import StripeWire

/// Who caused a change, recorded on its events (`request.id`, `request.idempotency_key`); both
/// are null when the billing engine acted on its own (renewals, retries, clock advances).
package struct EventRequest: Sendable {
    package var id: String?
    package var idempotencyKey: String?
    package static let automatic = EventRequest(id: nil, idempotencyKey: nil)

    package init(id: String? = nil, idempotencyKey: String? = nil) {
        self.id = id
        self.idempotencyKey = idempotencyKey
    }
}

/// The billing engine's view of one tenant inside one transaction: its objects, clocks, ids and
/// event log. API handlers and scheduled work both act through it, so a renewal run by a clock
/// advance and one run by a request behave the same.
package struct Ledger {
    package let db: Database
    package let account: String
    package let ids: IDMinter
    package let settings: EmulatorSettings
    package var request: EventRequest
    /// While due work runs, the moment it is due on its clock ("" is the account clock).
    package var timeOverride: (clock: String, time: Int)?
    /// The transaction's parsed objects; copies of a ledger share it.
    package var cache = ObjectCache()

    package var store: ObjectStore { ObjectStore(db: db, account: account, cache: cache) }
    package var accountClock: AccountClock {
        cache.readClock = true
        return AccountClock(db: db, account: account, wall: settings.wallClock)
    }

    package func newID(_ prefix: String) throws -> String { try ids.next(prefix) }

    /// "Now" on a clock: a test clock's frozen time, or the account's clock.
    package func now(clock: String?) throws -> Int {
        let key = clock ?? ""
        if let o = timeOverride, o.clock == key { return o.time }
        if key.isEmpty { return try accountClock.now() }
        guard let frozen = try store.intField(key, "frozen_time") else { return try accountClock.now() }
        return frozen
    }

    /// The clock an object follows: its own `test_clock`, else its customer's.
    package func clock(of object: JSONValue) throws -> String? {
        if object["object"] == "test_helpers.test_clock" { return object["id"].stringValue }
        if let c = object["test_clock"].stringValue { return c }
        if let customer = object["customer"].stringValue { return try store.stringField(customer, "test_clock") }
        if let invoice = object["invoice"].stringValue { return try store.stringField(invoice, "test_clock") }
        return nil
    }

    package func now(for object: JSONValue) throws -> Int { try now(clock: clock(of: object)) }

    package func emit(_ type: StripeEventType, _ object: JSONValue, previous: JSONValue? = nil) throws {
        try EventLog.emit(self, type: type, object: object, previous: previous)
    }

    /// Emits `<type>` with `previous_attributes` computed from the object before and after;
    /// nothing (and nil) when nothing changed.
    @discardableResult
    package func emitUpdate(_ type: StripeEventType, before: JSONValue, after: JSONValue) throws -> String? {
        guard let previous = PreviousAttributes.of(before, after) else { return nil }
        return try EventLog.emit(self, type: type, object: after, previous: previous)
    }

    package init(db: Database, account: String, ids: IDMinter, settings: EmulatorSettings, request: EventRequest, timeOverride: (clock: String, time: Int)? = nil,
                 cache: ObjectCache = ObjectCache()) {
        self.db = db
        self.account = account
        self.ids = ids
        self.settings = settings
        self.request = request
        self.timeOverride = timeOverride
        self.cache = cache
    }
}

extension Ledger {
    /// A ledger for the engine acting on its own (due work, deliveries): no request to record.
    package static func automatic(db: Database, account: String, settings: EmulatorSettings) -> Ledger {
        Ledger(db: db, account: account, ids: IDMinter(mode: settings.idMode, db: db, account: account), settings: settings,
               request: .automatic)
    }
}
