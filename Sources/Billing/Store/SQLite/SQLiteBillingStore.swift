import Foundation
import GRDB
import StripeWire

/// The embedded default: SQLite through GRDB, a file (WAL mode) or a private in-memory database.
public struct SQLiteBillingStore: BillingStore {
    let writer: any DatabaseWriter

    public static func inMemory() throws -> SQLiteBillingStore { try SQLiteBillingStore(writer: DatabaseQueue()) }

    public static func file(_ path: String) throws -> SQLiteBillingStore {
        var config = Configuration()
        config.busyMode = .timeout(5)
        return try SQLiteBillingStore(writer: DatabasePool(path: path, configuration: config))
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try BillingSchema.migrator.migrate(writer)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLBillingTransaction(GRDBExecutor(db: db))) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await writer.read { db in try body(SQLBillingTransaction(GRDBExecutor(db: db))) }
    }

    public func dumpTables() async throws -> [TableDump] {
        try await writer.read { db in try Self.dump(db) }
    }

    /// Reads a SQLite file the app wrote (a scenario's `--database-url`), without migrating it.
    public static func dumpTables(ofFile path: String) throws -> [TableDump] {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: path, configuration: config).read { db in try dump(db) }
    }

    static func dump(_ db: Database) throws -> [TableDump] {
        try TableDump.all(GRDBExecutor(db: db)) { table in try db.tableExists(table) }
    }
}

/// The schema, as migrations (the PostgreSQL store carries the same tables).
enum BillingSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
                CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
                CREATE TABLE memberships (
                    org_id TEXT NOT NULL REFERENCES organizations(id), user_id TEXT NOT NULL REFERENCES users(id),
                    role TEXT NOT NULL, PRIMARY KEY (org_id, user_id));
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
                    org_id TEXT NOT NULL REFERENCES organizations(id), expires_at INTEGER NOT NULL,
                    revoked_at INTEGER, created_at INTEGER NOT NULL);
                CREATE TABLE subscriptions (
                    org_id TEXT PRIMARY KEY REFERENCES organizations(id), plan TEXT NOT NULL, status TEXT NOT NULL,
                    stripe_customer_id TEXT UNIQUE, stripe_subscription_id TEXT UNIQUE, stripe_price_id TEXT,
                    current_period_start INTEGER, current_period_end INTEGER, trial_end INTEGER,
                    cancel_at_period_end INTEGER NOT NULL DEFAULT 0, past_due_since INTEGER,
                    leads_used INTEGER NOT NULL DEFAULT 0, usage_period_start INTEGER NOT NULL,
                    last_event_created INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE properties (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), title TEXT NOT NULL,
                    address TEXT, created_at INTEGER NOT NULL);
                CREATE INDEX properties_org ON properties(org_id);
                CREATE TABLE leads (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL,
                    email TEXT, created_at INTEGER NOT NULL);
                CREATE INDEX leads_org ON leads(org_id);
                CREATE TABLE usage_records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, resource TEXT NOT NULL,
                    action TEXT NOT NULL, quantity INTEGER NOT NULL, created_at INTEGER NOT NULL);
                CREATE INDEX usage_org ON usage_records(org_id, created_at);
                CREATE TABLE invoices (
                    stripe_invoice_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, number TEXT, amount_due INTEGER NOT NULL,
                    amount_paid INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, hosted_invoice_url TEXT,
                    invoice_pdf TEXT, period_start INTEGER, period_end INTEGER, paid_at INTEGER, created_at INTEGER NOT NULL);
                CREATE INDEX invoices_org ON invoices(org_id, created_at);
                CREATE TABLE processed_events (event_id TEXT PRIMARY KEY, type TEXT NOT NULL, processed_at INTEGER NOT NULL);
                CREATE TABLE email_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, to_email TEXT NOT NULL, kind TEXT NOT NULL,
                    subject TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER);
                """)
        }
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE idempotent_requests (
                    org_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
                    response TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (org_id, key));
                """)
        }
        return m
    }
}

/// Runs the shared queries on a GRDB connection inside its transaction.
struct GRDBExecutor: SQLExecutor {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)).map { row in
            var values: [String: SQLValue] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null: values[column] = .null
                case .int64(let i): values[column] = .int(Int(i))
                case .double(let d): values[column] = .double(d)
                case .string(let s): values[column] = .text(s)
                case .blob(let b): values[column] = .text(b.base64EncodedString())
                }
            }
            return SQLRow(values)
        }
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { v -> (any DatabaseValueConvertible)? in
            switch v {
            case .null: nil
            case .int(let i): i
            case .double(let d): d
            case .text(let s): s
            }
        })
    }
}
