import Foundation
import GRDB
import Testing
@testable import StripeEngine

/// A database file written by an older version keeps its rows when it is opened by this one:
/// the v12 migration moves events to their own table and rebuilds `objects` and `due_work`
/// without `AUTOINCREMENT`; it must carry every column of every row, make every index, and
/// leave new rows ordered after the old ones.
@Suite struct SchemaMigrationTests {
    private static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("migration-\(UUID().uuidString).sqlite").path
    }

    @Test func objectsAndDueWorkKeepTheirRowsAndIndexesWithoutAutoincrement() throws {
        let path = Self.temporaryFile()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // The schema as the previous release left it, with rows in every column.
        do {
            let old = try DatabaseQueue(path: path)
            try EmulatorDatabase.migrator.migrate(old, upTo: "v11-event-logged-time")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO objects (account, id, type, created, customer, deleted, data, private, tag, logged)
                        VALUES ('sk_a', 'cus_1', 'customer', 100, NULL, 0, '{"id":"cus_1"}', '{"card":"4242"}', NULL, NULL),
                               ('sk_a', 'in_1', 'invoice', 101, 'cus_1', 0, '{"id":"in_1"}', NULL, NULL, NULL),
                               ('sk_a', 'evt_1', 'event', 102, NULL, 0, '{"id":"evt_1"}', NULL, 'invoice.paid', 5000),
                               ('sk_b', 'cus_2', 'customer', 103, NULL, 1, '{"id":"cus_2"}', NULL, NULL, NULL);
                    INSERT INTO due_work (account, clock, due, kind, target, payload)
                        VALUES ('sk_a', '', 200, 'invoice.finalize', 'in_1', NULL),
                               ('sk_a', 'clock_1', 300, 'subscription.renew', 'sub_1', '{"x":1}');
                    """)
                // Leave gaps: the rebuilt tables keep the numbers rows had.
                try db.execute(sql: "DELETE FROM objects WHERE id = 'in_1'")
            }
        }
        let database = try EmulatorDatabase.file(path)
        try database.writer.write { db in
            let objects = try Row.fetchAll(db, sql: """
                SELECT seq, account, id, type, created, customer, deleted, data, private FROM objects ORDER BY seq
                """)
            #expect(objects.map { $0["seq"] as Int } == [1, 4])
            #expect(objects.map { $0["id"] as String } == ["cus_1", "cus_2"])
            #expect(objects[0]["private"] as String? == #"{"card":"4242"}"#)
            #expect(objects[1]["deleted"] as Int == 1)
            #expect(objects[1]["account"] as String == "sk_b")
            let events = try Row.fetchAll(db, sql: "SELECT seq, account, id, created, tag, logged, data FROM events")
            #expect(events.count == 1)
            #expect(events.first?["id"] as String? == "evt_1")
            #expect(events.first?["account"] as String? == "sk_a")
            #expect(events.first?["created"] as Int? == 102)
            #expect(events.first?["tag"] as String? == "invoice.paid")
            #expect(events.first?["logged"] as Int? == 5000)
            #expect(events.first?["data"] as String? == #"{"id":"evt_1"}"#)
            let work = try Row.fetchAll(db, sql: "SELECT seq, account, clock, due, kind, target, payload FROM due_work ORDER BY seq")
            #expect(work.map { $0["seq"] as Int } == [1, 2])
            #expect(work[1]["clock"] as String == "clock_1")
            #expect(work[1]["payload"] as String? == #"{"x":1}"#)

            // Every index the queries name (`INDEXED BY events_logged` fails without it).
            let indexes = Set(try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('objects', 'events', 'due_work')
                """))
            #expect(indexes == ["objects_id", "objects_list", "objects_customer", "events_id", "events_list", "events_tag", "events_logged",
                                "due_work_next", "due_work_target"])
            let tables = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ('objects', 'events', 'due_work')")
            #expect(tables.count == 3)
            #expect(tables.allSatisfy { !$0.uppercased().contains("AUTOINCREMENT") })
            // The columns only events used are gone from objects.
            let objectColumns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('objects') ORDER BY cid")
            #expect(objectColumns == ["seq", "account", "id", "type", "created", "customer", "deleted", "data", "private"])

            // A new row comes after every row left, so it lists as the newest of its second.
            try db.execute(sql: """
                INSERT INTO objects (account, id, type, created, data) VALUES ('sk_a', 'cus_3', 'customer', 103, '{"id":"cus_3"}')
                """)
            #expect(try Int.fetchOne(db, sql: "SELECT seq FROM objects WHERE id = 'cus_3'") == 5)
            // The moved event is found, listed and pruned through the store like a new one.
            let store = ObjectStore(db: db, account: "sk_a")
            #expect(try store.find("evt_1")?.type == "event")
            #expect(try store.find("evt_1")?.object["id"] == "evt_1")
            #expect(try store.removeEvents(loggedBefore: 5001, limit: 10) == 1)
            #expect(try store.find("evt_1") == nil)
            // The account's id stays unique.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO objects (account, id, type, created, data) VALUES ('sk_a', 'cus_3', 'customer', 1, '{}')")
            }
        }
    }
}
