#if Postgres
import Dispatch
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The app's store on PostgreSQL, for several app servers sharing one database.
///
/// The app's transactions are synchronous closures (the same ones SQLite runs inside GRDB), so
/// each runs on a thread of its own outside Swift's cooperative pool and waits there for its
/// queries. Transactions are SERIALIZABLE and retried on serialization failures and deadlocks:
/// that is what keeps concurrent creates at a limit from exceeding it, on one server or many.
///
/// Connections come from postgres-nio's `PostgresClient` (pooling, fair leasing, idle timeout,
/// keep-alive); its `run()` lives in a task of this store's, which ``close(dropSchema:)`` cancels
/// to close every connection.
public final class PostgresBillingStore: BillingStore, Sendable {
    let client: PostgresClient
    /// The schema every connection uses (`search_path`, set when the connection starts).
    let schema: String?
    let logger: Logger
    public let connectionLimit: Int
    private let running: Task<Void, Never>
    /// Where blocked transaction threads wait (never the cooperative pool).
    private let queue = DispatchQueue(label: "effinity.postgres.transactions", attributes: .concurrent)
    static let maxAttempts = 30

    /// Connects, creates `schema` if given (and uses it), and migrates.
    public static func connect(url: String, schema: String? = nil, maxConnections: Int = 10,
                               logger: Logger = Logger(label: "effinity.postgres")) async throws -> PostgresBillingStore {
        var config = try PostgresURL.configuration(url)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 0
        config.options.connectionIdleTimeout = .seconds(60)
        config.options.keepAliveBehavior = .init(frequency: .seconds(30))
        if let schema { config.options.additionalStartupParameters = [("search_path", Self.quoted(schema))] }
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        // Leases wait for `run()`; being told the task has begun (it calls `run()` next, with no
        // suspension between) keeps the first lease from racing ahead of it.
        let (started, begun) = AsyncStream<Void>.makeStream()
        let running = Task {
            begun.finish()
            await client.run()
        }
        for await _ in started {}
        let store = PostgresBillingStore(client: client, schema: schema, logger: logger, running: running, connectionLimit: maxConnections)
        do {
            if let schema {
                try await store.client.withConnection { connection in
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(Self.quoted(schema))"),
                                                   logger: logger)
                }
            }
            try await PostgresSchema.migrate(store)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    init(client: PostgresClient, schema: String?, logger: Logger, running: Task<Void, Never>, connectionLimit: Int) {
        self.client = client
        self.connectionLimit = connectionLimit
        self.schema = schema
        self.logger = logger
        self.running = running
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await transaction(readOnly: false) { try body(SQLBillingTransaction($0)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await transaction(readOnly: true) { try body(SQLBillingTransaction($0)) }
    }

    public func dumpTables() async throws -> [TableDump] {
        try await transaction(readOnly: true) { sql in
            try TableDump.all(sql) { table in
                try sql.one("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                            table) != nil
            }
        }
    }

    /// Closes every connection (and drops the schema when asked, for scenario runs): the client's
    /// `run()` ends when its task is cancelled, once its connections are closed.
    public func close(dropSchema: Bool = false) async {
        if dropSchema, let schema {
            do {
                _ = try await transaction(readOnly: false) { sql in try sql.execute("DROP SCHEMA IF EXISTS \(Self.quoted(schema)) CASCADE", []) }
            } catch {
                logger.warning("could not drop schema \(schema): \(error)")
            }
        }
        running.cancel()
        await running.value
    }

    /// Runs `body` in one transaction on a leased connection, retrying what PostgreSQL asks to.
    func transaction<T: Sendable>(readOnly: Bool, isolation: String = "SERIALIZABLE",
                                  _ body: @escaping @Sendable (PostgresExecutor) throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                // The lease ends with the closure; a connection that broke is not leased again.
                return try await client.withConnection { connection in
                    try await blocking {
                        let sql = PostgresExecutor(connection: connection, logger: self.logger)
                        try sql.execute("BEGIN ISOLATION LEVEL \(isolation)\(readOnly ? " READ ONLY" : "")", [])
                        do {
                            let value = try body(sql)
                            try sql.execute("COMMIT", [])
                            return value
                        } catch {
                            try? sql.execute("ROLLBACK", [])
                            throw error
                        }
                    }
                }
            } catch {
                guard attempt < Self.maxAttempts, Self.isRetryable(error) else { throw error }
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 * min(attempt, 10)))))
            }
        }
    }

    /// 40001 serialization_failure, 40P01 deadlock_detected.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError, let state = e.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Runs the shared queries on one PostgreSQL connection, from a thread that may block: each
/// query is sent asynchronously and waited for. `?` placeholders become `$1`, `$2`, ….
struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        _ = try fetch(sql, arguments)
    }

    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        var binds = PostgresBindings(capacity: arguments.count)
        for a in arguments {
            switch a {
            case .null: binds.appendNull()
            case .int(let i): try binds.append(i)
            case .double(let d): try binds.append(d)
            case .text(let s): try binds.append(s)
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds)
        let connection = self.connection, logger = self.logger
        return try Blocking.wait {
            var rows: [SQLRow] = []
            for try await row in try await connection.query(query, logger: logger) {
                var values: [String: SQLValue] = [:]
                for cell in row { values[cell.columnName] = try Self.value(cell) }
                rows.append(SQLRow(values))
            }
            return rows
        }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .int(try cell.decode(Int.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// `?` → `$n` (the app's SQL has no `?` inside literals).
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        for ch in sql {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }
}

/// Waits on a thread outside the cooperative pool for async work.
enum Blocking {
    final class Box<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}
#endif
