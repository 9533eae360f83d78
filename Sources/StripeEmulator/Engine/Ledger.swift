import GRDB
import StripeWire

/// Who caused a change, recorded on its events (`request.id`, `request.idempotency_key`); both
/// are null when the billing engine acted on its own (renewals, retries, clock advances).
struct EventRequest: Sendable {
    var id: String?
    var idempotencyKey: String?
    static let automatic = EventRequest(id: nil, idempotencyKey: nil)
}

/// The billing engine's view of one tenant inside one transaction: its objects, clocks, ids and
/// event log. API handlers and scheduled work both act through it, so a renewal run by a clock
/// advance and one run by a request behave the same.
struct Ledger {
    let db: Database
    let account: String
    let ids: IDMinter
    let settings: EmulatorSettings
    var request: EventRequest
    /// While due work runs, the moment it is due on its clock ("" is the account clock).
    var timeOverride: (clock: String, time: Int)?
    /// The transaction's parsed objects; copies of a ledger share it.
    var cache = ObjectCache()

    var store: ObjectStore { ObjectStore(db: db, account: account, cache: cache) }
    var accountClock: AccountClock { AccountClock(db: db, account: account, wall: settings.wallClock) }

    func newID(_ prefix: String) throws -> String { try ids.next(prefix) }

    /// "Now" on a clock: a test clock's frozen time, or the account's clock.
    func now(clock: String?) throws -> Int {
        let key = clock ?? ""
        if let o = timeOverride, o.clock == key { return o.time }
        if key.isEmpty { return try accountClock.now() }
        guard let frozen = try store.intField(key, "frozen_time") else { return try accountClock.now() }
        return frozen
    }

    /// The clock an object follows: its own `test_clock`, else its customer's.
    func clock(of object: JSONValue) throws -> String? {
        if object["object"] == "test_helpers.test_clock" { return object["id"].stringValue }
        if let c = object["test_clock"].stringValue { return c }
        if let customer = object["customer"].stringValue { return try store.stringField(customer, "test_clock") }
        if let invoice = object["invoice"].stringValue { return try store.stringField(invoice, "test_clock") }
        return nil
    }

    func now(for object: JSONValue) throws -> Int { try now(clock: clock(of: object)) }

    func emit(_ type: String, _ object: JSONValue, previous: JSONValue? = nil) throws {
        try EventLog.emit(self, type: type, object: object, previous: previous)
    }

    /// Emits `<type>` with `previous_attributes` computed from the object before and after;
    /// nothing (and nil) when nothing changed.
    @discardableResult
    func emitUpdate(_ type: String, before: JSONValue, after: JSONValue) throws -> String? {
        guard let previous = JSONDiff.previousAttributes(before, after) else { return nil }
        return try EventLog.emit(self, type: type, object: after, previous: previous)
    }
}

extension APIRequest {
    var ledger: Ledger {
        Ledger(db: db, account: account, ids: ids, settings: settings,
               request: EventRequest(id: requestID, idempotencyKey: idempotencyKey), cache: cache)
    }
}

/// What changed between two renderings of an object, as Stripe reports it in
/// `data.previous_attributes`: only changed keys, with their old values; nested objects hold only
/// their changed sub-keys; lists are reported whole.
enum JSONDiff {
    static func previousAttributes(_ old: JSONValue, _ new: JSONValue) -> JSONValue? {
        guard case .object(let o) = old, case .object(let n) = new else { return old == new ? nil : old }
        var diff = JSONObject()
        o.forEachKey(unionWith: n) { key, a, b in
            let a = a ?? .null, b = b ?? .null
            if a == b { return }
            if case .object = a, case .object = b, a["object"] != "list", let nested = previousAttributes(a, b) {
                diff.append(key, nested)
            } else {
                diff.append(key, a)
            }
        }
        return diff.isEmpty ? nil : .object(diff)
    }
}
