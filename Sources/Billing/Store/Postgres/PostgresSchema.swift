#if Postgres
/// Applies ``BillingSchema`` on PostgreSQL, each migration once, under an advisory lock so
/// several app servers can start together.
enum PostgresSchema {
    static func migrate(_ store: PostgresBillingStore) async throws {
        // READ COMMITTED: once the lock is ours, each statement sees what an earlier migrator
        // committed while we waited (a serializable snapshot would predate it).
        try await store.transaction(readOnly: false, isolation: "READ COMMITTED") { sql in
            // One migrator at a time across servers; the lock ends with the transaction.
            try sql.execute("SELECT pg_advisory_xact_lock(4242001)", [])
            try sql.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)", [])
            let done = Set(try sql.all("SELECT name FROM schema_migrations").compactMap { $0.optionalString("name") })
            for migration in BillingSchema.migrations where !done.contains(migration.name) {
                for statement in migration.statements(for: .postgres) { try sql.execute(statement, []) }
                try sql.execute("INSERT INTO schema_migrations (name) VALUES (?)", migration.name)
            }
        }
    }
}
#endif
