import AsyncHTTPClient
import Billing
import EffinityTesting
import Foundation
import NIOCore
import StripeEmulator
import StripeWire
import Synchronization

/// An app run from a project file (``Project``): a child process on its own port and database,
/// its users made through its own HTTP route or a command, its tables dumped from its database.
final class ProjectApp: AppSide {
    let project: Project
    let folder: String
    let appURL: String
    let database: ProjectDatabase
    /// `${…}` values of this world.
    let values: [String: String]
    let rules: ProjectTableRules
    private let running: Mutex<AppProcess>

    var process: AppProcess { running.withLock { $0 } }

    private init(project: Project, folder: String, appURL: String, database: ProjectDatabase, values: [String: String], process: AppProcess) {
        self.project = project
        self.folder = folder
        self.appURL = appURL
        self.database = database
        self.values = values
        self.rules = ProjectTableRules(project.database)
        self.running = Mutex(process)
    }

    /// The app's environment: the project's, filled, and the world's folder (for the janitor).
    static func environment(_ project: Project, _ values: [String: String], folder: String) -> [String: String] {
        var env = project.app.env.mapValues { ProjectTemplate.fill($0, values) }
        env[WorldJanitor.worldVariable] = folder
        return env
    }

    /// Migrates the database, starts the app and waits until it is ready. On failure the caller
    /// cleans the world up (the janitor has the process group).
    static func start(_ project: Project, folder: String, appURL: String, database: ProjectDatabase, values: [String: String],
                      janitor: WorldJanitor) async throws -> ProjectApp {
        let env = environment(project, values, folder: folder)
        if let migrate = project.database.migrate {
            _ = try await ProjectCommand.run(migrate.map { ProjectTemplate.fill($0, values) }, cwd: project.app.cwd, env: env,
                                             timeout: .seconds(300), what: "database.migrate")
        }
        let process = try await launch(project, env: env, values: values, folder: folder, appURL: appURL, janitor: janitor)
        return ProjectApp(project: project, folder: folder, appURL: appURL, database: database, values: values, process: process)
    }

    private static func launch(_ project: Project, env: [String: String], values: [String: String], folder: String, appURL: String,
                               janitor: WorldJanitor) async throws -> AppProcess {
        let process = try AppProcess.start(project.app.command.map { ProjectTemplate.fill($0, values) }, cwd: project.app.cwd, env: env,
                                           logPath: (folder as NSString).appendingPathComponent("app.log"))
        janitor.set(folder, group: process.group)
        try await process.waitUntilReady(appURL + project.app.readyPath, timeout: .seconds(project.app.readyTimeoutSeconds))
        return process
    }

    func stop() async {
        await process.stop(signal: project.app.stopSignal, grace: .seconds(project.app.stopTimeoutSeconds))
    }

    // MARK: AppSide

    func makeUsers(_ given: Given) async throws -> [String: [String: String]] {
        if let orgs = project.orgs {
            for org in given.orgs {
                var v = values
                v["org.id"] = org.id
                v["org.name"] = org.name
                _ = try await request(orgs.method, ProjectTemplate.fill(orgs.path, v), orgs.body.map { ProjectTemplate.fill($0, v) },
                                      at: given.start, what: "orgs.create for \(org.id)")
            }
        }
        guard !given.users.isEmpty else { return [:] }
        guard let create = project.users.create else {
            throw ScenarioFailure("given.users needs users.create in \(project.file) (how the app makes a user and its credential)")
        }
        var out: [String: [String: String]] = [:]
        for user in given.users {
            var v = values
            v["user.email"] = user.email
            v["user.org"] = user.org
            v["user.org_name"] = given.orgs.first { $0.id == user.org }?.name ?? user.org
            v["user.role"] = user.role
            v["user.alias"] = user.alias
            let credential: String
            switch create {
            case .http(let method, let path, let body, let key):
                let what = "users.create for \(user.email) (\(method) \(path))"
                let (json, text) = try await request(method, ProjectTemplate.fill(path, v), body.map { ProjectTemplate.fill($0, v) },
                                                     at: given.start, what: what)
                var value = json
                for part in key.split(separator: ".") { value = value[String(part)] }
                switch value {
                case .string(let s) where !s.isEmpty: credential = s
                case .int(let i): credential = String(i)
                default: throw ScenarioFailure("\(what): the answer has no '\(key)' (users.create.http.credential): \(text)")
                }
            case .command(let command):
                credential = try await ProjectCommand.run(command.map { ProjectTemplate.fill($0, v) }, cwd: project.app.cwd,
                                                          env: Self.environment(project, values, folder: folder), timeout: .seconds(60),
                                                          what: "users.create for \(user.email)")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                if credential.isEmpty { throw ScenarioFailure("users.create for \(user.email): the command printed no credential") }
            }
            v["credential"] = credential
            var headers = project.users.headers.mapValues { ProjectTemplate.fill($0, v) }
            if !project.users.cookies.isEmpty {
                headers["Cookie"] = project.users.cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\(ProjectTemplate.fill($0.value, v))" }
                    .joined(separator: "; ")
            }
            out[user.alias] = headers
        }
        return out
    }

    /// A set-up request to the app, at the scenario's start time (`Effinity-Clock-Now`): its JSON
    /// answer and the start of its text.
    private func request(_ method: String, _ path: String, _ body: JSONValue?, at now: Int, what: String) async throws -> (JSONValue, String) {
        var request = HTTPClientRequest(url: appURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Effinity-Clock-Now", value: String(now))
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.data(body)))
        }
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(request, timeout: .seconds(30)) } catch {
            throw ScenarioFailure("\(what) failed: \(error)")
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        let text = String(decoding: bytes.prefix(500), as: UTF8.self)
        guard (200..<300).contains(Int(response.status.code)) else { throw ScenarioFailure("\(what) answered \(response.status.code): \(text)") }
        return ((try? JSONParser.parse(bytes)) ?? .null, text)
    }

    func tables() async throws -> [TableDump] { rules.apply(try await database.tables()) }

    func lookupKey(plan: String) throws -> String {
        guard let key = project.plans[plan] else {
            throw ScenarioFailure("no plan '\(plan)' in \(project.file)'s plans\(NearestName.hint(plan, among: Array(project.plans.keys)))")
        }
        return key
    }

    func restart() async throws {
        await stop()
        let env = Self.environment(project, values, folder: folder)
        let process = try await Self.launch(project, env: env, values: values, folder: folder, appURL: appURL, janitor: .shared)
        running.withLock { $0 = process }
    }

    func org(_ id: String) -> String { id }

    func howToActAs(_ alias: String, headers: [String: String], appURL: String) -> String {
        "as \(alias): " + headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    func diagnostics() -> String? { process.tail() }

    var metricsEndpoint: (path: String, headers: [String: String])? { project.app.metrics }

    func settle(now: Int) async throws {
        guard let (method, path) = project.app.settle else { return }
        _ = try await request(method, path, nil, at: now, what: "app.settle (\(method) \(path))")
    }
}
