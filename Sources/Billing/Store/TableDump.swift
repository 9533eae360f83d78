import StripeWire

/// Every row of one table, as JSON objects keyed by column, sorted by the table's primary key.
/// Scenario snapshots diff these against golden files, so every backend must produce the same
/// dump for the same state (integers as integers, text as strings, NULL as null).
public struct TableDump: Sendable, Equatable {
    public let table: String
    public let rows: [JSONValue]

    public init(table: String, rows: [JSONValue]) {
        self.table = table
        self.rows = rows
    }
}

extension BillingStore {
    /// The tables a snapshot holds, in name order (schema bookkeeping excluded).
    public static var snapshotTables: [String] {
        ["email_outbox", "idempotent_requests", "invoices", "leads", "memberships", "organizations", "processed_events", "properties",
         "sessions", "subscriptions", "usage_records", "users"]
    }
}
