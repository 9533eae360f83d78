import GRDB
import GRDBSQLite

/// A single integer read with SQLite's C API from one of GRDB's cached statements.
///
/// Why: GRDB's `Int.fetchOne` allocates a cursor and boxes each argument in a `DatabaseValue`
/// inside `StatementArguments`; for a lookup that SQLite answers in about a microsecond that
/// wrapping was most of the cost. The account clock is read this way by every event emitted (ten
/// per `POST /v1/subscriptions`), where `perf` put `AccountClock.now()` at 5% of the request.
package enum DirectLookup {
    /// One positional argument.
    package enum Argument {
        case text(String)
        case int(Int)
    }

    /// The first column of the first row of `sql` run with `arguments`; nil when there is no row
    /// or the value is NULL. Throws GRDB's `DatabaseError` as GRDB would.
    package static func int(_ db: Database, sql: String, _ arguments: [Argument]) throws -> Int? {
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
            return sqlite3_column_type(handle, 0) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(handle, 0))
        case SQLITE_DONE:
            return nil
        case let code:
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }

    /// SQLite's "copy this now" destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
