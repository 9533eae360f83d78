/// A value crossing the app's SQL boundary. Both backends bind and read only these, so a row
/// reads the same from SQLite and from PostgreSQL (booleans are stored as 0/1 integers).
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int)
    case double(Double)
    case text(String)
}

/// Swift values that bind as SQL parameters.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    public let values: [String: SQLValue]

    public init(_ values: [String: SQLValue]) { self.values = values }

    public func string(_ column: String) throws -> String {
        guard case .text(let s) = values[column] else { throw SQLStoreError.badColumn(column, "text", values[column]) }
        return s
    }

    public func int(_ column: String) throws -> Int {
        guard case .int(let i) = values[column] else { throw SQLStoreError.badColumn(column, "integer", values[column]) }
        return i
    }

    public func optionalString(_ column: String) -> String? {
        if case .text(let s) = values[column] { return s }
        return nil
    }

    public func optionalInt(_ column: String) -> Int? {
        if case .int(let i) = values[column] { return i }
        return nil
    }

    public func bool(_ column: String) throws -> Bool { try int(column) != 0 }
}

/// A store failure that is not the database's own error.
public enum SQLStoreError: Error, CustomStringConvertible {
    case badColumn(String, String, SQLValue?)
    case unsupportedURL(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .badColumn(let c, let t, let v): "column \(c): expected \(t), found \(v.map { "\($0)" } ?? "no such column")"
        case .unsupportedURL(let u): "unsupported database URL '\(u)' (use a SQLite path, sqlite://PATH or postgres://USER:PASS@HOST:PORT/DB)"
        case .unavailable(let s): s
        }
    }
}
