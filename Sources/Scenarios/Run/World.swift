import Billing
import EffinityTesting
import Foundation
import Hummingbird
import Logging
import StripeEmulator
import StripeWire

/// Where a scenario runs: by default a fresh fake Stripe and a fresh app in this process, on
/// loopback ports, with in-memory SQLite, sequential ids and a clock frozen at the scenario's
/// start. With ``Targets`` it runs against servers already running instead.
final class World: Sendable {
    let stripeURL: String
    /// The app's URL (the same after ``restartApp()``: it keeps its port).
    let appURL: String
    let key: String
    let start: Int
    /// The app's webhook endpoint in the fake (chaos applies to it).
    let endpointID: String
    /// The app under test: its users, tables and restarts.
    let app: any AppSide
    /// Whether snapshots are compared with goldens (not on a shared server's random data).
    let comparesGoldens: Bool
    /// The loopback URLs snapshots name by their stable names (`{stripe}`, `http://stripe.scenario`).
    let urlNames: [(String, String)]
    /// Called last by ``stop()`` (stops the servers, closes or drops the databases).
    private let cleanup: @Sendable () async -> Void

    init(stripeURL: String, appURL: String, key: String, start: Int, endpointID: String, app: any AppSide,
         comparesGoldens: Bool = true, urlNames: [(String, String)]? = nil, cleanup: @escaping @Sendable () async -> Void = {}) {
        self.stripeURL = stripeURL
        self.appURL = appURL
        self.key = key
        self.start = start
        self.endpointID = endpointID
        self.app = app
        self.comparesGoldens = comparesGoldens
        self.urlNames = urlNames ?? [(stripeURL, "{stripe}"), (appURL, "{app}")]
        self.cleanup = cleanup
    }

    /// Whether the fake and EFFINITY run in this process (not servers given by URL, not a project's app).
    var isInProcess: Bool { (app as? EffinityApp)?.stack != nil }

    /// The app's id for an org of the scenario.
    func org(_ id: String) -> String { app.org(id) }

    func stop() async {
        await cleanup()
    }

    /// Runs the app's background work that is due, so the next step sees what the webhooks
    /// delivered so far did (see ``AppSide/settle(now:)``).
    func drainJobs(now: Int) async throws {
        try await app.settle(now: now)
    }

    /// Stops the app and starts it again on the same database and port.
    func restartApp() async throws {
        try await app.restart()
    }

    /// A fresh fake and app, wired like production: the app calls the fake over HTTP with its
    /// secret key, and the fake delivers signed webhooks to the app's endpoint.
    /// - Parameter database: nil for in-memory SQLite; a PostgreSQL URL gives the scenario a
    ///   schema of its own in that database, dropped when the world stops.
    static func inProcess(_ given: Given, database: String? = nil, stripeVersion: String? = nil) async throws -> World {
        let catalog = try given.plans.map { try PlanCatalog(json: Data(JSONWriter.data($0))) } ?? BillingService.defaultCatalog()
        var options = WiredStack.Options()
        options.key = "sk_test_scenario"
        // Every event is kept (no 30-day retention): `expect_webhooks` with an `object` reads the
        // delivered events back by id, however far the scenario has moved time since.
        options.settings = EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(given.start), baseURL: "http://stripe.scenario",
                                            eventRetentionDays: 0)
        options.appURL = "http://app.scenario"
        options.catalog = catalog
        options.appIDs = AppIDs(.sequential)
        options.retryBackoff = .milliseconds(1)
        options.stripeVersion = stripeVersion
        options.metricsToken = EffinityApp.metricsToken
        // Both logs stay quiet (no logger): a scenario reports what failed, with the step.
        let store: any BillingStore
        if let database {
            store = try await BillingStores.open(database, schema: "scenario_" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        } else {
            store = try SQLiteBillingStore.inMemory()
        }
        let stack: WiredStack
        do { stack = try await WiredStack.start(store: store, options: options) } catch {
            await BillingStores.close(store, dropSchema: true)
            throw ScenarioFailure("the fake and the app did not start: \(error)")
        }
        let app = EffinityApp(data: AppData(service: stack.service, databasePath: nil), catalog: catalog, orgPrefix: "", stack: stack)
        return World(stripeURL: stack.stripeURL, appURL: stack.appURL, key: stack.key, start: given.start, endpointID: stack.endpointID,
                     app: app, cleanup: {
                         await stack.stop()
                         await BillingStores.close(store, dropSchema: true)
                     })
    }

