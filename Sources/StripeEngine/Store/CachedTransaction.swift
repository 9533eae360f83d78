import GRDB

/// A write transaction whose `BEGIN` and `COMMIT` are prepared once per connection.
///
/// Why: GRDB's `inTransaction` runs them with `execute(sql:)`, which parses, prepares and
/// finalizes both statements for every transaction: 13% of a `POST /v1/customers` in memory in
/// `perf`, as much as storing the customer. Used for the in-memory database's lone writes
/// (``EmulatorDatabase/writeRequest(_:)``), where SQLite cannot roll a transaction back on its
/// own (no disk to fill, no other connection to be busy with); a file database keeps GRDB's
/// transaction, whose guard against statements running after such a rollback it needs.
package enum CachedTransaction {
    static let begin = "BEGIN IMMEDIATE TRANSACTION"
    static let commit = "COMMIT TRANSACTION"

    /// Runs `block` in a transaction: committed when it returns, rolled back when it throws
    /// (the error is rethrown). GRDB's transaction observers see the commit or rollback as usual.
    package static func run<T>(_ db: Database, _ block: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: begin).execute()
        do {
            let value = try block(db)
            guard db.isInsideTransaction else {
                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted")
            }
            try db.cachedStatement(sql: commit).execute()
            return value
        } catch {
            // GRDB's rollback: rare, so not worth a cached statement; a no-op when SQLite has
            // already rolled back.
            try? db.rollback()
            throw error
        }
    }
}
