import GRDB
import GRDBSQLite

/// A write whose large argument is JSON the process has just rendered, bound to SQLite as the
/// bytes it already holds.
///
/// Why not GRDB's `execute(arguments:)`: that needs the JSON as a `String`, so every object and
/// event written was first copied into one and checked as UTF-8 (the writer only ever produces
/// valid UTF-8), then wrapped with the other arguments in `DatabaseValue`s. Binding the bytes in
/// place made the year of `effinity bench clock --subscriptions 500` about 10% faster (median of
/// 11 runs alternated with the previous build; the runs spread ±15%), see BENCHMARKS.md. The
/// statement still comes from GRDB's cache and runs inside GRDB's transaction (whose commit hook is
/// the connection's, so commit observers still fire); only binding and stepping happen here.
package enum RenderedWrite {
    /// One positional argument of the statement.
    package enum Argument {
        case text(String)
        case int(Int)
        case null
        /// The rendered JSON given to ``execute(_:sql:json:_:)``.
        case json
    }

    /// Runs `sql` once with `arguments`, where ``Argument/json`` stands for `json` (bound without
    /// a copy for the duration of the statement), inside the current transaction; throws GRDB's
    /// `DatabaseError` as GRDB would, and `SQLITE_ABORT` when there is no transaction.
    package static func execute(_ db: Database, sql: String, json: [UInt8], _ arguments: [Argument]) throws {
        // GRDB refuses a statement once SQLite has rolled the transaction back on its own (a full
        // disk, an I/O error): run here it would commit alone, half of a request. Every caller
        // writes inside a transaction, so outside one is that case.
        guard db.isInsideTransaction else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted", sql: sql)
        }
        let statement = try db.cachedStatement(sql: sql)
        let handle = statement.sqliteStatement
        // The short texts go into one buffer, bound in place like the JSON: no copy by SQLite.
        var texts: [UInt8] = []
        texts.reserveCapacity(128)
        var spans: [(start: Int, count: Int)] = []
        spans.reserveCapacity(arguments.count)
        for argument in arguments {
            if case .text(let text) = argument {
                let start = texts.count
                texts.append(contentsOf: text.utf8)
                spans.append((start, texts.count - start))
            } else {
                spans.append((0, 0))
            }
        }
        sqlite3_reset(handle)
        // Everything is bound without a copy: nothing may stay bound past this call.
        defer { sqlite3_clear_bindings(handle) }
        let code: CInt = json.withUnsafeBufferPointer { bytes in
            texts.withUnsafeBufferPointer { textBytes in
                let textBase = textBytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? emptyText
                for (offset, argument) in arguments.enumerated() {
                    let index = CInt(offset + 1)
                    switch argument {
                    case .text:
                        let span = spans[offset]
                        sqlite3_bind_text(handle, index, span.count == 0 ? emptyText : textBase + span.start, CInt(span.count), nil)
                    case .int(let value):
                        sqlite3_bind_int64(handle, index, sqlite3_int64(value))
                    case .null:
                        sqlite3_bind_null(handle, index)
                    case .json:
                        // An empty buffer has no base address, and SQLite binds a null pointer as
                        // NULL: an empty document is bound as an empty string instead.
                        let base = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? emptyText
                        sqlite3_bind_text(handle, index, base, CInt(bytes.count), nil)
                    }
                }
                return sqlite3_step(handle)
            }
        }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        sqlite3_reset(handle)
    }

    /// A write without JSON, bound the same way (no `DatabaseValue`s, no cursor): the small
    /// statements a renewal runs many times (id counters, due work), where GRDB's wrapping was
    /// about as costly as SQLite's work (`perf` on `effinity bench clock`).
    package static func execute(_ db: Database, sql: String, _ arguments: [Argument]) throws {
        try execute(db, sql: sql, json: [], arguments)
    }

    /// A zero-length C string for an empty document.
    nonisolated(unsafe) private static let emptyText: UnsafePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()
}
