import Foundation
import GRDB
import Testing
@testable import StripeEngine

/// `DirectLookup` reads one integer with SQLite's C API: it must see what GRDB sees (texts bound
/// exactly, NULL and no row as nil), throw GRDB's error on a failing step, and leave the cached
/// statement usable by GRDB and by itself.
@Suite struct DirectLookupTests {
    static let byAccount = "SELECT COALESCE(frozen_time, ? + offset) FROM account_clocks WHERE account = ?"

    @Test func readsWhatGRDBReads() throws {
        let database = try EmulatorDatabase.inMemory()
        try database.writer.write { db in
            try db.execute(sql: "INSERT INTO account_clocks (account, frozen_time, offset) VALUES ('sk_é', NULL, 40), ('', 1700000000, 0), ('sk_frozen', 1800000000, 5)")
            #expect(try DirectLookup.int(db, sql: Self.byAccount, [.int(1_000), .text("sk_é")]) == 1_040)
            #expect(try DirectLookup.int(db, sql: Self.byAccount, [.int(1_000), .text("")]) == 1_700_000_000)
            #expect(try DirectLookup.int(db, sql: Self.byAccount, [.int(1_000), .text("sk_frozen")]) == 1_800_000_000)
            #expect(try DirectLookup.int(db, sql: Self.byAccount, [.int(1_000), .text("sk_missing")]) == nil)
            #expect(try DirectLookup.int(db, sql: "SELECT frozen_time FROM account_clocks WHERE account = ?", [.text("sk_é")]) == nil)
            // GRDB runs the same cached statement afterwards and agrees.
            #expect(try Int.fetchOne(db.cachedStatement(sql: Self.byAccount), arguments: [1_000, "sk_é"]) == 1_040)
            #expect(try DirectLookup.int(db, sql: Self.byAccount, [.int(-1_000), .text("sk_é")]) == -960)
        }
    }

    @Test func aFailingStepThrowsGRDBsErrorAndTheStatementStaysUsable() throws {
        let database = try EmulatorDatabase.inMemory()
        let sql = "SELECT abs(?)"
        let (error, after, grdb) = try database.writer.write { db -> (DatabaseError?, Int?, Int?) in
            // abs() of the smallest 64-bit integer overflows: an error raised while stepping.
            var caught: DatabaseError?
            do { _ = try DirectLookup.int(db, sql: sql, [.int(Int.min)]) } catch let e as DatabaseError { caught = e }
            return (caught, try DirectLookup.int(db, sql: sql, [.int(-7)]), try Int.fetchOne(db.cachedStatement(sql: sql), arguments: [-8]))
        }
        #expect(error?.resultCode == .SQLITE_ERROR)
        #expect(error?.message?.contains("integer overflow") == true)
        #expect(after == 7)
        #expect(grdb == 8)
    }

    @Test func rowsAreReadInPlaceAsGRDBReadsThem() throws {
        let database = try EmulatorDatabase.inMemory()
        try database.writer.write { db in
            try db.execute(sql: "INSERT INTO account_settings (account, data) VALUES ('sk_a', '{\"name\":\"Zoë\"}'), ('sk_b', '')")
            let sql = "SELECT account, data, length(data), NULL FROM account_settings WHERE account = ?"
            let a = try DirectLookup.row(db, sql: sql, [.text("sk_a")]) { columns in
                (columns.text(0), Array(columns.bytes(1)), columns.int(2), columns.isNull(3), columns.isNull(1), columns.text(3), columns.bytes(3).count)
            }
            #expect(a?.0 == "sk_a")
            #expect(a?.1 == Array(#"{"name":"Zoë"}"#.utf8))
            #expect(a?.2 == 14)
            #expect(a?.3 == true && a?.4 == false)
            #expect(a?.5 == "" && a?.6 == 0)
            let b = try DirectLookup.row(db, sql: sql, [.text("sk_b")]) { ($0.bytes(1).count, $0.isNull(1)) }
            #expect(b?.0 == 0 && b?.1 == false)
            #expect(try DirectLookup.row(db, sql: sql, [.text("sk_missing")]) { _ in true } == nil)
            // An error thrown by the reader leaves the statement usable.
            struct Refused: Error {}
            #expect(throws: Refused.self) { try DirectLookup.row(db, sql: sql, [.text("sk_a")]) { _ in throw Refused() } }
            #expect(try String.fetchOne(db.cachedStatement(sql: sql), arguments: ["sk_b"]) == "sk_b")
        }
    }
}
