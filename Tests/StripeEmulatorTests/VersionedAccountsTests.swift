import GRDB
import Testing
@testable import StripeEngine

/// Which accounts are known to have no default API version (``VersionedAccounts``): a stale
/// reader must never leave an account that has set one rendered at the server's default.
@Suite struct VersionedAccountsTests {
    @Test func aMarkFromAnOlderGenerationIsRefused() {
        let accounts = VersionedAccounts()
        let seen = accounts.generation("a")
        accounts.markVersioned("a")
        accounts.markUnversioned("a", seenGeneration: seen)
        #expect(!accounts.isKnownUnversioned("a"))
        accounts.markUnversioned("a", seenGeneration: accounts.generation("a"))
        #expect(accounts.isKnownUnversioned("a"))
    }

    /// A reader of a file database can take the writer's mark and still read the settings from a
    /// snapshot older than the write; once the write commits, the account is marked again.
    @Test func aReaderOfAnOlderSnapshotCannotLeaveTheAccountUnversioned() throws {
        let database = try EmulatorDatabase.inMemory()
        let settings = EmulatorSettings(wallClock: FixedWallClock(1_800_000_000))
        let accounts = settings.versionedAccounts
        let account = "sk_test_versioned"
        try database.writer.write { db in
            let ledger = Ledger.automatic(db: db, account: account, settings: settings)
            try APIVersion.setAccountDefault(APIVersion("2024-06-20")!, ledger)
            // The stale reader: it saw the generation after the mark, and no version stored.
            accounts.markUnversioned(account, seenGeneration: accounts.generation(account))
            #expect(accounts.isKnownUnversioned(account))
        }
        #expect(!accounts.isKnownUnversioned(account))
        let stored = try database.writer.read { db in
            try APIVersion.accountDefault(Ledger.automatic(db: db, account: account, settings: settings))
        }
        #expect(stored == "2024-06-20")
    }
}
