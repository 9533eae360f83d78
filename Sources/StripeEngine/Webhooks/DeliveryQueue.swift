import GRDB
import StripeWire

/// The owner of the `webhook_deliveries` and `webhook_attempts` tables: every statement on them
/// is here, so the outbox, the worker, the control routes and time travel read one queue (one
/// exception reads it: ``ObjectStore/removeEvents(loggedBefore:limit:)`` keeps an event a
/// delivery is still pending for, in the statement that deletes expired events).
///
/// A delivery is one event for one endpoint (`pending` until it `succeeded`, `failed` for good or
/// was `canceled`); each try at it is an attempt, kept for the delivery log.
package struct DeliveryQueue {
    package let db: Database
    package let account: String

    package init(db: Database, account: String) {
        self.db = db
        self.account = account
    }

    /// One delivery due now, as the worker reads it.
    package struct Due: Sendable {
        package let seq: Int
        package let account: String
        package let eventID: String
        package let eventType: String
        package let endpointID: String
        package let attempts: Int
    }

    /// One recorded try at a delivery.
    package struct Attempt: Sendable {
        package var result: WebhookTransportResult
        package var milliseconds: Double
        package var duplicate: Bool
    }

    /// The accounts that have deliveries waiting (due or not).
    package static func accountsWithPending(_ db: Database) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT account FROM webhook_deliveries WHERE state = 'pending'"))
    }

    package func enqueue(eventID: String, type: String, endpoint: String, due: Int, now: Int) throws {
        try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries (account, event_id, event_type, endpoint_id, due, created)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, eventID, type, endpoint, due, now])
    }

    /// Pending deliveries due at `now`, in event order (at most `limit`: the rest go next pass).
    package func due(at now: Int, limit: Int = 1000) throws -> [Due] {
        let account = self.account
        return try Row.fetchAll(db.cachedStatement(sql: """
            SELECT seq, event_id, event_type, endpoint_id, attempts FROM webhook_deliveries
            WHERE state = 'pending' AND account = ? AND due <= ? ORDER BY seq LIMIT ?
            """), arguments: [account, now, limit]).map {
            Due(seq: $0["seq"], account: account, eventID: $0["event_id"], eventType: $0["event_type"],
                endpointID: $0["endpoint_id"], attempts: $0["attempts"])
        }
    }

    /// Whether a delivery is due at `now`.
    package func hasDue(at now: Int) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS(SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND account = ? AND due <= ?)
            """), arguments: [account, now]) ?? false
    }

    /// When the next pending delivery after `now` falls due, if any.
    package func nextDue(after now: Int) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT MIN(due) FROM webhook_deliveries WHERE account = ? AND state = 'pending' AND due > ?
            """), arguments: [account, now])
    }

    package func pendingCount() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM webhook_deliveries WHERE account = ? AND state = 'pending'"),
                         arguments: [account]) ?? 0
    }

    /// An event's `pending_webhooks`: the endpoints it was sent (or is queued) to that have not
    /// answered any delivery of it with a 2xx. A resend that succeeds brings it back to 0; a
    /// resend to an endpoint that already answered does not count it again.
    package func endpointsNotAnswered(eventID: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(DISTINCT endpoint_id) FROM webhook_deliveries d WHERE account = ? AND event_id = ?
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries s WHERE s.account = d.account AND s.event_id = d.event_id
                            AND s.endpoint_id = d.endpoint_id AND s.state = 'succeeded')
            """), arguments: [account, eventID]) ?? 0
    }

    /// The endpoint is gone or disabled: its waiting deliveries will not be sent.
    package func cancel(seq: Int) throws {
        try db.cachedStatement(sql: "UPDATE webhook_deliveries SET state = 'canceled' WHERE seq = ?").execute(arguments: [seq])
    }

    package func cancelPending(endpoint: String) throws {
        try db.cachedStatement(sql: "UPDATE webhook_deliveries SET state = 'canceled' WHERE account = ? AND endpoint_id = ? AND state = 'pending'")
            .execute(arguments: [account, endpoint])
    }

    /// Records the attempts of one try (two when chaos duplicated it) and moves the delivery on:
    /// succeeded, due again after `retryAfter` seconds, or failed for good when that is nil.
    package func record(_ d: Due, attempt: Int, at now: Int, signedAt: Int, attempts: [Attempt], retryAfter: Int?) throws {
        for a in attempts {
            try db.cachedStatement(sql: """
                INSERT INTO webhook_attempts (account, delivery, event_id, event_type, endpoint_id, attempt, at, status_code,
                                              error, outcome, duration_ms, signature_timestamp, duplicate, response_body)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [d.account, d.seq, d.eventID, d.eventType, d.endpointID, attempt, now,
                                         a.result.statusCode, a.result.error, a.result.succeeded ? "succeeded" : "failed",
                                         a.milliseconds, signedAt, a.duplicate ? 1 : 0,
                                         a.result.body.map { String($0.utf8.prefix(WebhookTransportResult.bodyLimit)) ?? "" }])
        }
        if attempts.contains(where: { $0.result.succeeded }) {
            try db.cachedStatement(sql: "UPDATE webhook_deliveries SET state = 'succeeded', attempts = ? WHERE seq = ?")
                .execute(arguments: [attempt, d.seq])
        } else if let retryAfter {
            try db.cachedStatement(sql: "UPDATE webhook_deliveries SET attempts = ?, due = ? WHERE seq = ?")
                .execute(arguments: [attempt, now + retryAfter, d.seq])
        } else {
            try db.cachedStatement(sql: "UPDATE webhook_deliveries SET state = 'failed', attempts = ? WHERE seq = ?")
                .execute(arguments: [attempt, d.seq])
        }
    }

    /// Filters of the delivery log (`GET /_emulator/deliveries`).
    package struct AttemptFilter {
        package var eventType: String?
        package var endpoint: String?
        package var event: String?
        package var outcome: String?
        /// Only attempts whose `seq` is greater, to follow the log without missing any.
        package var after: Int?
        package var limit = 100

        package init() {}
    }

    /// Attempts newest first, as the delivery log renders them.
    package func attempts(_ filter: AttemptFilter) throws -> [JSONValue] {
        var sql = "SELECT * FROM webhook_attempts WHERE account = ?"
        var args: [any DatabaseValueConvertible] = [account]
        if let t = filter.eventType { sql += " AND event_type = ?"; args.append(t) }
        if let e = filter.endpoint { sql += " AND endpoint_id = ?"; args.append(e) }
        if let e = filter.event { sql += " AND event_id = ?"; args.append(e) }
        if let o = filter.outcome { sql += " AND outcome = ?"; args.append(o) }
        if let after = filter.after { sql += " AND seq > ?"; args.append(after) }
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(filter.limit)
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args)).map { row in
            [
                "object": "emulator.delivery_attempt", "seq": .int(row["seq"]), "delivery": .int(row["delivery"]),
                "event": .string(row["event_id"]), "event_type": .string(row["event_type"]), "endpoint": .string(row["endpoint_id"]),
                "attempt": .int(row["attempt"]), "at": .int(row["at"]), "status_code": .from(row["status_code"] as Int?),
                "error": .from(row["error"] as String?), "outcome": .string(row["outcome"]),
                "duration_ms": .double(((row["duration_ms"] as Double? ?? 0) * 1000).rounded() / 1000),
                "signature_timestamp": .int(row["signature_timestamp"]), "duplicate": .bool(row["duplicate"]),
                "response_body": .from(row["response_body"] as String?),
            ]
        }
    }
}

extension DeliveryQueue {
    /// Forgets the account's deliveries and their attempts (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM webhook_attempts WHERE account = ?").execute(arguments: [account])
        try db.cachedStatement(sql: "DELETE FROM webhook_deliveries WHERE account = ?").execute(arguments: [account])
    }
}
