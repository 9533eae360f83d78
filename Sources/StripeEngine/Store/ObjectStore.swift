import GRDB
import StripeWire

/// One tenant's Stripe objects inside one open transaction.
///
/// Objects are stored as the JSON Stripe would render, with a few columns lifted out for
/// indexed lookups (type, creation time, customer). Every query is scoped to the account, so
/// tenants never see each other.
///
/// Events have a table of their own (`events`): ten are stored for every renewal a clock
/// advance bills and most are deleted a month later, so each one's index entries count. Theirs
/// are the id, the list order, the event type and the retention time, without the type,
/// deleted flag and customer every object row carries. An event is known by its id's `evt_`
/// prefix, which every id ``EventLog`` mints has.
package struct ObjectStore {
    package let db: Database
    package let account: String
    /// The transaction's parsed objects, if it keeps them (see ``ObjectCache``).
    package var cache: ObjectCache? = nil

    package init(db: Database, account: String, cache: ObjectCache? = nil) {
        self.db = db
        self.account = account
        self.cache = cache
    }

    package struct Row {
        package let type: String
        package let deleted: Bool
        package let object: JSONValue
    }

    package func find(_ id: String) throws -> Row? {
        if let cached = cache?.row(id) { return cached }
        // An object may have been given an `evt_` id of its own (a product's id is the caller's
        // choice): not found among events, it is looked for among objects.
        if Self.isEvent(id), let event = try findEvent(id) { return event }
        let account = self.account
        // The row's bytes are compared with the parsed copy the process keeps, straight from
        // SQLite's buffer: an unchanged object is neither copied into a String nor parsed.
        guard let (found, parsed) = try DirectLookup.row(db, sql: "SELECT type, deleted, data FROM objects WHERE account = ? AND id = ?",
                                                        [.text(account), .text(id)], { columns in
            let parsed = try ParsedObjects.shared.value(account: account, id: id, stored: columns.bytes(2))
            return (Row(type: columns.text(0), deleted: columns.int(1) != 0, object: parsed.value), parsed)
        }) else { return nil }
        if let cache {
            cache.remember(id, found)
            // The stored bytes are what the writer renders for the parsed value: a response that
            // returns the object as found sends these bytes instead of serializing it again.
            cache.remember(id, rendered: found.object, as: parsed.bytes)
        }
        return found
    }

    private func findEvent(_ id: String) throws -> Row? {
        let account = self.account
        return try DirectLookup.row(db, sql: "SELECT data FROM events WHERE account = ? AND id = ?", [.text(account), .text(id)]) { columns in
            Row(type: "event", deleted: false, object: try ParsedObjects.shared.value(account: account, id: id, stored: columns.bytes(0)).value)
        }
    }

    /// Whether `id` is looked for among events first.
    package static func isEvent(_ id: String) -> Bool { id.utf8.starts(with: "evt_".utf8) }

    /// The live object of this type, or Stripe's 404 `No such <noun>: '<id>'`.
    package func get(_ id: String, type: String, noun: String? = nil, param: String? = "id") throws -> JSONValue {
        guard let row = try find(id), row.type == type, !row.deleted else {
            throw StripeError.noSuch(noun ?? type.replacingOccurrences(of: "_", with: " "), id, param: param)
        }
        return row.object
    }

    /// Stores a new object. `hidden` is state real Stripe keeps but never renders (a card's full
    /// number, which test behaviour it has); it is never part of a response.
    /// An event goes to the events table (``insertEvent(rendered:id:type:created:logged:)``),
    /// logged when it was created.
    package func insert(_ object: JSONValue, type: String, hidden: JSONValue? = nil) throws {
        let bytes = JSONWriter.data(object)
        let created = object["created"].intValue ?? 0
        if type == "event" {
            // Written once and rarely read back: not kept parsed.
            return try insertEvent(rendered: bytes, id: id(of: object), type: object["type"].stringValue ?? "", created: created, logged: created)
        }
        try insert(rendered: bytes, id: id(of: object), type: type, created: created, customer: object["customer"].stringValue, hidden: hidden)
        ParsedObjects.shared.remember(account: account, id: id(of: object), bytes: bytes, value: object)
        if let cache {
            cache.remember(id(of: object), hidden: hidden ?? [:])
            cache.remember(id(of: object), Row(type: type, deleted: false, object: object))
            cache.remember(id(of: object), rendered: object, as: bytes)
            if type == "webhook_endpoint" { cache.enabledEndpoints = nil }
        }
    }

    /// Stores a new object already serialized.
    package func insert(rendered bytes: [UInt8], id: String, type: String, created: Int, customer: String?, hidden: JSONValue? = nil) throws {
        try RenderedWrite.execute(db, sql: "INSERT INTO objects (account, id, type, created, customer, data, private) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  json: bytes, [
                                      .text(account), .text(id), .text(type), .int(created), customer.map { .text($0) } ?? .null, .json,
                                      hidden.map { .text(JSONWriter.string($0)) } ?? .null,
                                  ])
        try touchStamp()
    }

    /// Stores a new event already serialized (assembled around its object's stored bytes).
    /// `type` is the event's type, which lists filter on; `logged` its time on the account clock
    /// (see ``EventRetention``).
    package func insertEvent(rendered bytes: [UInt8], id: String, type: String, created: Int, logged: Int) throws {
        try RenderedWrite.execute(db, sql: "INSERT INTO events (account, id, created, tag, logged, data) VALUES (?, ?, ?, ?, ?, ?)",
                                  json: bytes, [.text(account), .text(id), .int(created), .text(type), .int(logged), .json])
        try touchStamp()
    }

    private func id(of object: JSONValue) -> String { object["id"].stringValue ?? "" }

    /// Every write of an object changes the account's ``RenderStamp``, once per transaction.
    private func touchStamp() throws {
        if cache?.stampTouched == true { return }
        try RenderStamp.touch(db, account: account)
        cache?.stampTouched = true
    }

    /// One string field of a stored object. In a transaction that keeps parsed objects the
    /// object is found as usual (parsed once per distinct content, then kept for the transaction:
    /// the billing engine asks every event's customer for its test clock); otherwise SQLite reads
    /// the field without the whole object being parsed here (a dotted path reaches into objects).
    package func stringField(_ id: String, _ path: String) throws -> String? {
        if cache != nil { return try find(id)?.object[path: path].stringValue }
        let account = self.account
        return try String.fetchOne(db.cachedStatement(sql: "SELECT json_extract(data, '$.' || ?) FROM objects WHERE account = ? AND id = ?"),
                                   arguments: [path, account, id])
    }

    package func intField(_ id: String, _ path: String) throws -> Int? {
        if cache != nil { return try find(id)?.object[path: path].intValue }
        let account = self.account
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT json_extract(data, '$.' || ?) FROM objects WHERE account = ? AND id = ?"),
                                arguments: [path, account, id])
    }

    /// The state an object keeps but never renders; an empty object when it has none, so a
    /// caller can add a member to it and save it back.
    ///
    /// Kept parsed for the transaction (a renewal's charge reads its card's hidden number and
    /// test behaviour each time).
    package func hidden(_ id: String) throws -> JSONValue {
        if let kept = cache?.hidden(id) { return kept }
        let account = self.account
        let stored = try DirectLookup.row(db, sql: "SELECT private FROM objects WHERE account = ? AND id = ?",
                                          [.text(account), .text(id)]) { $0.isNull(0) ? nil : Array($0.bytes(0)) } ?? nil
        let value = try stored.map { try JSONParser.parse($0) } ?? [:]
        cache?.remember(id, hidden: value)
        return value
    }

    package func setHidden(_ id: String, _ value: JSONValue) throws {
        let account = self.account
        try RenderedWrite.execute(db, sql: "UPDATE objects SET private = ? WHERE account = ? AND id = ?", json: JSONWriter.data(value),
                                  [.json, .text(account), .text(id)])
        // Only a row that exists holds it: the next read finds what the update left.
        if db.changesCount > 0 { cache?.remember(id, hidden: value) } else { cache?.forgetHidden(id) }
        try touchStamp()
    }

    package func update(_ object: JSONValue) throws {
        let account = self.account
        let id = object["id"].stringValue ?? ""
        let customer = object["customer"].stringValue
        let bytes = JSONWriter.data(object)
        if object["object"] == "event" {
            try RenderedWrite.execute(db, sql: "UPDATE events SET data = ? WHERE account = ? AND id = ?", json: bytes,
                                      [.json, .text(account), .text(id)])
            try touchStamp()
            cache?.forget(id)
            return
        }
        if let kept = cache?.row(id), kept.object["customer"].stringValue == customer {
            // The customer column is indexed: setting it, even to the value it holds, rewrites the
            // index entry (an update took 19 µs instead of 32 in SQLite with it left out).
            try RenderedWrite.execute(db, sql: "UPDATE objects SET data = ? WHERE account = ? AND id = ?", json: bytes,
                                      [.json, .text(account), .text(id)])
        } else {
            try RenderedWrite.execute(db, sql: "UPDATE objects SET data = ?, customer = ? WHERE account = ? AND id = ?", json: bytes,
                                      [.json, customer.map { .text($0) } ?? .null, .text(account), .text(id)])
        }
        try touchStamp()
        ParsedObjects.shared.remember(account: account, id: id, bytes: bytes, value: object)
        if let cache {
            if let row = cache.row(id) { cache.remember(id, Row(type: row.type, deleted: row.deleted, object: object)) }
            cache.remember(id, rendered: object, as: bytes)
            if object["object"] == "webhook_endpoint" { cache.enabledEndpoints = nil }
        }
    }

    /// Rewrites an event's stored JSON with bytes assembled by the caller (an amended event);
    /// its type and times stay as they are.
    package func replaceEvent(_ id: String, with bytes: [UInt8]) throws {
        try RenderedWrite.execute(db, sql: "UPDATE events SET data = ? WHERE account = ? AND id = ?", json: bytes,
                                  [.json, .text(account), .text(id)])
        try touchStamp()
        cache?.forget(id)
    }

    package func markDeleted(_ id: String) throws {
        let account = self.account
        try db.cachedStatement(sql: "UPDATE objects SET deleted = 1 WHERE account = ? AND id = ?").execute(arguments: [account, id])
        try touchStamp()
        cache?.forget(id)
        cache?.enabledEndpoints = nil
    }

    package func remove(_ id: String) throws {
        let account = self.account
        try db.cachedStatement(sql: "DELETE FROM objects WHERE account = ? AND id = ?").execute(arguments: [account, id])
        try touchStamp()
        cache?.forget(id)
        cache?.enabledEndpoints = nil
    }

    /// Deletes up to `limit` of the account's events logged on its clock before `cutoff`, oldest
    /// first, except those a webhook delivery is still pending for (see ``EventRetention``);
    /// returns how many went.
    package func removeEvents(loggedBefore cutoff: Int, limit: Int) throws -> Int {
        let account = self.account
        try db.cachedStatement(sql: """
            DELETE FROM events WHERE seq IN (
                SELECT o.seq FROM events o INDEXED BY events_logged
                WHERE o.account = ? AND o.logged < ?
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                                  WHERE d.account = o.account AND d.event_id = o.id AND d.state = 'pending')
                ORDER BY o.logged LIMIT ?)
            """).execute(arguments: [account, cutoff, limit])
        let removed = db.changesCount
        // Kept answers of the account's reads (an event fetched by id) must not outlive it.
        if removed > 0 { try touchStamp() }
        return removed
    }

    /// Whether the account has a live object of this type: one index probe through SQLite's C
    /// API (``DirectLookup``), asked by every transaction that emits an event.
    package func hasLive(type: String) throws -> Bool {
        try DirectLookup.int(db, sql: "SELECT EXISTS(SELECT 1 FROM objects WHERE account = ? AND type = ? AND deleted = 0)",
                             [.text(account), .text(type)]) == 1
    }

    /// Whether the customer has a live object of this type: one probe of the customer index
    /// through SQLite's C API (``DirectLookup``), for sweeps that usually find nothing.
    package func hasLive(type: String, customer: String) throws -> Bool {
        try DirectLookup.int(db, sql: "SELECT EXISTS(SELECT 1 FROM objects WHERE account = ? AND customer = ? AND type = ? AND deleted = 0)",
                             [.text(account), .text(customer), .text(type)]) == 1
    }

    /// Every live object of a type matching the filters, oldest first (for search and engine sweeps).
    package func all(type: String, filters: [ListFilter] = []) throws -> [JSONValue] {
        var sql = "SELECT data FROM objects WHERE account = ? AND type = ? AND deleted = 0"
        var args: [any DatabaseValueConvertible & Sendable] = [account, type]
        for f in filters { sql += " AND " + f.sql; args.append(contentsOf: f.arguments) }
        sql += " ORDER BY created, seq"
        let rows = try String.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args.map { $0 as (any DatabaseValueConvertible)? }))
        return try rows.map { try JSONParser.parse($0) }
    }

    /// One page of a Stripe list, newest first, with an exact `has_more`.
    package func list(type: String, filters: [ListFilter], page: ListPage, url: String, noun: String) throws -> JSONValue {
        let events = type == "event"
        var sql = events ? "SELECT id, data FROM events WHERE account = ?" : "SELECT id, data FROM objects WHERE account = ? AND type = ? AND deleted = 0"
        var args: [any DatabaseValueConvertible & Sendable] = events ? [account] : [account, type]
        for f in filters { sql += " AND " + f.sql; args.append(contentsOf: f.arguments) }
        var backward = false
        if let cursor = page.startingAfter ?? page.endingBefore {
            backward = page.startingAfter == nil
            let param = backward ? "ending_before" : "starting_after"
            let accountID = account
            guard let anchor = try GRDB.Row.fetchOne(
                db.cachedStatement(sql: events ? "SELECT created, seq FROM events WHERE account = ? AND id = ?"
                                               : "SELECT created, seq FROM objects WHERE account = ? AND id = ? AND type = ?"),
                arguments: events ? [accountID, cursor] : [accountID, cursor, type]) else {
                throw StripeError.noSuch(noun, cursor, param: param)
            }
            let c: Int = anchor["created"], s: Int = anchor["seq"]
            sql += backward ? " AND (created > ? OR (created = ? AND seq > ?))" : " AND (created < ? OR (created = ? AND seq < ?))"
            args.append(contentsOf: [c, c, s])
        }
        sql += backward ? " ORDER BY created ASC, seq ASC" : " ORDER BY created DESC, seq DESC"
        sql += " LIMIT ?"
        args.append(page.limit + 1)
        let cursor = try GRDB.Row.fetchCursor(db.cachedStatement(sql: sql),
                                              arguments: StatementArguments(args.map { $0 as (any DatabaseValueConvertible)? }))
        let account = self.account
        var objects: [JSONValue] = []
        objects.reserveCapacity(min(page.limit, 100))
        var hasMore = false
        while let row = try cursor.next() {
            if objects.count == page.limit { hasMore = true; break }
            let id: String = row[0]
            // Parsed once per distinct content; the page is then sent as the rows' stored bytes (see `Rendering`).
            let parsed = try row.withStoredBytes(atIndex: 1) { try ParsedObjects.shared.value(account: account, id: id, stored: $0) }
            cache?.remember(id, rendered: parsed.value, as: parsed.bytes)
            objects.append(parsed.value)
        }
        if backward { objects.reverse() }
        return [
            "object": "list",
            "data": .array(objects),
            "has_more": .bool(hasMore),
            "url": .string(url),
        ]
    }
}