    /// Servers already running (`--stripe-url`, `--app-url`): the app's SQLite file gives users,
    /// tokens and snapshots; the fake's clock is set to the scenario's start if it is behind.
    static func external(_ targets: Targets, given: Given) async throws -> World {
        guard let stripeURL = targets.stripeURL, let appURL = targets.appURL, let db = targets.databasePath else {
            throw ScenarioFailure("--stripe-url, --app-url and --database-url go together")
        }
        guard given.plans == nil else {
            throw ScenarioFailure("given.plans replaces the app's catalog, which only the in-process app can do (drop --app-url)")
        }
        let catalog = try BillingService.defaultCatalog()
        let store = try SQLiteBillingStore.file(db)
        let http = HTTP(stripeURL: stripeURL, appURL: appURL, key: targets.stripeKey)
        let endpoints = try await http.stripe("GET", "/v1/webhook_endpoints", query: "limit=100")
        guard let endpoint = endpoints.json["data"].arrayValue?.first(where: { $0["url"].stringValue?.hasPrefix(appURL) == true }),
              let endpointID = endpoint["id"].stringValue else {
            throw ScenarioFailure("the fake at \(stripeURL) has no webhook endpoint for the app at \(appURL)")
        }
        let now = try await http.stripe("GET", "/_emulator/time").json["now"].intValue ?? 0
        if now < given.start { _ = try await http.stripe("POST", "/_emulator/time/set", body: "to=\(given.start)") }
        let clock = StaticClock(time: max(now, given.start))
        var quiet = Logger(label: "effinity.scenarios.app")
        quiet.logLevel = .critical
        let service = BillingService(store: store, stripe: StripeClient(configuration: StripeConfiguration(apiBase: stripeURL, secretKey: targets.stripeKey)),
                                     policy: BillingPolicy(catalog: catalog), clock: clock, appURL: appURL, logger: quiet)
        let app = EffinityApp(data: AppData(service: service, databasePath: db), catalog: catalog,
                              orgPrefix: "run\(UInt32.random(in: 0...UInt32.max))-", stack: nil)
        // A shared server holds other data and random ids: its snapshots are reported, not compared.
        return World(stripeURL: stripeURL, appURL: appURL, key: targets.stripeKey, start: max(now, given.start), endpointID: endpointID,
                     app: app, comparesGoldens: false)
    }
}

/// Servers already running that scenarios can target instead of in-process ones.
public struct Targets: Sendable {
    public var stripeURL: String?
    public var appURL: String?
    public var databasePath: String?
    public var stripeKey: String

    public init(stripeURL: String? = nil, appURL: String? = nil, databasePath: String? = nil, stripeKey: String = "sk_test_effinity_dev") {
        self.stripeURL = stripeURL
        self.appURL = appURL
        self.databasePath = databasePath
        self.stripeKey = stripeKey
    }

    public var isExternal: Bool { stripeURL != nil || appURL != nil }
}

/// The app's data as the runner sees it: users and tokens are made through the app's own
/// service (on its store), and tables are dumped from the store or the SQLite file.
struct AppData: Sendable {
    let service: BillingService
    let databasePath: String?

    func tables() async throws -> [TableDump] {
        if let databasePath { return try SQLiteBillingStore.dumpTables(ofFile: databasePath) }
        return try await service.store.dumpTables()
    }
}

/// The app's clock against servers already running: the fake's time when the scenario started.
struct StaticClock: AppClock {
    let time: Int
    func now() -> Int { time }
}
