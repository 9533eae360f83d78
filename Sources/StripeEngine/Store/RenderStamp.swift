import GRDB

/// A random number per account, changed by every transaction that writes one of the account's
/// objects: two reads that see the same stamp saw the same objects.
///
/// Why: an object rendered at an older API version depends on other objects (an invoice's
/// `charge` comes from its payment intent, a line's `plan` from its price), so its rendering can
/// only be reused while none of the account's objects changed. The stamp is read in the reader's
/// own transaction, so it always matches the snapshot the reader renders from (a file database's
/// readers see older snapshots than its writer); it is random rather than a counter, so two
/// databases in one process never share one.
package enum RenderStamp {
    /// The account's stamp as this transaction sees it; nil before its first write.
    package static func read(_ db: Database, account: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT stamp FROM render_stamps WHERE account = ?"), arguments: [account])
    }

    /// Gives the account a new stamp (rolled back with the transaction that wrote).
    package static func touch(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO render_stamps (account, stamp) VALUES (?, ?)")
            .execute(arguments: [account, Int64.random(in: .min ... .max)])
    }

    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM render_stamps WHERE account = ?").execute(arguments: [account])
    }
}
