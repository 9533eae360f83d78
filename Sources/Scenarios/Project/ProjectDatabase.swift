import Billing
import Foundation
import GRDB
import StripeWire

/// The database of one project world: a SQLite file in the world's folder or a PostgreSQL
/// database made for it, and its tables dumped for snapshots in a stable row order.
struct ProjectDatabase: Sendable {
    let spec: Project.DatabaseSpec
    /// `${database.url}` and, for SQLite, `${database.path}`.
    let url: String
    let path: String?

    /// Makes the world's database (a PostgreSQL one is recorded with the janitor first, so it is
    /// dropped even if the runner dies right after).
    static func create(_ spec: Project.DatabaseSpec, folder: String, janitor: WorldJanitor) async throws -> ProjectDatabase {
        if spec.kind == "sqlite" {
            let path = (folder as NSString).appendingPathComponent("app.db")
            return ProjectDatabase(spec: spec, url: "sqlite:///" + path, path: path)
        }
        guard let server = spec.server ?? ProcessInfo.processInfo.environment["EFFINITY_POSTGRES_URL"] else {
            throw ScenarioFailure("database.kind postgres needs database.server or EFFINITY_POSTGRES_URL (a server where the runner may CREATE DATABASE)")
        }
        let name = janitor.databaseName(for: folder)
        janitor.set(folder, database: (server, name))
        try await PostgresAdmin.sql(server, "CREATE DATABASE \(name)")
        return ProjectDatabase(spec: spec, url: PostgresAdmin.url(server, database: name), path: nil)
    }

    /// The snapshot's tables: all but the excluded (or the listed ones), each in a stable order.
    func tables() async throws -> [TableDump] {
        let all = try await (path != nil ? sqliteTables() : postgresTables())
        return all.filter { dump in
            (spec.tables.map { $0.contains(dump.table) } ?? true) && !spec.excludeTables.contains(dump.table)
        }.sorted { $0.table < $1.table }
    }

    private func sqliteTables() throws -> [TableDump] {
        guard let path, FileManager.default.fileExists(atPath: path) else { return [] }
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: path, configuration: config).read { db in
            let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            return try names.map { table in
                let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let order: String
                if let cols = spec.orderBy[table] {
                    order = cols.map { "\"\($0)\"" }.joined(separator: ", ")
                } else if (try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]) ?? "")
                            .uppercased().contains("WITHOUT ROWID") {
                    order = try db.primaryKey(table).columns.map { "\"\($0)\"" }.joined(separator: ", ")
                } else {
                    order = "rowid"
                }
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(quoted) ORDER BY \(order)")
                return TableDump(table: table, rows: rows.map { row in
                    var o: [String: JSONValue] = [:]
                    for (column, value) in row {
                        switch value.storage {
                        case .null: o[column] = .null
                        case .int64(let i): o[column] = .int(Int(i))
                        case .double(let d): o[column] = .double(d)
                        case .string(let s): o[column] = .string(s)
                        case .blob(let b): o[column] = .string("base64:" + b.base64EncodedString())
                        }
                    }
                    return .object(o)
                })
            }
        }
    }

    /// Each table as JSON from `psql`: rows by the configured columns, else the primary key, else
    /// every column.
    private func postgresTables() async throws -> [TableDump] {
        let names = try await PostgresAdmin.sql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var out: [TableDump] = []
        for table in names {
            let order: String
            if let cols = spec.orderBy[table] {
                order = cols.map { "\"\($0)\"" }.joined(separator: ", ")
            } else {
                let pk = try await PostgresAdmin.sql(url, """
                    SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                    WHERE i.indrelid = '"\(table)"'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
                    """).split(separator: "\n").map { "\"\($0)\"" }
                order = pk.isEmpty ? "t::text" : pk.map { "t.\($0)" }.joined(separator: ", ")
            }
            let json = try await PostgresAdmin.sql(url, "SELECT coalesce(json_agg(t ORDER BY \(order)), '[]') FROM \"\(table)\" t")
            let rows = try JSONParser.parse(Array(json.utf8)).arrayValue ?? []
            out.append(TableDump(table: table, rows: rows))
        }
        return out
    }
}

/// PostgreSQL through `psql` (the client every PostgreSQL install has), so a project database
/// needs no PostgreSQL support compiled into the runner.
enum PostgresAdmin {
    /// Runs one statement; its unaligned, tuples-only output.
    @discardableResult
    static func sql(_ url: String, _ statement: String) async throws -> String {
        try await ProjectCommand.run(["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement], cwd: "/",
                                     env: [:], timeout: .seconds(60), what: "PostgreSQL")
    }

    /// `server` with its database replaced by `database`.
    static func url(_ server: String, database: String) -> String {
        guard var c = URLComponents(string: server) else { return server }
        c.path = "/" + database
        return c.string ?? server
    }

    /// Drops a world's database, synchronously (cleanup after a signal cannot await).
    static func dropDatabase(server: String, name: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", server, "-X", "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run(); p.waitUntilExit() } catch {}
    }
}
