import Foundation
import StripeEmulator
import StripeWire

/// Turns `effinity.json` into a ``Project``, or into every ``ScenarioError`` it contains (file
/// and JSON path each, like a scenario's), so a project is never half-started on a typo.
public enum ProjectParser {
    static let templates = ["stripe.url", "stripe.secret_key", "stripe.publishable_key", "stripe.webhook_secret", "app.port", "app.url",
                            "database.url", "database.path", "clock.url", "world.dir", "scenario.plans"]
    static let userTemplates = ["user.email", "user.org", "user.org_name", "user.role", "user.alias"]
    static let orgTemplates = ["org.id", "org.name"]

    /// Loads `path` (a folder holding `effinity.json`, or the file).
    public static func load(path: String) throws(ScenarioErrors) -> Project {
        let file = Project.filePath(path)
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ScenarioErrors(errors: [ScenarioError(file: file, path: "", message: "cannot read the project file (\(error.localizedDescription))")])
        }
        let root = (URL(fileURLWithPath: file).standardizedFileURL.path as NSString).deletingLastPathComponent
        return try parse(Array(data), file: file, root: root)
    }

    public static func parse(_ bytes: [UInt8], file: String, root: String) throws(ScenarioErrors) -> Project {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw ScenarioErrors(errors: [ScenarioError(file: file, path: "", message: "not valid JSON: \(error)")])
        }
        let sink = ErrorSink(file: file)
        let project = build(Node(value: json, path: "", sink: sink), file: file, root: root)
        guard sink.errors.isEmpty, let project else { throw ScenarioErrors(errors: sink.errors) }
        return project
    }

    static func build(_ n: Node, file: String, root: String) -> Project? {
        guard n.object(allowed: ["$schema", "name", "scenarios", "goldens", "app", "stripe", "database", "orgs", "users", "plans", "timeout_seconds"],
                       required: ["app", "stripe", "database"]) != nil else { return nil }
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : ((root as NSString).appendingPathComponent(p) as NSString).standardizingPath }
        _ = n.string("$schema")
        let name = n.string("name") ?? (root as NSString).lastPathComponent
        let scenarios = absolute(n.string("scenarios") ?? "scenarios")
        let goldens = absolute(n.string("goldens") ?? "goldens")
        let timeout = n.int("timeout_seconds", in: 1...86_400) ?? 300
        let app = n.child("app").flatMap { self.app($0, absolute: absolute) }
        let stripe = n.child("stripe").flatMap(self.stripe)
        let database = n.child("database").flatMap(self.database)
        let users = n.child("users").map(self.users) ?? Project.Users(create: nil, headers: [:], cookies: [:])
        let plans = n.stringMap("plans") ?? [:]
        let orgs = n.child("orgs").flatMap(self.orgs)
        guard let app, let stripe, let database else { return nil }
        return Project(root: root, file: file, name: name, scenarios: scenarios, goldens: goldens, app: app, stripe: stripe,
                       database: database, users: users, orgs: orgs, plans: plans, timeoutSeconds: timeout)
    }

    static func orgs(_ n: Node) -> Project.Orgs? {
        guard n.object(allowed: ["create"], required: ["create"]) != nil, let c = n.child("create"),
              c.object(allowed: ["http"], required: ["http"]) != nil, let h = c.child("http"),
              h.object(allowed: ["method", "path", "body"], required: ["path"]) != nil, let path = h.string("path") else { return nil }
        let method = (h.choice("method", ["POST", "PUT", "PATCH", "post", "put", "patch"]) ?? "POST").uppercased()
        checkTemplates(path, at: h.child("path")!, allowed: templates + orgTemplates)
        if let body = h.child("body") { checkTemplates(in: body.value, at: body, allowed: templates + orgTemplates) }
        return Project.Orgs(method: method, path: path, body: h.child("body")?.value)
    }

    static func app(_ n: Node, absolute: (String) -> String) -> Project.App? {
        guard n.object(allowed: ["command", "cwd", "env", "ready", "stop", "settle", "metrics"], required: ["command"]) != nil else { return nil }
        let command = self.command(n, "command")
        let env = n.stringMap("env") ?? [:]
        if let e = n.child("env") { for (k, v) in env { checkTemplates(v, at: e.child(k)!, allowed: templates) } }
        var readyPath = "/", readyTimeout = 30
        if let r = n.child("ready"), r.object(allowed: ["path", "timeout_seconds"]) != nil {
            readyPath = r.string("path") ?? "/"
            if !readyPath.hasPrefix("/") { r.child("path")!.fail("must start with /, found '\(readyPath)'") }
            readyTimeout = r.int("timeout_seconds", in: 1...600) ?? 30
        }
        var signal = SIGTERM, stopTimeout = 5
        if let s = n.child("stop"), s.object(allowed: ["signal", "timeout_seconds"]) != nil {
            switch s.choice("signal", ["TERM", "INT", "KILL"]) {
            case "INT": signal = SIGINT
            case "KILL": signal = SIGKILL
            default: break
            }
            stopTimeout = s.int("timeout_seconds", in: 0...120) ?? 5
        }
        var settle: (String, String)? = nil
        if let s = n.child("settle"), s.object(allowed: ["method", "path"], required: ["path"]) != nil, let path = s.string("path") {
            if !path.hasPrefix("/") { s.child("path")!.fail("must start with /, found '\(path)'") }
            settle = ((s.choice("method", ["POST", "GET", "post", "get"]) ?? "POST").uppercased(), path)
        }
        var metrics: (String, [String: String])? = nil
        if let m = n.child("metrics"), m.object(allowed: ["path", "headers"], required: ["path"]) != nil, let path = m.string("path") {
            if !path.hasPrefix("/") { m.child("path")!.fail("must start with /, found '\(path)'") }
            metrics = (path, m.stringMap("headers") ?? [:])
        }
        guard let command else { return nil }
        return Project.App(command: command, cwd: absolute(n.string("cwd") ?? "."), env: env, readyPath: readyPath,
                           readyTimeoutSeconds: readyTimeout, stopSignal: signal, stopTimeoutSeconds: stopTimeout, settle: settle,
                           metrics: metrics)
    }

    static func stripe(_ n: Node) -> Project.StripeSide? {
        guard n.object(allowed: ["webhook_path", "api_version", "events", "signature_time"], required: ["webhook_path"]) != nil,
              let path = n.string("webhook_path") else { return nil }
        if !path.hasPrefix("/") { n.child("webhook_path")!.fail("must start with /, found '\(path)'") }
        let version = n.string("api_version")
        if let version, APIVersion(version) == nil {
            n.child("api_version")!.fail("unknown API version '\(version)': from \(APIVersion.known.first!) to \(APIVersion.known.last!)\(NearestName.hint(version, among: APIVersion.known))")
        }
        let events = n.strings("events") ?? ["*"]
        if events.isEmpty { n.child("events")!.fail("name at least one event type, or \"*\"") }
        let signature = n.choice("signature_time", ["real", "virtual"]) ?? "real"
        return Project.StripeSide(webhookPath: path, apiVersion: version, events: events, signatureTime: signature)
    }

    static func database(_ n: Node) -> Project.DatabaseSpec? {
        guard n.object(allowed: ["kind", "server", "migrate", "tables", "exclude_tables", "order_by", "ignore_columns", "redact_columns", "aliases"],
                       required: ["kind"]) != nil, let kind = n.choice("kind", ["sqlite", "postgres"], required: true) else { return nil }
        let server = n.string("server")
        if server != nil, kind != "postgres" { n.child("server")!.fail("server is for kind postgres") }
        if let server, !(server.hasPrefix("postgres://") || server.hasPrefix("postgresql://")) {
            n.child("server")!.fail("expected a postgres:// URL, found '\(server)'")
        }
        let migrate = n.child("migrate") != nil ? command(n, "migrate") : nil
        var orderBy: [String: [String]] = [:]
        if let o = n.child("order_by") {
            if case .object(let map) = o.value {
                for key in map.keys.sorted() { if let cols = o.strings(key) { orderBy[key] = cols } }
            } else { o.fail("expected an object of table → columns, found \(Node.typeName(o.value))") }
        }
        for key in ["ignore_columns", "redact_columns"] {
            guard let list = n.strings(key) else { continue }
            for (i, c) in list.enumerated() where c.split(separator: ".").count != 2 {
                n.child(key)!.element(i, .string(c)).fail("expected table.column (or *.column), found '\(c)'")
            }
        }
        let aliases = n.strings("aliases") ?? []
        for (i, a) in aliases.enumerated() where a != "uuid" {
            if (try? NSRegularExpression(pattern: a)) == nil { n.child("aliases")!.element(i, .string(a)).fail("not a valid regular expression: '\(a)'") }
        }
        return Project.DatabaseSpec(kind: kind, server: server, migrate: migrate, tables: n.strings("tables"),
                                    excludeTables: n.strings("exclude_tables") ?? [], orderBy: orderBy,
                                    ignoreColumns: n.strings("ignore_columns") ?? [], redactColumns: n.strings("redact_columns") ?? [],
                                    aliases: aliases)
    }

    static func users(_ n: Node) -> Project.Users {
        var users = Project.Users(create: nil, headers: [:], cookies: [:])
        guard n.object(allowed: ["create", "present"]) != nil else { return users }
        if let c = n.child("create"), c.object(allowed: ["http", "command"]) != nil {
            if let h = c.child("http"), h.object(allowed: ["method", "path", "body", "credential"], required: ["path", "credential"]) != nil {
                let method = (h.choice("method", ["GET", "POST", "PUT", "PATCH", "get", "post", "put", "patch"]) ?? "POST").uppercased()
                if let path = h.string("path"), let credential = h.string("credential") {
                    checkTemplates(path, at: h.child("path")!, allowed: templates + userTemplates)
                    if let body = h.child("body") { checkTemplates(in: body.value, at: body, allowed: templates + userTemplates) }
                    users.create = .http(method: method, path: path, body: h.child("body")?.value, credential: credential)
                }
            }
            if c.child("command") != nil, let command = command(c, "command") {
                if users.create != nil { c.fail("give http or command, not both") }
                for (i, part) in command.enumerated() { checkTemplates(part, at: c.child("command")!.element(i, .string(part)), allowed: templates + userTemplates) }
                users.create = .command(command)
            }
            if c.child("http") == nil, c.child("command") == nil { c.fail("give http (a request to the app) or command") }
        }
        if let p = n.child("present"), p.object(allowed: ["headers", "cookies"]) != nil {
            users.headers = p.stringMap("headers") ?? [:]
            users.cookies = p.stringMap("cookies") ?? [:]
            for (k, v) in users.headers { checkTemplates(v, at: p.child("headers")!.child(k)!, allowed: ["credential"] + userTemplates) }
            for (k, v) in users.cookies { checkTemplates(v, at: p.child("cookies")!.child(k)!, allowed: ["credential"] + userTemplates) }
        }
        if users.create != nil, users.headers.isEmpty, users.cookies.isEmpty {
            n.fail("users.create needs users.present (the headers or cookies that carry ${credential})")
        }
        return users
    }

    /// A non-empty array of strings.
    static func command(_ n: Node, _ key: String) -> [String]? {
        guard let list = n.strings(key) else { return nil }
        guard !list.isEmpty, !list[0].isEmpty else { n.child(key)!.fail("expected [program, arguments…], found an empty command"); return nil }
        return list
    }

    static func checkTemplates(in value: JSONValue, at n: Node, allowed: [String]) {
        switch value {
        case .string(let s): checkTemplates(s, at: n, allowed: allowed)
        case .array(let a): for (i, v) in a.enumerated() { checkTemplates(in: v, at: n.element(i, v), allowed: allowed) }
        case .object(let o): for (k, v) in o { checkTemplates(in: v, at: n.child(k)!, allowed: allowed) }
        default: break
        }
    }

    /// Every `${name}` must be one the runner fills.
    static func checkTemplates(_ text: String, at n: Node, allowed: [String]) {
        for name in ProjectTemplate.names(in: text) where !allowed.contains(name) {
            n.fail("unknown template '${\(name)}'\(NearestName.hint(name, among: allowed))")
        }
    }
}

/// `${name}` templates of the project file.
enum ProjectTemplate {
    static func names(in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            out.append(String(rest[open.upperBound..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }

    static func fill(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for name in names(in: text) { if let v = values[name] { out = out.replacingOccurrences(of: "${\(name)}", with: v) } }
        return out
    }

    static func fill(_ value: JSONValue, _ values: [String: String]) -> JSONValue {
        switch value {
        case .string(let s): return .string(fill(s, values))
        case .array(let a): return .array(a.map { fill($0, values) })
        case .object(let o): return .object(o.mapValues { fill($0, values) })
        default: return value
        }
    }
}
