import GRDB
import StripeWire
import Synchronization

/// Stripe's idempotency keys: the first request with a key runs; a retry with the same
/// parameters gets the stored status and body (same ids); different parameters get a 400
/// `idempotency_error`; a retry while the first is still running gets a 409.
///
/// The stored response is written in the same transaction as the request's changes, so a
/// replay never describes work that was rolled back. Keys expire after 24 hours of the
/// tenant's clock.
final class IdempotencyGate: Sendable {
    static let ttl = 24 * 3600

    private let inFlight = Mutex<Set<String>>([])

    struct Stored {
        let fingerprint: String
        let status: Int
        let body: [UInt8]
    }

    /// Claims a key for the duration of a request; false when another request holds it.
    func claim(account: String, key: String) -> Bool {
        inFlight.withLock { $0.insert(account + "\u{0}" + key).inserted }
    }

    func release(account: String, key: String) {
        _ = inFlight.withLock { $0.remove(account + "\u{0}" + key) }
    }

    static func lookup(db: Database, account: String, key: String, now: Int) throws -> Stored? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT fingerprint, status, body, created FROM idempotency_keys WHERE account = ? AND key = ?"),
            arguments: [account, key]) else { return nil }
        let created: Int = row["created"]
        if now - created >= ttl { return nil }
        return Stored(fingerprint: row["fingerprint"], status: row["status"], body: [UInt8](row["body"] as Data))
    }

    static func store(db: Database, account: String, key: String, fingerprint: String, status: Int, body: [UInt8], now: Int) throws {
        let data = Data(body)
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO idempotency_keys (account, key, fingerprint, status, body, created)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, key, fingerprint, status, data, now])
    }

    static func mismatch(_ key: String) -> StripeError {
        StripeError(status: 400, type: .idempotencyError,
                    message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.")
    }

    static func conflict() -> StripeError {
        StripeError(status: 409, type: .invalidRequestError, code: "idempotency_key_in_use",
                    message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): please try again later.")
    }
}

import Foundation
