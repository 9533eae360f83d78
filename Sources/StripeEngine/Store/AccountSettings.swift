import GRDB
import StripeWire

/// Per-tenant emulator settings (dunning schedule, webhook chaos), one JSON document per account.
package enum AccountSettings {
    package static func read(_ ledger: Ledger) throws -> JSONValue { try read(db: ledger.db, account: ledger.account) }

    package static func read(db: Database, account: String) throws -> JSONValue {
        // Read in place through the C API: every charge asks for the card declines set here.
        guard let stored = try DirectLookup.row(db, sql: "SELECT data FROM account_settings WHERE account = ?", [.text(account)], {
            $0.isNull(0) ? nil : Array($0.bytes(0))
        }), let stored else { return [:] }
        return try JSONParser.parse(stored)
    }

    package static func write(_ key: String, _ value: JSONValue, _ ledger: Ledger) throws {
        var settings = try read(ledger)
        settings[key] = value
        let account = ledger.account
        let text = JSONWriter.string(settings)
        try ledger.db.cachedStatement(sql: """
            INSERT INTO account_settings (account, data) VALUES (?, ?)
            ON CONFLICT(account) DO UPDATE SET data = excluded.data
            """).execute(arguments: [account, text])
    }
}

extension AccountSettings {
    /// Forgets the account's settings (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM account_settings WHERE account = ?").execute(arguments: [account])
    }
}
