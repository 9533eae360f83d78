import Billing
import EffinityTesting
import StripeWire

/// The app a scenario drives, as the runner needs it: make the scenario's orgs and users (and
/// say how their app steps authenticate), dump its tables for snapshots, restart it, and name a
/// plan's price. EFFINITY in process or on a shared server (``EffinityApp``) and any app run from
/// a project file (``ProjectApp``) are the two kinds.
protocol AppSide: Sendable {
    /// Makes `given`'s orgs and users; the headers each user's app steps carry, by alias.
    func makeUsers(_ given: Given) async throws -> [String: [String: String]]
    /// Every table a snapshot holds, already filtered (and, for a project, normalized).
    func tables() async throws -> [TableDump]
    /// The `lookup_key` of the price a `portal` step's plan names.
    func lookupKey(plan: String) throws -> String
    /// Stops the app and starts it on the same database and port (`restart_app`).
    func restart() async throws
    /// The app's id for a scenario's org.
    func org(_ id: String) -> String
    /// How to act as each user by hand, for `--keep`.
    func howToActAs(_ alias: String, headers: [String: String], appURL: String) -> String
    /// What to show with a failure (an app process's last output).
    func diagnostics() -> String?
    /// Where `expect_metrics` reads the app's Prometheus text (path and headers); nil when this
    /// app's counters are not the scenario's alone (a shared server) or it has none.
    var metricsEndpoint: (path: String, headers: [String: String])? { get }
    /// Runs the app's background work that is due (its job queue) and returns when it is done,
    /// so each step sees what the webhooks delivered so far did; `now` is the fake's time.
    func settle(now: Int) async throws
}

extension AppSide {
    func diagnostics() -> String? { nil }
}

/// EFFINITY: users and sessions made through its own service, tables from its store.
struct EffinityApp: AppSide {
    let data: AppData
    let catalog: PlanCatalog
    /// Prefixed to the scenario's org ids on a shared app, so each run gets its own orgs.
    let orgPrefix: String
    /// The in-process fake and app, when the world started them (restarts need it).
    let stack: WiredStack?

    /// The token the in-process app's `/metrics` asks for.
    static let metricsToken = "scenario_metrics_token"

    /// In process only: a shared server's counters count other runs too.
    var metricsEndpoint: (path: String, headers: [String: String])? {
        stack == nil ? nil : ("/metrics", ["Authorization": "Bearer \(Self.metricsToken)"])
    }

    /// The current service (a restarted in-process app has a new one, on the same store).
    var service: BillingService { stack?.service ?? data.service }

    func makeUsers(_ given: Given) async throws -> [String: [String: String]] {
        for o in given.orgs { try await service.ensureOrganization(id: org(o.id), name: o.name) }
        var headers: [String: [String: String]] = [:]
        for user in given.users {
            let (u, _, _) = try await service.ensureMember(email: user.email, org: org(user.org), role: Role(rawValue: user.role) ?? .owner)
            // Scenarios move time by months and years: their sessions outlive them.
            let token = try await service.createSession(userID: u.id, orgID: org(user.org), ttl: 20 * 365 * 86400)
            headers[user.alias] = ["Authorization": "Bearer \(token)"]
        }
        return headers
    }

    func tables() async throws -> [TableDump] { try await data.tables() }

    func lookupKey(plan: String) throws -> String {
        guard let known = catalog.plan(plan) else {
            throw ScenarioFailure("no plan '\(plan)' in the app's catalog\(NearestName.hint(plan, among: catalog.plans.map(\.id)))")
        }
        return known.lookupKey
    }

    func restart() async throws {
        guard let stack else { throw ScenarioFailure("restart_app needs the in-process app (it cannot restart a server given with --app-url)") }
        try await stack.restartApp()
    }

    func org(_ id: String) -> String { orgPrefix + id }

    /// In process: the stack's drain (jobs, and the deliveries they cause). Against servers
    /// already running: this process claims due jobs from the app's database like one more
    /// worker (at the fake's time), and waits for those the app's own worker holds.
    func settle(now: Int) async throws {
        if let stack {
            try await stack.drain()
        } else {
            try await JobWorker(service: data.service).drain(now: now)
        }
    }

    func howToActAs(_ alias: String, headers: [String: String], appURL: String) -> String {
        let token = (headers["Authorization"] ?? "").replacingOccurrences(of: "Bearer ", with: "")
        return "as \(alias): Authorization: Bearer \(token)"
    }
}
