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
