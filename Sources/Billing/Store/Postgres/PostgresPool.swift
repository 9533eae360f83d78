#if Postgres
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A small pool of PostgreSQL connections: up to `max` open at once, idle ones reused, callers
/// beyond that wait in line. Each new connection is pointed at the store's schema.
final class PostgresPool: Sendable {
    let configuration: PostgresConnection.Configuration
    let schema: String?
    let max: Int
    let logger: Logger

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var nextID = 0
    }
    private let state = Mutex(State())

    init(configuration: PostgresConnection.Configuration, schema: String?, max: Int, logger: Logger) {
        self.configuration = configuration
        self.schema = schema
        self.max = max
        self.logger = logger
    }

    func lease() async throws -> PostgresConnection {
        while true {
            enum Next { case reuse(PostgresConnection), open(Int), wait }
            let next: Next = state.withLock { s in
                if let c = s.idle.popLast() { return .reuse(c) }
                if s.open < max { s.open += 1; s.nextID += 1; return .open(s.nextID) }
                return .wait
            }
            switch next {
            case .reuse(let c):
                if !c.isClosed { return c }
                state.withLock { $0.open -= 1 }
            case .open(let id):
                do {
                    let c = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
                    if let schema {
                        _ = try await c.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
                        _ = try await c.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(schema)\""), logger: logger)
                    }
                    return c
                } catch {
                    release(nil)
                    throw error
                }
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.idle.isEmpty || s.open < max { return true }
                        s.waiting.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Returns a connection (nil: one that failed to open); a broken one is closed, not reused.
    func release(_ connection: PostgresConnection?, broken: Bool = false) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let connection, !broken { s.idle.append(connection) } else { s.open -= 1 }
            return s.waiting.isEmpty ? nil : s.waiting.removeFirst()
        }
        if broken, let connection { Task { try? await connection.close() } }
        waiter?.resume()
    }

    func closeAll() async {
        let all = state.withLock { s -> [PostgresConnection] in
            let c = s.idle
            s.idle = []
            s.open -= c.count
            return c
        }
        for c in all { try? await c.close() }
    }
}

/// `postgres://user:password@host:port/database` (also `postgresql://`); TLS is not used, since
/// the app reaches its database over a private network or loopback.
enum PostgresURL {
    static func configuration(_ url: String) throws -> PostgresConnection.Configuration {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme) else {
            throw SQLStoreError.unsupportedURL(url)
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        return PostgresConnection.Configuration(host: c.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: c.port ?? 5432,
                                                username: c.user ?? "postgres", password: c.password,
                                                database: database.isEmpty ? nil : database, tls: .disable)
    }
}
#endif
