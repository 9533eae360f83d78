import Foundation
import GRDB
import Testing
@testable import StripeEngine

/// `CachedTransaction` must be a transaction like GRDB's: everything or nothing, errors
/// rethrown, observers told of the commit, and a connection usable afterwards; its `BEGIN` and
/// `COMMIT` come from the statement cache.
@Suite struct CachedTransactionTests {
    struct Boom: Error {}

    private func count(_ database: EmulatorDatabase, _ account: String) throws -> Int {
        try database.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM account_clocks WHERE account LIKE ?", arguments: [account + "%"]) ?? -1 }
    }

    @Test func commitsEverythingOrNothing() throws {
        let database = try EmulatorDatabase.inMemory()
        let queue = try #require(database.writer as? DatabaseQueue)
        let account = "sk_test_tx_\(UUID().uuidString)"
        let value = try queue.writeWithoutTransaction { db in
            try CachedTransaction.run(db) { db -> Int in
                try db.execute(sql: "INSERT INTO account_clocks (account, offset) VALUES (?, 1), (?, 2)", arguments: [account + "a", account + "b"])
                try RenderStamp.touch(db, account: account)
                #expect(db.isInsideTransaction)
                return 42
            }
        }
        #expect(value == 42)
        #expect(try count(database, account) == 2)
        // The commit reached GRDB's observers: the stamp was published.
        let stamp = try database.writer.read { try RenderStamp.read($0, account: account) }
        #expect(stamp != nil && RenderStamp.latestCommitted(account: account) == stamp)

        #expect(throws: Boom.self) {
            try queue.writeWithoutTransaction { db in
                try CachedTransaction.run(db) { db in
                    try db.execute(sql: "INSERT INTO account_clocks (account, offset) VALUES (?, 3)", arguments: [account + "c"])
                    try RenderStamp.touch(db, account: account)
                    throw Boom()
                }
            }
        }
        // Nothing of the failed transaction stayed, nor was its stamp published.
        #expect(try count(database, account) == 2)
        #expect(RenderStamp.latestCommitted(account: account) == stamp)
        try queue.writeWithoutTransaction { db in
            #expect(!db.isInsideTransaction)
            #expect(CommitHooks.waiting(db) == 0)
        }
    }

    @Test func aFailingStatementRollsBackAndTheNextTransactionWorks() throws {
        let database = try EmulatorDatabase.inMemory()
        let queue = try #require(database.writer as? DatabaseQueue)
        let account = "sk_test_tx_\(UUID().uuidString)"
        #expect(throws: DatabaseError.self) {
            try queue.writeWithoutTransaction { db in
                try CachedTransaction.run(db) { db in
                    try db.execute(sql: "INSERT INTO account_clocks (account, offset) VALUES (?, 1)", arguments: [account])
                    // The same primary key again: a constraint error.
                    try db.execute(sql: "INSERT INTO account_clocks (account, offset) VALUES (?, 2)", arguments: [account])
                }
            }
        }
        #expect(try count(database, account) == 0)
        let statements = try queue.writeWithoutTransaction { db -> (Statement, Statement) in
            try CachedTransaction.run(db) { db in
                try db.execute(sql: "INSERT INTO account_clocks (account, offset) VALUES (?, 1)", arguments: [account])
            }
            return (try db.cachedStatement(sql: CachedTransaction.begin), try db.cachedStatement(sql: CachedTransaction.commit))
        }
        #expect(try count(database, account) == 1)
        // The next transaction uses the very same prepared statements.
        try queue.writeWithoutTransaction { db in
            try CachedTransaction.run(db) { db in try db.execute(sql: "UPDATE account_clocks SET offset = 5 WHERE account = ?", arguments: [account]) }
            #expect(try db.cachedStatement(sql: CachedTransaction.begin) === statements.0)
            #expect(try db.cachedStatement(sql: CachedTransaction.commit) === statements.1)
        }
    }
}
