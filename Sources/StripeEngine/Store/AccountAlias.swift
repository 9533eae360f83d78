import GRDB
import StripeWire

/// Hosted pages are opened in a browser, without an API key, so their URLs name the account by
/// an alias (a hash of the key: the key itself never appears in a URL).
package enum AccountAlias {
    package static func alias(for account: String) -> String {
        String(Digest.hex(Digest.sha256(Array("effinity-account:\(account)".utf8))).prefix(20))
    }

    /// The alias of the ledger's account, recorded so a page request can find the account again.
    package static func register(_ ledger: Ledger) throws -> String {
        if let known = ledger.cache.registeredAlias { return known }
        let alias = alias(for: ledger.account)
        let account = ledger.account
        try ledger.db.cachedStatement(sql: "INSERT OR IGNORE INTO account_aliases (alias, account) VALUES (?, ?)")
            .execute(arguments: [alias, account])
        ledger.cache.registeredAlias = alias
        return alias
    }

    package static func account(for alias: String, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT account FROM account_aliases WHERE alias = ?"), arguments: [alias])
    }
}
