import Foundation

/// Opens the app's store from a database URL: a SQLite path (or `sqlite://PATH`, or `:memory:`)
/// by default, `postgres://…` when the binary was built with the `Postgres` trait.
public enum BillingStores {
    /// True when this binary can open PostgreSQL URLs.
    public static var hasPostgres: Bool {
        #if Postgres
        true
        #else
        false
        #endif
    }

    public static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// - Parameter schema: for PostgreSQL, a schema of its own (created if missing), so several
    ///   scenario runs share one database without seeing each other.
    public static func open(_ url: String, schema: String? = nil) async throws -> any BillingStore {
        if isPostgres(url) {
            #if Postgres
            return try await PostgresBillingStore.connect(url: url, schema: schema)
            #else
            throw SQLStoreError.unavailable("this effinity was built without PostgreSQL: build it with `swift build --traits Postgres`")
            #endif
        }
        if url == ":memory:" { return try SQLiteBillingStore.inMemory() }
        return try SQLiteBillingStore.file(url.hasPrefix("sqlite://") ? String(url.dropFirst("sqlite://".count)) : url)
    }

    /// Closes what needs closing (PostgreSQL connections; the scenario schema when asked).
    public static func close(_ store: any BillingStore, dropSchema: Bool = false) async {
        #if Postgres
        if let pg = store as? PostgresBillingStore { await pg.close(dropSchema: dropSchema) }
        #endif
    }
}
