/// Runs SQL inside one open transaction. The app's queries are written once, with `?`
/// placeholders and SQL both SQLite and PostgreSQL accept (`ON CONFLICT … DO NOTHING`,
/// `RETURNING`); each backend adapts placeholders and reads rows into ``SQLRow``.
public protocol SQLExecutor {
    var dialect: SQLDialect { get }
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
}

/// What differs between the two SQL dialects the app speaks.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// An ORDER BY term that sorts text byte by byte on both (PostgreSQL's default collation
    /// follows the locale, SQLite's compares bytes), so dumps come out in the same order.
    func byteOrder(_ column: String) -> String {
        self == .postgres ? "\"\(column)\" COLLATE \"C\"" : "\"\(column)\""
    }
}

extension SQLExecutor {
    func execute(_ sql: String, _ arguments: any SQLBindable...) throws {
        try execute(sql, arguments.map(\.sqlValue))
    }

    func all(_ sql: String, _ arguments: any SQLBindable...) throws -> [SQLRow] {
        try fetch(sql, arguments.map(\.sqlValue))
    }

    func one(_ sql: String, _ arguments: any SQLBindable...) throws -> SQLRow? {
        try fetch(sql, arguments.map(\.sqlValue)).first
    }

    func count(_ sql: String, _ arguments: any SQLBindable...) throws -> Int {
        guard let row = try fetch(sql, arguments.map(\.sqlValue)).first, let (_, v) = row.values.first, case .int(let n) = v else { return 0 }
        return n
    }
}
