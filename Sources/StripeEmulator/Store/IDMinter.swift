import GRDB

/// How object ids are minted: random like Stripe's, or sequential per prefix and tenant
/// (`cus_000000000001`) in deterministic mode so the same scenario gives the same ids.
public enum IDMode: Sendable, Equatable {
    case random
    case sequential
}

struct IDMinter {
    let mode: IDMode
    let db: Database
    let account: String

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// Stripe's short ids (customers, products) have 14 characters after the prefix, the others 24.
    static func randomLength(for prefix: String) -> Int {
        ["cus", "prod", "clock", "we", "bpc", "bps"].contains(prefix) ? 14 : 24
    }

    func next(_ prefix: String) throws -> String {
        switch mode {
        case .random:
            return prefix + "_" + Self.randomToken(Self.randomLength(for: prefix))
        case .sequential:
            let account = self.account
            let value = try Int.fetchOne(db.cachedStatement(sql: """
                INSERT INTO id_counters (account, prefix, value) VALUES (?, ?, 1)
                ON CONFLICT(account, prefix) DO UPDATE SET value = value + 1
                RETURNING value
                """), arguments: [account, prefix]) ?? 1
            let digits = String(value)
            return prefix + "_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        }
    }

    /// Base-62 characters, ten from each 64-bit draw: the system generator costs a system call per
    /// draw, and ids are minted for every object and event.
    static func randomToken(_ length: Int) -> String {
        var g = SystemRandomNumberGenerator()
        var chars: [Character] = []
        chars.reserveCapacity(length)
        var bits: UInt64 = 0
        var left = 0
        while chars.count < length {
            if left == 0 { bits = g.next(); left = 10 }
            chars.append(alphabet[Int(bits % 62)])
            bits /= 62
            left -= 1
        }
        return String(chars)
    }
}
