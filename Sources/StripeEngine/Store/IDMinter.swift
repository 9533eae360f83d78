import GRDB
import Synchronization

/// How object ids are minted: random like Stripe's, or sequential per prefix and tenant
/// (`cus_000000000001`) in deterministic mode so the same scenario gives the same ids.
public enum IDMode: Sendable, Equatable {
    case random
    case sequential
}

package struct IDMinter {
    package let mode: IDMode
    package let db: Database
    package let account: String

    /// Stripe's short ids (customers, products) have 14 characters after the prefix, the others 24.
    package static func randomLength(for prefix: String) -> Int {
        ["cus", "prod", "clock", "we", "bpc", "bps"].contains(prefix) ? 14 : 24
    }

    package func next(_ prefix: String) throws -> String {
        switch mode {
        case .random:
            return prefix + "_" + Self.randomToken(Self.randomLength(for: prefix))
        case .sequential:
            let digits = String(try nextSequential(prefix))
            return prefix + "_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        }
    }

    /// The prefix's next number for the account, counted in the database so that a rolled-back
    /// transaction or savepoint gives its numbers back (the same scenario mints the same ids).
    ///
    /// Usually one statement: the minter remembers the last number it saw stored and moves it on
    /// only if the row still holds it (`… WHERE value = last`), so a number that a rolled-back
    /// savepoint gave back, or that another minter took, is never trusted; then it reads the row.
    /// Not `INSERT … ON CONFLICT … RETURNING`: SQLite runs `RETURNING` through a temporary table
    /// it creates and frees each time, and with an id minted for every object and event that was
    /// a sixth of a year-long clock advance (`effinity bench clock`).
    private func nextSequential(_ prefix: String) throws -> Int {
        let account = self.account
        if let last = seen.numbers[prefix] {
            try RenderedWrite.execute(db, sql: "UPDATE id_counters SET value = ? WHERE account = ? AND prefix = ? AND value = ?",
                                      [.int(last + 1), .text(account), .text(prefix), .int(last)])
            if db.changesCount == 1 {
                seen.numbers[prefix] = last + 1
                return last + 1
            }
        }
        try db.cachedStatement(sql: "UPDATE id_counters SET value = value + 1 WHERE account = ? AND prefix = ?")
            .execute(arguments: [account, prefix])
        let value: Int
        if db.changesCount == 0 {
            try db.cachedStatement(sql: "INSERT INTO id_counters (account, prefix, value) VALUES (?, ?, 1)").execute(arguments: [account, prefix])
            value = 1
        } else {
            value = try Int.fetchOne(db.cachedStatement(sql: "SELECT value FROM id_counters WHERE account = ? AND prefix = ?"),
                                     arguments: [account, prefix]) ?? 1
        }
        seen.numbers[prefix] = value
        return value
    }

    /// The last number this minter stored for each prefix (a hint, checked by every use).
    private final class SeenNumbers {
        var numbers: [String: Int] = [:]
    }

    /// Shared by the copies of one minter, which live in one transaction on one thread.
    private let seen = SeenNumbers()

    /// Base-62 characters for an object or request id, ten from each 64-bit draw of a
    /// process-wide SplitMix64 sequence seeded from the system: ids are minted for every object
    /// and event, and the system generator cost a system call per draw. SplitMix64 maps its
    /// counter one-to-one, so two ids of a process never share their first ten characters.
    package static func randomToken(_ length: Int) -> String {
        token(length) { IDSequence.next() }
    }

    /// Base-62 characters from the system generator, for secrets (client secrets, webhook
    /// signing secrets), which must not be guessable from the ids around them.
    package static func secretToken(_ length: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return token(length) { g.next() }
    }

    private static func token(_ length: Int, _ draw: () -> UInt64) -> String {
        String(unsafeUninitializedCapacity: length) { buffer in
            var bits: UInt64 = 0
            var left = 0
            for i in 0..<length {
                if left == 0 { bits = draw(); left = 10 }
                buffer[i] = alphabet[Int(bits % 62)]
                bits /= 62
                left -= 1
            }
            return length
        }
    }

    package static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    package init(mode: IDMode, db: Database, account: String) {
        self.mode = mode
        self.db = db
        self.account = account
    }
}

/// The process's id sequence (see ``IDMinter/randomToken(_:)``).
package enum IDSequence {
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    package static func next() -> UInt64 {
        var z = counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension IDMinter {
    /// Forgets the account's sequential id counters (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM id_counters WHERE account = ?").execute(arguments: [account])
    }
}
