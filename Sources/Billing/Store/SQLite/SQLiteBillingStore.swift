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

extension BillingSchema {
    /// The migrations as GRDB runs them on SQLite (each once, recorded by name).
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        for migration in migrations {
            m.registerMigration(migration.name) { db in
                for statement in migration.statements(for: .sqlite) { try db.execute(sql: statement) }
            }
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
