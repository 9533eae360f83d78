import Foundation
import GRDB

/// The owner of the `idempotency_keys` table: the response a request with an `Idempotency-Key`
/// gave, stored in the same transaction as its changes, so a replay never describes work that
/// was rolled back. Keys expire after 24 hours of the tenant's clock, as on Stripe.
package enum IdempotencyKeys {
    package static let ttl = 24 * 3600

    package struct Stored {
        package let fingerprint: String
        package let status: Int
        package let body: [UInt8]
    }

    package static func lookup(db: Database, account: String, key: String, now: Int) throws -> Stored? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT fingerprint, status, body, created FROM idempotency_keys WHERE account = ? AND key = ?"),
            arguments: [account, key]) else { return nil }
        let created: Int = row["created"]
        if now - created >= ttl { return nil }
        return Stored(fingerprint: row["fingerprint"], status: row["status"], body: [UInt8](row["body"] as Data))
    }

    package static func store(db: Database, account: String, key: String, fingerprint: String, status: Int, body: [UInt8], now: Int) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO idempotency_keys (account, key, fingerprint, status, body, created)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, key, fingerprint, status, Data(body), now])
    }

    /// Forgets the account's idempotency keys (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM idempotency_keys WHERE account = ?").execute(arguments: [account])
    }
}
