import GRDB
import GRDBSQLite

/// A single row read with SQLite's C API from one of GRDB's cached statements.
///
/// Why: GRDB's `Int.fetchOne` allocates a cursor and boxes each argument in a `DatabaseValue`
/// inside `StatementArguments`; for a lookup that SQLite answers in about a microsecond that
/// wrapping was most of the cost. The account clock is read this way by every event emitted (ten
/// per `POST /v1/subscriptions`), where `perf` put `AccountClock.now()` at 5% of the request, and
/// an object by id (`ObjectStore.find`, 7% of a year-long clock advance through GRDB's cursor).
package enum DirectLookup {
    /// One positional argument.
    package enum Argument {
        case text(String)
        case int(Int)
    }

    /// The first column of the first row of `sql` run with `arguments`; nil when there is no row
    /// or the value is NULL. Throws GRDB's `DatabaseError` as GRDB would.
    package static func int(_ db: Database, sql: String, _ arguments: [Argument]) throws -> Int? {
        try row(db, sql: sql, arguments) { $0.isNull(0) ? nil : $0.int(0) } ?? nil
    }

    /// `body` applied to the first row of `sql` run with `arguments`; nil when there is no row.
    /// The columns are SQLite's own buffers, valid only inside `body`. Throws GRDB's
    /// `DatabaseError` as GRDB would.
    package static func row<T>(_ db: Database, sql: String, _ arguments: [Argument], _ body: (Columns) throws -> T) throws -> T? {
        let statement = try db.cachedStatement(sql: sql)
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = CInt(offset + 1)
            switch argument {
            case .int(let value):
                sqlite3_bind_int64(handle, index, sqlite3_int64(value))
            case .text(var text):
                // SQLite copies the text (SQLITE_TRANSIENT): nothing stays bound to Swift memory.
                // An empty text has no base address, and a null pointer would bind NULL.
                text.withUTF8 { bytes in
                    if let base = bytes.baseAddress {
                        _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), CInt(bytes.count), transient)
                    } else {
                        _ = sqlite3_bind_text(handle, index, "", 0, transient)
                    }
                }
            }
        }
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return try body(Columns(handle: handle))
        case SQLITE_DONE:
            return nil
        case let code:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }

    /// The row a lookup stepped to, read in place.
    package struct Columns {
        fileprivate let handle: OpaquePointer

        package func isNull(_ index: Int) -> Bool { sqlite3_column_type(handle, CInt(index)) == SQLITE_NULL }

        package func int(_ index: Int) -> Int { Int(sqlite3_column_int64(handle, CInt(index))) }

        /// The column as text (empty for NULL).
        package func text(_ index: Int) -> String {
            guard let start = sqlite3_column_text(handle, CInt(index)) else { return "" }
            let count = Int(sqlite3_column_bytes(handle, CInt(index)))
            return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        }

        /// The column's bytes as SQLite holds them (text without conversion; empty for NULL),
        /// valid until the lookup returns.
        package func bytes(_ index: Int) -> UnsafeRawBufferPointer {
            // The pointer first, then its length, as SQLite asks.
            guard let start = sqlite3_column_text(handle, CInt(index)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, CInt(index))))
        }
    }

    /// SQLite's "copy this now" destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
