import Foundation
import GRDB
import Testing
@testable import StripeEngine
import StripeWire

/// The customer index leaves out rows without a customer (events, prices, products); lookups by
/// customer must still use it, or every such list would scan the account.
@Suite struct ObjectIndexTests {
    @Test func customerLookupsUseThePartialIndex() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_index_\(UUID().uuidString)"
        let plan = try database.writer.read { db -> String in
            let rows = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT data FROM objects WHERE account = ? AND type = ? AND deleted = 0 AND customer = ?
                ORDER BY created, seq
                """, arguments: [account, "subscription", "cus_1"])
            return rows.map { $0["detail"] as String }.joined(separator: "\n")
        }
        #expect(plan.contains("objects_customer"), "plan: \(plan)")
        let partial = try database.writer.read { db in
            try Row.fetchAll(db, sql: "PRAGMA index_list(objects)").first { ($0["name"] as String) == "objects_customer" }?["partial"] as Int?
        }
        #expect(partial == 1)
        // Rows without a customer are not in it; rows with one are, and are found.
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account)
            try store.insert(["id": "price_1", "object": "price", "created": 1], type: "price")
            try store.insert(["id": "sub_1", "object": "subscription", "created": 2, "customer": "cus_1"], type: "subscription")
            try store.insert(["id": "sub_2", "object": "subscription", "created": 3, "customer": "cus_2"], type: "subscription")
        }
        let found = try database.writer.read { db in
            try ObjectStore(db: db, account: account).all(type: "subscription", filters: [.column("customer", "cus_1")]).map { $0["id"] }
        }
        #expect(found == ["sub_1"])
        let indexed = try database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects INDEXED BY objects_customer WHERE account = ? AND customer IS NOT NULL",
                             arguments: [account])
        }
        #expect(indexed == 2)
    }
}

/// Events live in their own table: found by id, listed newest first with their type filter and
/// cursors, amended and reset with the account; an object that was given an `evt_` id of its own
/// (ids of products and prices are the caller's choice) is still found among objects.
@Suite struct EventTableTests {
    @Test func eventsAreStoredListedAndFoundApartFromObjects() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_events_\(UUID().uuidString)"
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account)
            for (i, type) in ["customer.created", "invoice.paid", "invoice.created", "invoice.paid"].enumerated() {
                let id = "evt_\(i)"
                let event: JSONValue = ["id": .string(id), "object": "event", "created": .int(100 + i / 2), "type": .string(type)]
                try store.insertEvent(rendered: JSONWriter.data(event), id: id, type: type, created: 100 + i / 2, logged: 100 + i / 2)
            }
            try store.insert(["id": "evt_custom", "object": "product", "created": 1], type: "product")
        }
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE account = ?", arguments: [account]) == 4)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects WHERE account = ?", arguments: [account]) == 1)
            #expect(try store.get("evt_2", type: "event")["type"] == "invoice.created")
            #expect(try store.get("evt_custom", type: "product")["object"] == "product")
            #expect(throws: StripeError.self) { try store.get("evt_9", type: "event") }
            // Newest first: created, then insertion order within a second.
            func ids(_ filters: [ListFilter], _ page: ListPage = ListPage(), limit: Int = 10) throws -> [String] {
                var page = page
                page.limit = limit
                return try store.list(type: "event", filters: filters, page: page, url: "/v1/events", noun: "event")["data"]
                    .arrayValue!.map { $0["id"].stringValue! }
            }
            #expect(try ids([]) == ["evt_3", "evt_2", "evt_1", "evt_0"])
            #expect(try ids([.column("tag", "invoice.paid")]) == ["evt_3", "evt_1"])
            #expect(try ids([], ListPage(startingAfter: "evt_2"), limit: 1) == ["evt_1"])
            #expect(try ids([], ListPage(endingBefore: "evt_1")) == ["evt_3", "evt_2"])
            #expect(throws: StripeError.self) { try ids([], ListPage(startingAfter: "evt_custom")) }
            // An amended event is read back amended.
            var amended = try store.get("evt_0", type: "event")
            amended["pending_webhooks"] = 0
            try store.update(amended)
            #expect(try store.get("evt_0", type: "event")["pending_webhooks"] == 0)
            try store.replaceEvent("evt_1", with: Array(#"{"id":"evt_1","object":"event","created":100,"type":"x"}"#.utf8))
            #expect(try store.get("evt_1", type: "event")["type"] == "x")
            #expect(try store.storedSize().objects == 5)
            try ObjectStore.deleteAccount(db, account: account)
            #expect(try store.storedSize().objects == 0)
        }
    }
}
