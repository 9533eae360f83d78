import Foundation
import GRDB
import Testing
@testable import StripeEmulator
@testable import StripeEngine
import StripeWire

/// The process-wide parsed objects are keyed by account and id but trusted only when the row
/// holds exactly the bytes they were parsed from: a write that rolled back, or a row another
/// transaction changed, must never be read back from them.
@Suite struct ParsedObjectsTests {
    static func customer(_ id: String, name: String) -> JSONValue {
        ["id": .string(id), "object": "customer", "created": 1_800_000_000, "name": .string(name)]
    }

    @Test func aRolledBackWriteIsNeverReadBack() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_parsed_\(UUID().uuidString)"
        try database.writer.write { db in
            try ObjectStore(db: db, account: account).insert(Self.customer("cus_1", name: "Ada"), type: "customer")
        }
        // The update is remembered as parsed, then its transaction rolls back.
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.writer.write { db in
                try ObjectStore(db: db, account: account).update(Self.customer("cus_1", name: "Grace"))
                let inside = try ObjectStore(db: db, account: account).find("cus_1")?.object["name"]
                #expect(inside == "Grace")
                throw Abort()
            }
        }
        let read = try database.writer.read { db in try ObjectStore(db: db, account: account).find("cus_1")?.object }
        #expect(read?["name"] == "Ada")
    }

    @Test func aRowChangedOutsideTheStoreIsParsedAgain() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_parsed_\(UUID().uuidString)"
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account)
            try store.insert(Self.customer("cus_2", name: "Ada"), type: "customer")
            let before = try store.find("cus_2")?.object["name"]
            #expect(before == "Ada")
            // SQLite changes the row itself: the kept parse no longer matches its bytes.
            try db.execute(sql: "UPDATE objects SET data = json_set(data, '$.name', 'Linus') WHERE account = ? AND id = 'cus_2'",
                           arguments: [account])
            let after = try store.find("cus_2")?.object["name"]
            #expect(after == "Linus")
        }
    }

    @Test func sameIdInTwoAccountsStaysApart() throws {
        let database = try EmulatorDatabase.inMemory()
        let a = "sk_test_parsed_a_\(UUID().uuidString)", b = "sk_test_parsed_b_\(UUID().uuidString)"
        try database.writer.write { db in
            try ObjectStore(db: db, account: a).insert(Self.customer("cus_3", name: "Ada"), type: "customer")
            try ObjectStore(db: db, account: b).insert(Self.customer("cus_3", name: "Grace"), type: "customer")
        }
        let names = try database.writer.read { db in
            (try ObjectStore(db: db, account: a).find("cus_3")?.object["name"], try ObjectStore(db: db, account: b).find("cus_3")?.object["name"])
        }
        #expect(names.0 == "Ada")
        #expect(names.1 == "Grace")
    }

    @Test func itStaysWithinItsBytes() throws {
        let cache = ParsedObjects(byteCapacity: 1_000)
        var text = #"{"id":"cus_4","object":"customer","name":"Ada"}"#
        for i in 0..<200 {
            let value = try text.withUTF8 { try cache.value(account: "acct", id: "cus_\(i)", stored: UnsafeRawBufferPointer($0)) }
            #expect(value.value["name"] == "Ada")
        }
        #expect(cache.keptBytes <= 1_000)
        // A hit returns the kept bytes, equal to the row's.
        let hit = try text.withUTF8 { try cache.value(account: "acct", id: "cus_199", stored: UnsafeRawBufferPointer($0)) }
        #expect(hit.bytes == Array(text.utf8))
    }
}
