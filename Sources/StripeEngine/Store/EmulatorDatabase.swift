import CSQLitePageCache
import GRDB
import Synchronization

/// Where the fake Stripe keeps its state: one SQLite database holding every tenant.
///
/// A file (WAL mode, so reads never wait for the writer) for a fake that survives restarts, or a
/// private in-memory database for a test or a scenario. Every API write runs in one transaction
/// together with its idempotency record, so a request is either entirely applied or not at all.
public struct EmulatorDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// API writes in flight (see ``writeRequest(_:)``).
    private let requestWrites = WriteCount()
    /// Concurrent API writes, committed together.
    private let batches: GroupCommit

    /// A private in-memory database.
    public static func inMemory() throws -> EmulatorDatabase {
        try EmulatorDatabase(writer: DatabaseQueue(configuration: configuration()))
    }

    /// A database file, created when missing.
    public static func file(_ path: String) throws -> EmulatorDatabase {
        try EmulatorDatabase(writer: DatabasePool(path: path, configuration: configuration()))
    }

    /// Runs a read-only API request synchronously, on the caller's thread.
    ///
    /// In memory, the database is a serial queue: nothing can write while the block runs, so the
    /// block reads without GRDB's read-only transaction (four statements per read, which cost
    /// more than the lookup itself). A file is a pool whose readers need the transaction for a
    /// consistent snapshot while a writer commits.
    package func readRequest<T>(_ block: (Database) throws -> T) throws -> T {
        if let queue = writer as? DatabaseQueue { return try queue.unsafeRead(block) }
        return try writer.read(block)
    }

    /// Runs a writing API request in one transaction, or in a savepoint of a batch.
    ///
    /// In memory, when no other request is writing, on the caller's thread: a lone client (a
    /// test suite, a billing flow) then pays no hand-off to GRDB's queue and back, about a tenth
    /// of a small write (and its `BEGIN` and `COMMIT` are cached, ``CachedTransaction``).
    /// Otherwise the request joins the next batch of ``GroupCommit`` on the writer's queue, which
    /// lets the event loops go on parsing meanwhile (blocking them there halved throughput at 8
    /// clients) and commits concurrent writes together. A file database
    /// always batches: its readers must not wait behind a writer that holds an event loop.
    package func writeRequest<T: Sendable>(_ block: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let alone = requestWrites.enter() == 1
        defer { requestWrites.leave() }
        if alone, let queue = writer as? DatabaseQueue { return try Self.writeNow(queue, block) }
        return try await batches.write(block)
    }

    /// Not async on purpose: from an async function the compiler picks GRDB's async `write`,
    /// which hops to the writer's queue; here the synchronous one runs on the caller's thread.
    private static func writeNow<T>(_ queue: DatabaseQueue, _ block: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in try CachedTransaction.run(db, block) }
    }

    /// Whether SQLite runs with the project's page cache (`CSQLitePageCache`): installed when
    /// the program loads, so false only when something configured SQLite before it. Without it
    /// an in-memory database's commits slow down as it grows (up to 1 GiB).
    package static var pageCacheInstalled: Bool { effinity_page_cache_installed() != 0 }

    /// Whether SQLite's memory statistics are off (`CSQLitePageCache/SQLiteMemoryStatus.c`):
    /// with them on, every SQLite allocation takes a process-wide mutex to count its bytes.
    package static var memoryStatisticsOff: Bool { effinity_sqlite_memory_status_off() != 0 }

    /// The bytes SQLite counts as allocated by this process: 0 while its statistics are off.
    package static var sqliteMemoryCounted: Int64 { Int64(effinity_sqlite_memory_used()) }

    /// How many B-tree page swaps of in-memory databases with pages of `pageSize` bytes used a
    /// scratch page number next to the database's end instead of SQLite's one past 1 GiB (in this
    /// process; by page size, so a test with a page size of its own counts only its database).
    package static func pageCacheScratchMoves(pageSize: Int) -> UInt64 {
        UInt64(effinity_page_cache_scratch_moves(Int32(pageSize)))
    }

    /// Whether every read sees the latest commit: an in-memory database, one connection that
    /// runs reads and writes one after another (a file's pool readers see older snapshots).
    package var readsSeeLatestCommit: Bool { writer is DatabaseQueue }

    package init(writer: any DatabaseWriter) throws {
        self.writer = writer
        self.batches = GroupCommit(writer: writer)
        try Self.migrator.migrate(writer)
        CommitHooks.install(on: writer)
    }

    package static func configuration() -> Configuration {
        var c = Configuration()
        c.prepareDatabase { db in
            // SQLite's default size, chosen again after measuring: every page a transaction
            // touches is copied whole, into the rollback journal in memory and into the WAL on a
            // file, and a write touches about ten (the objects table, its indexes, the id
            // counters). With 16 KiB pages (tried so that events of a few KB would not need
            // overflow pages) `POST /v1/customers` on a file was 30% slower and
            // `POST /v1/subscriptions` 10-15% slower in memory; the year of `bench clock` was 3%
            // faster in memory with them (BENCHMARKS.md). Set before the first table exists, so
            // only new databases take it; an older file keeps the size it was made with.
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Statement journals (and any other temporary data) stay in memory: past 64 KiB
            // SQLite spills them to a file in /var/tmp, which a long clock advance (one
            // transaction) did thousands of times, each a pwrite.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // Debian's SQLite is built with SECURE_DELETE on: every deleted or rewritten row's old
            // bytes were overwritten with zeros (and on a file, written back). A fake's test data
            // has nothing to hide, and an object is rewritten several times per renewal and every
            // event deleted a month after it was stored.
            try db.execute(sql: "PRAGMA secure_delete = OFF")
        }
        return c
    }

    package static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE objects (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    customer TEXT,
                    deleted INTEGER NOT NULL DEFAULT 0,
                    data TEXT NOT NULL,
                    private TEXT
                );
                CREATE UNIQUE INDEX objects_id ON objects(account, id);
                CREATE INDEX objects_list ON objects(account, type, deleted, created, seq);
                CREATE INDEX objects_customer ON objects(account, customer, type, created, seq);
                CREATE TABLE id_counters (
                    account TEXT NOT NULL,
                    prefix TEXT NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (account, prefix)
                ) WITHOUT ROWID;
                CREATE TABLE idempotency_keys (
                    account TEXT NOT NULL,
                    key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    created INTEGER NOT NULL,
                    PRIMARY KEY (account, key)
                ) WITHOUT ROWID;
                CREATE TABLE account_clocks (
                    account TEXT PRIMARY KEY,
                    frozen_time INTEGER,
                    offset INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2-billing") { db in
            try db.execute(sql: """
                CREATE TABLE due_work (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    clock TEXT NOT NULL,
                    due INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    payload TEXT
                );
                CREATE INDEX due_work_next ON due_work(account, clock, due, seq);
                CREATE INDEX due_work_target ON due_work(account, target, kind);
                CREATE INDEX objects_event_type ON objects(account, type, json_extract(data, '$.type'))
                    WHERE type = 'event';
                CREATE TABLE account_settings (
                    account TEXT PRIMARY KEY,
                    data TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v3-webhooks") { db in
            try db.execute(sql: """
                CREATE TABLE webhook_deliveries (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    endpoint_id TEXT NOT NULL,
                    due INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL DEFAULT 'pending',
                    created INTEGER NOT NULL
                );
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, account, due, seq);
                CREATE TABLE webhook_attempts (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    delivery INTEGER NOT NULL,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    endpoint_id TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    status_code INTEGER,
                    error TEXT,
                    outcome TEXT NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    signature_timestamp INTEGER NOT NULL,
                    duplicate INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX webhook_attempts_account ON webhook_attempts(account, seq);
                """)
        }
        m.registerMigration("v4-event-type-column") { db in
            try db.execute(sql: """
                DROP INDEX objects_event_type;
                ALTER TABLE objects ADD COLUMN tag TEXT;
                UPDATE objects SET tag = json_extract(data, '$.type') WHERE type = 'event';
                CREATE INDEX objects_tag ON objects(account, type, tag, created, seq) WHERE tag IS NOT NULL;
                """)
        }
        m.registerMigration("v5-hosted-pages") { db in
            // Hosted pages are opened without an API key: their URLs carry this alias of the account.
            try db.execute(sql: "CREATE TABLE account_aliases (alias TEXT PRIMARY KEY, account TEXT NOT NULL) WITHOUT ROWID")
        }
        m.registerMigration("v6-deliveries-by-event") { db in
            // An event's `pending_webhooks` is counted from its deliveries after each success or resend.
            try db.execute(sql: "CREATE INDEX webhook_deliveries_event ON webhook_deliveries(account, event_id)")
        }
        m.registerMigration("v7-meter-events") { db in
            // Billing meter events and legacy usage records: many small rows, aggregated by range
            // (see ``MeterEvents``), so not one JSON object each.
            try db.execute(sql: """
                CREATE TABLE meter_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL,
                    event_name TEXT NOT NULL,
                    customer TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    value INTEGER NOT NULL,
                    identifier TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    canceled INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX meter_events_usage ON meter_events(account, event_name, customer, ts);
                CREATE INDEX meter_events_identifier ON meter_events(account, identifier, created);
                """)
        }
        m.registerMigration("v8-attempt-response-body") { db in
            // The start of each receiver's answer, shown by the console's delivery log.
            try db.execute(sql: "ALTER TABLE webhook_attempts ADD COLUMN response_body TEXT")
        }
        m.registerMigration("v9-render-stamps") { db in
            // See `RenderStamp`: which renderings of an account's objects are still current.
            try db.execute(sql: "CREATE TABLE render_stamps (account TEXT PRIMARY KEY, stamp INTEGER NOT NULL) WITHOUT ROWID")
        }
        m.registerMigration("v10-customer-index-without-events") { db in
            // Events, prices and products have no customer column: they were a third of every
            // insert's index writes into an index only `customer = ?` lookups use (an equality
            // implies NOT NULL, so SQLite still picks the partial index for them).
            try db.execute(sql: """
                DROP INDEX objects_customer;
                CREATE INDEX objects_customer ON objects(account, customer, type, created, seq) WHERE customer IS NOT NULL;
                """)
        }
        m.registerMigration("v11-event-logged-time") { db in
            // See `EventRetention`: the account clock's time when an event was logged (its
            // `created` is its test clock's time when its object follows one). Events logged
            // before this migration are taken as logged when created.
            try db.execute(sql: """
                ALTER TABLE objects ADD COLUMN logged INTEGER;
                UPDATE objects SET logged = created WHERE type = 'event';
                CREATE INDEX objects_logged ON objects(account, logged) WHERE logged IS NOT NULL;
                """)
        }
        m.registerMigration("v12-events-table-and-no-autoincrement") { db in
            // `AUTOINCREMENT` made every insert read and rewrite the table's row in
            // `sqlite_sequence`: about a tenth of storing an event, and a clock advance stores
            // ten events and four objects per renewal. Without it a new row's `seq` is one more
            // than the largest left, which is all that listing (`created, seq`) and due work
            // (`due, seq`) order by; nothing keeps a deleted row's `seq`.
            //
            // Events move to a table of their own (see `ObjectStore`): four index entries each
            // (id, list order, type, retention time) with shorter keys, instead of five in the
            // objects' indexes, which no longer hold them; `objects` loses the two columns only
            // events used (`tag`, `logged`).
            try db.execute(sql: """
                CREATE TABLE objects_v12 (
                    seq INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    customer TEXT,
                    deleted INTEGER NOT NULL DEFAULT 0,
                    data TEXT NOT NULL,
                    private TEXT
                );
                INSERT INTO objects_v12 (seq, account, id, type, created, customer, deleted, data, private)
                    SELECT seq, account, id, type, created, customer, deleted, data, private FROM objects
                    WHERE type != 'event';
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    id TEXT NOT NULL,
                    created INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    logged INTEGER NOT NULL,
                    data TEXT NOT NULL
                );
                INSERT INTO events (seq, account, id, created, tag, logged, data)
                    SELECT seq, account, id, created, COALESCE(tag, json_extract(data, '$.type'), ''), COALESCE(logged, created), data
                    FROM objects WHERE type = 'event' AND deleted = 0;
                DROP TABLE objects;
                ALTER TABLE objects_v12 RENAME TO objects;
                CREATE UNIQUE INDEX objects_id ON objects(account, id);
                CREATE INDEX objects_list ON objects(account, type, deleted, created, seq);
                CREATE INDEX objects_customer ON objects(account, customer, type, created, seq) WHERE customer IS NOT NULL;
                CREATE UNIQUE INDEX events_id ON events(account, id);
                CREATE INDEX events_list ON events(account, created, seq);
                CREATE INDEX events_tag ON events(account, tag, created, seq);
                CREATE INDEX events_logged ON events(account, logged);
                CREATE TABLE due_work_v12 (
                    seq INTEGER PRIMARY KEY,
                    account TEXT NOT NULL,
                    clock TEXT NOT NULL,
                    due INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    payload TEXT
                );
                INSERT INTO due_work_v12 (seq, account, clock, due, kind, target, payload)
                    SELECT seq, account, clock, due, kind, target, payload FROM due_work;
                DROP TABLE due_work;
                ALTER TABLE due_work_v12 RENAME TO due_work;
                CREATE INDEX due_work_next ON due_work(account, clock, due, seq);
                CREATE INDEX due_work_target ON due_work(account, target, kind);
                """)
        }
        return m
    }
}

/// How many API writes are in flight.
package final class WriteCount: Sendable {
    private let count = Atomic<Int>(0)
    /// The count including this write.
    package func enter() -> Int { count.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue }
    package func leave() { count.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
}
