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


extension TableDump {
    /// The ORDER BY of each table's dump: its primary key (`#` marks an integer column), except
    /// sessions, whose key is the hash of a random token (sorted by what is stable instead).
    static let orderBy: [String: [String]] = [
        "email_outbox": ["#id"], "idempotent_requests": ["org_id", "key"], "invoices": ["stripe_invoice_id"], "leads": ["id"],
        "memberships": ["org_id", "user_id"], "organizations": ["id"], "processed_events": ["event_id"], "properties": ["id"],
        "sessions": ["#created_at", "user_id", "org_id", "#expires_at"], "subscriptions": ["org_id"], "usage_records": ["#id"],
        "users": ["id"],
    ]

    /// The tables a snapshot holds, in name order (schema bookkeeping excluded).
    public static var tables: [String] { orderBy.keys.sorted() }

    /// Dumps every snapshot table through the shared executor, so both backends sort and type
    /// rows alike (text in byte order, integers as integers).
    static func all(_ sql: any SQLExecutor, exists: (String) throws -> Bool) throws -> [TableDump] {
        try tables.map { table in
            guard try exists(table) else { return TableDump(table: table, rows: []) }
            let order = (orderBy[table] ?? []).map { $0.hasPrefix("#") ? "\"\($0.dropFirst())\"" : sql.dialect.byteOrder($0) }
            let rows = try sql.fetch("SELECT * FROM \"\(table)\"" + (order.isEmpty ? "" : " ORDER BY " + order.joined(separator: ", ")), [])
            return TableDump(table: table, rows: rows.map { row in
                .object(row.values.mapValues { v -> JSONValue in
                    switch v {
                    case .null: .null
                    case .int(let i): .int(i)
                    case .double(let d): .double(d)
                    case .text(let s): .string(s)
                    }
                })
            })
        }
    }
}
