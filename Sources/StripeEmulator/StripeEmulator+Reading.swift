import StripeEngine

extension StripeEmulator {
    /// Runs `body` with a ledger on the account in a read transaction: for pages and files that
    /// render objects without changing them (the hosted invoice page, PDFs, the console).
    func reading<T: Sendable>(account: String, _ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        let settings = self.settings
        return try await database.writer.read { db in
            try body(Ledger(db: db, account: account, ids: IDMinter(mode: settings.idMode, db: db, account: account),
                            settings: settings, request: .automatic))
        }
    }
}
