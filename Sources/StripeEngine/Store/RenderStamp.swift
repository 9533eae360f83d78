import GRDB
import Synchronization

/// A random number per account, changed by every transaction that writes one of the account's
/// objects: two reads that see the same stamp saw the same objects.
///
/// Why: an object rendered at an older API version depends on other objects (an invoice's
/// `charge` comes from its payment intent, a line's `plan` from its price), so its rendering can
/// only be reused while none of the account's objects changed. The stamp is read in the reader's
/// own transaction, so it always matches the snapshot the reader renders from (a file database's
/// readers see older snapshots than its writer); it is drawn from the process-wide ``IDSequence`` (a
/// one-to-one mix of one counter) rather than counted per database, so two databases in one
/// process never share one.
package enum RenderStamp {
    /// The account's stamp as this transaction sees it; nil before its first write.
    package static func read(_ db: Database, account: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT stamp FROM render_stamps WHERE account = ?"), arguments: [account])
    }

    /// Gives the account a new stamp (rolled back with the transaction that wrote).
    package static func touch(_ db: Database, account: String) throws {
        // The process's id sequence, not the system generator: a system call per write, and the
        // sequence never repeats a value within the process, which is what a stamp needs.
        let stamp = Int64(bitPattern: IDSequence.next())
        // Before the statement: outside a transaction it commits as it runs.
        CommitHooks.afterCommit(db) { committed.withLock { $0[account] = stamp } }
        // An update in place, and an insert only for the account's first write: `INSERT OR
        // REPLACE` deleted and re-inserted the row every time (5% of `POST /v1/customers`).
        let update = "UPDATE render_stamps SET stamp = ? WHERE account = ?"
        if db.isInsideTransaction {
            try RenderedWrite.execute(db, sql: update, [.int(Int(stamp)), .text(account)])
        } else {
            try db.cachedStatement(sql: update).execute(arguments: [stamp, account])
        }
        if db.changesCount == 0 {
            try db.cachedStatement(sql: "INSERT INTO render_stamps (account, stamp) VALUES (?, ?)").execute(arguments: [account, stamp])
        }
    }

    package static func deleteAccount(_ db: Database, account: String) throws {
        CommitHooks.afterCommit(db) { committed.withLock { $0[account] = nil } }
        try db.cachedStatement(sql: "DELETE FROM render_stamps WHERE account = ?").execute(arguments: [account])
    }

    /// The account's stamp for a reader: the one the process last committed when every read sees
    /// the latest commit (an in-memory database, ``EmulatorDatabase/readsSeeLatestCommit``),
    /// else the one in the reader's own snapshot.
    package static func current(_ db: Database, account: String, latestCommitted: Bool) throws -> Int64? {
        latestCommitted ? Self.latestCommitted(account: account) : try read(db, account: account)
    }

    /// The stamp this process last committed for the account, in any of its databases: what a
    /// reader of an in-memory database (one connection, reads and writes one after another, so
    /// every read sees the latest commit) may use instead of ``read(_:account:)``, one SQL
    /// lookup that was a tenth of a reused answer's time. Shared by every database of the process:
    /// each commit stores a new random number, so a value seen with an account's objects is never
    /// seen again once they change; another database's commit only makes a kept answer miss. Not
    /// for a file: its readers see older snapshots, and other processes write it too.
    package static func latestCommitted(account: String) -> Int64? {
        committed.withLock { $0[account] }
    }

    private static let committed = Mutex<[String: Int64]>([:])
}
