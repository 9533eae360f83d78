import GRDB
import Testing
@testable import StripeEngine

/// A transaction registers the account's alias once, and a rolled-back savepoint that registered
/// it must not leave the transaction believing the row is there (hosted pages would not find
/// the account).
@Suite struct AccountAliasTests {
    @Test func registeredOncePerTransactionAndAgainAfterARollback() throws {
        let database = try EmulatorDatabase.inMemory()
        let account = "sk_test_alias"
        let alias = AccountAlias.alias(for: account)
        try database.writer.write { db in
            let ledger = Ledger.automatic(db: db, account: account, settings: EmulatorSettings())
            var inSavepoint: String?
            try db.inSavepoint {
                inSavepoint = try AccountAlias.register(ledger)
                return .rollback
            }
            #expect(inSavepoint == alias)
            #expect(try AccountAlias.account(for: alias, db) == nil)
            // As every site that rolls a savepoint back does.
            ledger.cache.forgetAll()
            #expect(try AccountAlias.register(ledger) == alias)
            #expect(try AccountAlias.account(for: alias, db) == account)
            // Known for the rest of the transaction: no second statement.
            try db.execute(sql: "DELETE FROM account_aliases")
            #expect(try AccountAlias.register(ledger) == alias)
            #expect(try AccountAlias.account(for: alias, db) == nil)
        }
    }
}
