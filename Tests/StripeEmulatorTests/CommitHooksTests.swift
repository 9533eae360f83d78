import Foundation
import GRDB
import Testing
@testable import StripeEngine

/// `CommitHooks` publishes a transaction's results once it commits, and, unlike GRDB's
/// `afterNextTransaction`, leaves the connection's cached statements alone.
@Suite struct CommitHooksTests {
    static let deleteSQL = "DELETE FROM due_work WHERE account = ? AND target = ? AND kind = ?"

    @Test func aStampIsPublishedAtCommitAndNotOnRollback() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_hooks_\(UUID().uuidString)"
        let stamp: Int64? = try database.writer.write { db in
            try RenderStamp.touch(db, account: account)
            // Inside the transaction nothing is published yet.
            #expect(RenderStamp.latestCommitted(account: account) == nil)
            #expect(CommitHooks.waiting(db) == 1)
            return try RenderStamp.read(db, account: account)
        }
        #expect(stamp != nil)
        #expect(RenderStamp.latestCommitted(account: account) == stamp)

        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.writer.write { db in
                try RenderStamp.touch(db, account: account)
                throw Abort()
            }
        }
        // The rolled-back stamp is neither published nor left waiting for a later commit.
        #expect(RenderStamp.latestCommitted(account: account) == stamp)
        try database.writer.write { db in
            #expect(CommitHooks.waiting(db) == 0)
            let read = try RenderStamp.read(db, account: account)
            #expect(read == stamp)
        }
    }

    @Test func aWriteKeepsTheCachedDeleteStatements() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_hooks_\(UUID().uuidString)"
        let before = try database.writer.write { db in try db.cachedStatement(sql: Self.deleteSQL) }
        // A write that touches the stamp, as every API write does: with GRDB's
        // `afterNextTransaction` the DELETE statement above was dropped from the cache and
        // prepared again by the next request.
        try database.writer.write { db in try RenderStamp.touch(db, account: account) }
        let after = try database.writer.write { db in try db.cachedStatement(sql: Self.deleteSQL) }
        #expect(before === after)
        #expect(RenderStamp.latestCommitted(account: account) != nil)
    }
}
