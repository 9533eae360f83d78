import Foundation
import GRDB
import Testing
@testable import StripeEngine
import StripeWire

/// Sequential ids (deterministic mode) are counted in the database: a rolled-back savepoint gives
/// its numbers back and two minters of one transaction never hand out the same number, although
/// each minter remembers the last number it stored to mint the next in one statement.
@Suite struct SequentialIDTests {
    @Test func numbersFollowTheDatabaseThroughRollbacksAndOtherMinters() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_seq_\(UUID().uuidString)"
        let minted = try database.writer.write { db -> [String] in
            let ids = IDMinter(mode: .sequential, db: db, account: account)
            var out = [try ids.next("cus"), try ids.next("cus")]
            // A savepoint that mints and rolls back: the numbers it took are minted again.
            try db.inSavepoint {
                out.append(try ids.next("cus"))
                out.append(try ids.next("cus"))
                return .rollback
            }
            out.append(try ids.next("cus"))
            // Another minter in the same transaction moves the count on; the first one sees it.
            let other = IDMinter(mode: .sequential, db: db, account: account)
            out.append(try other.next("cus"))
            out.append(try ids.next("cus"))
            // A prefix's first id in a savepoint that rolls back leaves no counter behind.
            try db.inSavepoint {
                out.append(try ids.next("in"))
                return .rollback
            }
            out.append(try ids.next("in"))
            return out
        }
        #expect(minted == ["cus_000000000001", "cus_000000000002", "cus_000000000003", "cus_000000000004",
                           "cus_000000000003", "cus_000000000004", "cus_000000000005", "in_000000000001", "in_000000000001"])
        // The next transaction goes on from what was committed.
        let next = try database.writer.write { db in try IDMinter(mode: .sequential, db: db, account: account).next("cus") }
        #expect(next == "cus_000000000006")
    }

    @Test func anUpdateThatMovesTheCustomerMovesItsIndexEntry() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_move_\(UUID().uuidString)"
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account, cache: ObjectCache())
            try store.insert(["id": "pm_1", "object": "payment_method", "created": 1, "customer": "cus_1"], type: "payment_method")
            // Same customer (the column is left as it is), then another one, then none.
            try store.update(["id": "pm_1", "object": "payment_method", "created": 1, "customer": "cus_1", "n": 1])
            #expect(try Self.customer(db, account) == "cus_1")
            try store.update(["id": "pm_1", "object": "payment_method", "created": 1, "customer": "cus_2"])
            #expect(try Self.customer(db, account) == "cus_2")
            try store.update(["id": "pm_1", "object": "payment_method", "created": 1, "customer": nil])
            #expect(try Self.customer(db, account) == nil)
            // Without a kept copy to compare with, the column is always written.
            try ObjectStore(db: db, account: account).update(["id": "pm_1", "object": "payment_method", "created": 1, "customer": "cus_3"])
            #expect(try Self.customer(db, account) == "cus_3")
        }
    }

    @Test func hiddenStateReadsBackWhatWasWritten() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_hidden_\(UUID().uuidString)"
        try database.writer.write { db in
            let store = ObjectStore(db: db, account: account, cache: ObjectCache())
            try store.insert(["id": "cus_1", "object": "customer", "created": 1], type: "customer", hidden: ["charge_attempts": 1])
            #expect(try store.hidden("cus_1") == ["charge_attempts": 1])
            try store.setHidden("cus_1", ["charge_attempts": 2])
            #expect(try store.hidden("cus_1") == ["charge_attempts": 2])
            // A fresh transaction view (no kept copy) agrees with the kept one.
            #expect(try ObjectStore(db: db, account: account).hidden("cus_1") == ["charge_attempts": 2])
            // Hidden state of a row that does not exist is not invented.
            try store.setHidden("cus_missing", ["x": 1])
            #expect(try store.hidden("cus_missing") == [:])
        }
    }

    private static func customer(_ db: Database, _ account: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT customer FROM objects INDEXED BY objects_customer WHERE account = ? AND customer IS NOT NULL AND id = 'pm_1'",
                            arguments: [account])
    }
}
