import Foundation
import GRDB
import Testing
@testable import StripeEngine
import StripeWire

/// `RenderedWrite` binds rendered JSON and the short texts beside it to SQLite without copies:
/// what SQLite stores must be exactly those bytes and texts, a NULL must stay NULL, a failing
/// statement must throw GRDB's error (and leave nothing bound), and GRDB must be able to run the
/// same cached statement afterwards.
@Suite struct RenderedWriteTests {
    static let insert = "INSERT INTO objects (account, id, type, created, customer, data, private) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let insertEvent = "INSERT INTO events (account, id, created, tag, logged, data) VALUES (?, ?, ?, ?, ?, ?)"

    @Test func storesTheBytesAndTextsAsGiven() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_rendered_\(UUID().uuidString)"
        // Non-ASCII in both the JSON and a bound text: UTF-8 must arrive unchanged.
        let json = Array(#"{"id":"cus_é1","object":"customer","name":"Zoë Ünal 🚀"}"#.utf8)
        try database.writer.write { db in
            try RenderedWrite.execute(db, sql: Self.insert, json: json, [
                .text(account), .text("cus_é1"), .text("customer"), .int(1_800_000_123), .null, .json, .null,
            ])
            // The JSON need not be the last argument.
            try RenderedWrite.execute(db, sql: Self.insertEvent, json: json, [
                .text(account), .text("evt_é1"), .int(1_800_000_124), .text("ünïcode tag"), .int(-5), .json,
            ])
        }
        let row = try database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT id, type, created, customer, data, private, typeof(customer) AS t FROM objects WHERE account = ?",
                             arguments: [account])
        }
        let event = try database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT id, created, tag, logged, data FROM events WHERE account = ?", arguments: [account])
        }
        let r = try #require(row)
        #expect(r["id"] as String == "cus_é1")
        #expect(r["type"] as String == "customer")
        #expect(r["created"] as Int == 1_800_000_123)
        #expect(r["t"] as String == "null")
        #expect(Array((r["data"] as String).utf8) == json)
        #expect(r["private"] as String? == nil)
        let e = try #require(event)
        #expect(e["id"] as String == "evt_é1")
        #expect(e["created"] as Int == 1_800_000_124)
        #expect(e["tag"] as String == "ünïcode tag")
        #expect(e["logged"] as Int == -5)
        #expect(Array((e["data"] as String).utf8) == json)
    }

    @Test func anEmptyDocumentAndEmptyTextsAreEmptyStringsNotNull() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_rendered_\(UUID().uuidString)"
        try database.writer.write { db in
            try RenderedWrite.execute(db, sql: Self.insert, json: [], [
                .text(account), .text("x_1"), .text(""), .int(0), .text(""), .json, .null,
            ])
        }
        let types = try database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT typeof(data) AS d, data, typeof(type) AS t, typeof(customer) AS c FROM objects WHERE account = ?",
                             arguments: [account])
        }
        #expect(types?["d"] as String? == "text")
        #expect(types?["data"] as String? == "")
        #expect(types?["t"] as String? == "text")
        #expect(types?["c"] as String? == "text")
    }

    @Test func aFailingStatementThrowsGRDBsErrorAndTheStatementStaysUsable() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_rendered_\(UUID().uuidString)"
        func row(_ id: String) -> [RenderedWrite.Argument] {
            [.text(account), .text(id), .text("customer"), .int(1), .null, .json, .null]
        }
        try database.writer.write { db in
            try RenderedWrite.execute(db, sql: Self.insert, json: Array("{}".utf8), row("cus_dup"))
            // The same (account, id) again: the unique index refuses it.
            do {
                try RenderedWrite.execute(db, sql: Self.insert, json: Array("{}".utf8), row("cus_dup"))
                Issue.record("a duplicate id was inserted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.message?.contains("UNIQUE") == true)
            }
            // The cached statement runs again, here and through GRDB itself.
            try RenderedWrite.execute(db, sql: Self.insert, json: Array("{\"a\":1}".utf8), row("cus_next"))
            try db.cachedStatement(sql: Self.insert).execute(arguments: [account, "cus_grdb", "customer", 2, nil, "{}", nil])
        }
        let ids = try database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM objects WHERE account = ? ORDER BY seq", arguments: [account])
        }
        #expect(ids == ["cus_dup", "cus_next", "cus_grdb"])
    }

    /// After SQLite rolled a transaction back on its own, a write must not run (and commit alone,
    /// half of a request): outside a transaction it is refused as GRDB refuses it, and stores nothing.
    @Test func outsideATransactionNothingIsWritten() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_rendered_\(UUID().uuidString)"
        let error: DatabaseError? = try database.writer.writeWithoutTransaction { db in
            do {
                try RenderedWrite.execute(db, sql: Self.insert, json: Array("{}".utf8), [
                    .text(account), .text("cus_alone"), .text("customer"), .int(1), .null, .json, .null,
                ])
                return nil
            } catch let error as DatabaseError {
                return error
            }
        }
        #expect(error?.resultCode == .SQLITE_ABORT)
        #expect(error?.message == "Transaction was aborted")
        let count = try database.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM objects WHERE account = ?", arguments: [account]) }
        #expect(count == 0)
    }

    @Test func anUpdateThroughTheStoreReadsBackItsBytes() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_rendered_\(UUID().uuidString)"
        let first: JSONValue = ["id": "cus_u1", "object": "customer", "created": 1_800_000_000, "name": "Ada"]
        var second = first
        second["name"] = "Ada Lovelace — ✓"
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account)
            try store.insert(first, type: "customer")
            try store.update(second)
        }
        let stored = try database.writer.read { db in
            try String.fetchOne(db, sql: "SELECT data FROM objects WHERE account = ? AND id = 'cus_u1'", arguments: [account])
        }
        #expect(stored.map { Array($0.utf8) } == JSONWriter.data(second))
    }
}