/// A SQL condition on the `objects` table (a lifted column or a `json_extract` of the data).
package struct ListFilter: @unchecked Sendable {
    package let sql: String
    package let arguments: [any DatabaseValueConvertible & Sendable]

    package static func column(_ name: String, _ value: String) -> ListFilter {
        ListFilter(sql: "\(name) = ?", arguments: [value])
    }

    /// Equality on a field of the stored JSON (`$.product`).
    package static func field(_ path: String, equals value: JSONValue) -> ListFilter {
        switch value {
        case .bool(let b): return ListFilter(sql: "json_extract(data, '$.\(path)') = ?", arguments: [b ? 1 : 0])
        case .int(let i): return ListFilter(sql: "json_extract(data, '$.\(path)') = ?", arguments: [i])
        case .null: return ListFilter(sql: "json_extract(data, '$.\(path)') IS NULL", arguments: [])
        default: return ListFilter(sql: "json_extract(data, '$.\(path)') = ?", arguments: [value.stringValue ?? ""])
        }
    }

    /// A number field of the stored JSON above a bound (`$.pending_webhooks > 0`).
    package static func field(_ path: String, greaterThan value: Int) -> ListFilter {
        ListFilter(sql: "json_extract(data, '$.\(path)') > ?", arguments: [value])
    }

    package static func field(_ path: String, in values: [String]) -> ListFilter {
        let marks = values.map { _ in "?" }.joined(separator: ", ")
        return ListFilter(sql: "json_extract(data, '$.\(path)') IN (\(marks))", arguments: values)
    }

    package static func created(_ op: String, _ value: Int) -> ListFilter {
        ListFilter(sql: "created \(op) ?", arguments: [value])
    }

    package init(sql: String, arguments: [any DatabaseValueConvertible & Sendable]) {
        self.sql = sql
        self.arguments = arguments
    }
}

