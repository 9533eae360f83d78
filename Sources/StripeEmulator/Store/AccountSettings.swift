import GRDB
import StripeWire

/// Per-tenant emulator settings (dunning schedule, webhook chaos), one JSON document per account.
enum AccountSettings {
    static func read(_ ledger: Ledger) throws -> JSONValue {
        let account = ledger.account
        guard let text = try String.fetchOne(ledger.db.cachedStatement(sql: "SELECT data FROM account_settings WHERE account = ?"),
                                             arguments: [account]) else { return [:] }
        return try JSONParser.parse(text)
    }

    static func write(_ key: String, _ value: JSONValue, _ ledger: Ledger) throws {
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
