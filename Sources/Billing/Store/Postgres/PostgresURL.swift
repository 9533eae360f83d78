#if Postgres
import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database` (also `postgresql://`); TLS is not used, since
/// the app reaches its database over a private network or loopback.
enum PostgresURL {
    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme) else {
            throw SQLStoreError.unsupportedURL(url)
        }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        return PostgresClient.Configuration(host: c.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: c.port ?? 5432,
                                            username: c.user ?? "postgres", password: c.password,
                                            database: database.isEmpty ? nil : database, tls: .disable)
    }
}
#endif