/// The cursor part of a list request.
package struct ListPage: Sendable {
    package var limit = 10
    package var startingAfter: String?
    package var endingBefore: String?

    package init(startingAfter: String? = nil, endingBefore: String? = nil) {
        self.startingAfter = startingAfter
        self.endingBefore = endingBefore
    }
}

extension ObjectStore {
    /// Forgets the account's objects and events (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM objects WHERE account = ?").execute(arguments: [account])
        try db.cachedStatement(sql: "DELETE FROM events WHERE account = ?").execute(arguments: [account])
    }

    /// The accounts (API keys) that hold objects, with how many each (the console's account picker).
    package static func accounts(_ db: Database, limit: Int = 100) throws -> [(account: String, objects: Int)] {
        try GRDB.Row.fetchAll(db.cachedStatement(sql: """
            SELECT account, SUM(n) AS n FROM (
                SELECT account, COUNT(*) AS n, MAX(seq) AS newest FROM objects WHERE deleted = 0 GROUP BY account
                UNION ALL SELECT account, COUNT(*), 0 FROM events GROUP BY account)
            GROUP BY account ORDER BY MAX(newest) DESC LIMIT ?
            """), arguments: [limit]).map { row -> (account: String, objects: Int) in (row["account"], row["n"]) }
    }

    /// How many objects and events the account stores, and the bytes of their JSON.
    package func storedSize() throws -> (objects: Int, bytes: Int) {
        let row = try GRDB.Row.fetchOne(db, sql: """
            SELECT SUM(n) AS n, SUM(bytes) AS bytes FROM (
                SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM objects WHERE account = ?
                UNION ALL SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM events WHERE account = ?)
            """, arguments: [account, account])
        return (row?["n"] ?? 0, row?["bytes"] ?? 0)
    }

    /// The JSON of up to `limit` recently stored objects and events: the newest of each, taken
    /// in turn (the two tables number their rows apart, so which came first is not known).
    package func newestJSON(limit: Int) throws -> [String] {
        let objects = try String.fetchAll(db, sql: "SELECT data FROM objects WHERE account = ? ORDER BY seq DESC LIMIT ?", arguments: [account, limit])
        let events = try String.fetchAll(db, sql: "SELECT data FROM events WHERE account = ? ORDER BY seq DESC LIMIT ?", arguments: [account, limit])
        var sample: [String] = []
        for i in 0..<max(objects.count, events.count) where sample.count < limit {
            if i < objects.count { sample.append(objects[i]) }
            if i < events.count, sample.count < limit { sample.append(events[i]) }
        }
        return sample
    }
}
