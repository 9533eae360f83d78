import Foundation
import StripeWire

/// `effinity.json`: how the runner drives an app of any language (see `docs/PROJECT.md`): how
/// to start and stop it, where its webhooks go, its database and how to snapshot it, how to make
/// its users. Built only by ``ProjectParser``, so a value of this type has passed validation.
public struct Project: Sendable {
    /// The project file's folder: every relative path in the file is relative to it.
    public var root: String
    /// The project file, as found (used in messages).
    public var file: String
    public var name: String
    /// Absolute folders of the scenarios and their goldens.
    public var scenarios: String
    public var goldens: String
    public var app: App
    public var stripe: StripeSide
    public var database: DatabaseSpec
    public var users: Users
    /// How to make `given.orgs` (before the users), when the app has organizations of its own.
    public var orgs: Orgs?
    /// Plan name → price `lookup_key`, for `portal` steps that name a plan.
    public var plans: [String: String]
    /// Seconds a scenario may run before it is stopped.
    public var timeoutSeconds: Int

    public struct App: Sendable {
        /// The program and its arguments (no shell), templates resolved per world.
        public var command: [String]
        public var cwd: String
        public var env: [String: String]
        public var readyPath: String
        public var readyTimeoutSeconds: Int
        /// `TERM`, `INT` or `KILL`, to the app's process group.
        public var stopSignal: Int32
        public var stopTimeoutSeconds: Int
        /// A request the runner sends after every step (`app.settle`), which the app answers once
        /// its background work that is due (a job queue: Celery, Sidekiq, EFFINITY's) is done.
        public var settle: (method: String, path: String)?
        /// Where the app serves Prometheus text for `expect_metrics` (`app.metrics`), and the headers it needs.
        public var metrics: (path: String, headers: [String: String])?
    }

    public struct StripeSide: Sendable {
        public var webhookPath: String
        /// The endpoint's and the account's API version; the newest when nil.
        public var apiVersion: String?
        public var events: [String]
        /// Sign deliveries with the machine's real time (`real`) or the account's clock (`virtual`).
        public var signatureTime: String
    }

    public struct DatabaseSpec: Sendable {
        /// `sqlite` or `postgres`.
        public var kind: String
        /// For `postgres`: a server URL where the runner may create databases.
        public var server: String?
        public var migrate: [String]?
        public var tables: [String]?
        public var excludeTables: [String]
        public var orderBy: [String: [String]]
        /// `table.column`, `*` for any table.
        public var ignoreColumns: [String]
        public var redactColumns: [String]
        /// What counts as a generated id: `uuid` or regular expressions.
        public var aliases: [String]
    }

    public struct Users: Sendable {
        public enum Create: Sendable {
            /// A request to the app; `credential` is the dotted key of the answer that holds it.
            case http(method: String, path: String, body: JSONValue?, credential: String)
            /// A command whose trimmed standard output is the credential.
            case command([String])
        }
        public var create: Create?
        public var headers: [String: String]
        public var cookies: [String: String]
    }

    /// A request to the app per `given.orgs` entry (`${org.id}`, `${org.name}`).
    public struct Orgs: Sendable {
        public var method: String
        public var path: String
        public var body: JSONValue?
    }

    /// Whether the app takes a scenario's `given.plans` (its command or environment uses `${scenario.plans}`).
    public var takesPlans: Bool {
        (app.command + Array(app.env.values)).contains { ProjectTemplate.names(in: $0).contains("scenario.plans") }
    }

    public static let fileName = "effinity.json"
}

extension Project {
    /// The project file in `path` (a folder holding `effinity.json`, or the file itself).
    public static func filePath(_ path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent(fileName)
        }
        return path
    }
}
