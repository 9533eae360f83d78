import Billing
import Foundation
import Hummingbird
import Logging
import StripeEmulator
import StripeWire
import Synchronization
import UnixSignals

/// The fake Stripe and the EFFINITY app wired together as in production, on the fake's clock:
/// the app calls the fake over HTTP with its secret key, and the fake delivers signed webhooks
/// to the app's endpoint. The scenario runner, `effinity dev` and the Swift tests all start it
/// here, so there is one wiring to keep right.
///
/// ``start(store:options:)`` returns when both servers listen and the app's webhook endpoint is
/// registered: no sleeps. ``stop()`` stops both.
public final class WiredStack: Sendable {
    /// How to start the pair.
    public struct Options: Sendable {
        /// The account the app uses (any `sk_test_` key is its own account on the fake).
        public var key = "sk_test_effinity"
        /// The fake's settings: ids, clock (a ``FixedWallClock`` freezes time for tests), base URL.
        public var settings = EmulatorSettings()
        /// The fake's database (in memory by default).
        public var database: (@Sendable () throws -> EmulatorDatabase) = { try .inMemory() }
        public var host = "127.0.0.1"
        /// 0 lets the kernel pick a free port.
        public var stripePort = 0
        public var appPort = 0
        /// The app's public URL (Checkout return links); its listening URL when nil.
        public var appURL: String?
        /// The plans the app sells; the app's default catalog when nil.
        public var catalog: PlanCatalog?
        public var appIDs = AppIDs()
        /// Replaces the app's session authenticator (tests).
        public var authenticator: (any Authenticator)?
        /// The bearer token the app's `/metrics` asks for (closed without one).
        public var metricsToken: String?
        /// Verifies Firebase ID tokens for `POST /api/auth/session` and as bearer tokens (off when nil).
        public var idTokens: (any IDTokenVerifier)?
        /// The app's Stripe client: timeout, retries and backoff.
        public var stripeTimeout: Duration = .seconds(10)
        public var maxRetries = 2
        public var retryBackoff: Duration = .milliseconds(100)
        /// Create the catalog's products and prices on the fake before the app serves.
        public var syncPlans = true
        /// Run the fake's background worker (renewals and deliveries as wall time passes), as a
        /// long-running `effinity dev` does; tests and scenarios settle time explicitly instead.
        public var background = false
        /// Run the app's due jobs after every webhook the fake delivers to it (see
        /// ``JobDrainingTransport``), so each event is applied at its simulated moment, before the
        /// next one. Off, queued jobs wait for ``WiredStack/drain()`` or a worker (benchmarks).
        public var drainJobsOnDelivery = true
        /// Signals that stop both servers gracefully (`effinity dev`: SIGINT, SIGTERM).
        public var shutdownSignals: [UnixSignal] = []
        /// Logs of both servers and the app; quiet when nil.
        public var logger: Logger?
        /// The API version the app pins (its `Stripe-Version`, and its webhook endpoint's
        /// `api_version`); the newest when nil.
        public var stripeVersion: String?

        public init() {}
    }

    public let emulator: StripeEmulator
    public let key: String
    /// The app's webhook endpoint on the fake (chaos and secret rolls apply to it).
    public let endpointID: String
    public let webhookSecret: String
    private let fake: LoopbackServer
    /// The running app and its service; replaced by ``restartApp()``.
    private let running: Mutex<(service: BillingService, server: LoopbackServer)>
    /// Builds the app again on the same store and port (``restartApp()``).
    private let makeApp: @Sendable (_ port: Int) async throws -> (BillingService, LoopbackServer)
    /// Set while ``restartApp()`` replaces the server, so ``wait()`` does not take it for a stop.
    private let restarting = Mutex(false)

    public var stripeURL: String { fake.url }
    public var appURL: String { running.withLock { $0.server.url } }
    /// The app's service (a new one after ``restartApp()``, on the same store).
    public var service: BillingService { running.withLock { $0.service } }

    private init(emulator: StripeEmulator, service: BillingService, key: String, endpointID: String, webhookSecret: String,
                 fake: LoopbackServer, app: LoopbackServer,
                 makeApp: @escaping @Sendable (Int) async throws -> (BillingService, LoopbackServer)) {
        self.emulator = emulator
        self.key = key
        self.endpointID = endpointID
        self.webhookSecret = webhookSecret
        self.fake = fake
        self.running = Mutex((service, app))
        self.makeApp = makeApp
    }

    /// Stops the app and starts a new one on the same store, port and fake: what survives is
    /// only what the app keeps in its database (webhook dedupe, sessions), as after a deploy.
    public func restartApp() async throws {
        restarting.withLock { $0 = true }
        defer { restarting.withLock { $0 = false } }
        let old = running.withLock { $0.server }
        await old.stop()
        let (service, server) = try await makeApp(old.port)
        running.withLock { $0 = (service, server) }
    }

    /// Starts the fake, registers the app's webhook endpoint, builds the app on the fake's clock
    /// and starts it. On failure nothing is left running.
    public static func start(store: any BillingStore, options: Options = Options()) async throws -> WiredStack {
        let logger = options.logger ?? {
            var quiet = Logger(label: "effinity.wired")
            quiet.logLevel = .critical
            return quiet
        }()
        let transport = JobDrainingTransport()
        let emulator = StripeEmulator(database: try options.database(), settings: options.settings, logger: logger, transport: transport)
        let fake = try await LoopbackServer.start(StripeHTTPResponder(emulator: emulator), name: "effinity-stripe", host: options.host,
                                                  port: options.stripePort, server: .stripe(emulator),
                                                  services: options.background ? [BackgroundWorkService(emulator: emulator)] : [],
                                                  logger: options.logger, shutdownSignals: options.shutdownSignals)
        do {
            // The endpoint exists first, so the app starts with its secret; its URL is set once the app listens.
            let version = options.stripeVersion ?? StripeConfiguration.defaultAPIVersion
            let endpoint = try await emulator.must("POST", "/v1/webhook_endpoints",
                                                   "url=http://127.0.0.1:1/pending&enabled_events[0]=*&api_version=\(version)", key: options.key)
            guard let endpointID = endpoint["id"].stringValue, let secret = endpoint["secret"].stringValue else {
                throw LoopbackServer.StartFailure(description: "the fake refused the webhook endpoint: \(JSONWriter.string(endpoint))")
            }
            let stripe = StripeConfiguration(apiBase: fake.url, secretKey: options.key, webhookSecret: secret,
                                             timeout: .nanoseconds(Int64(options.stripeTimeout / .nanoseconds(1))),
                                             maxRetries: options.maxRetries, retryBackoff: options.retryBackoff, apiVersion: version)
            let catalog = try options.catalog ?? BillingService.defaultCatalog()
            let publicURL = options.appURL ?? "http://\(options.host):\(options.appPort)"
            let makeApp: @Sendable (Int) async throws -> (BillingService, LoopbackServer) = { port in
                let service = BillingService(store: store, stripe: StripeClient(configuration: stripe, logger: logger),
                                             policy: BillingPolicy(catalog: catalog), clock: FakeStripeClock(emulator: emulator, account: options.key),
                                             appURL: publicURL, ids: options.appIDs, logger: logger)
                // Tests and scenarios drain the queue explicitly (deterministic); a long-running
                // stack (`effinity dev`) also runs the in-process worker, as `effinity app` does.
                let worker = JobWorker(service: service)
                if options.drainJobsOnDelivery { transport.drain.withLock { $0 = { _ = try? await worker.drain() } } }
                let app = try await LoopbackServer.start(
                    BillingApp(service: service, authenticator: options.authenticator ?? options.idTokens.map { FirebaseAuthenticator(verifier: $0, service: service) },
                               metricsToken: options.metricsToken,
                               idTokens: options.idTokens, logger: logger).router().buildResponder(),
                    name: "effinity-app", host: options.host, port: port,
                    services: options.background ? [JobWorkerService(worker: worker)] : [], logger: options.logger,
                    shutdownSignals: options.shutdownSignals)
                return (service, app)
            }
            let (service, app) = try await makeApp(options.appPort)
            _ = try await emulator.must("POST", "/v1/webhook_endpoints/\(endpointID)", "url=\(app.url)/api/billing/webhooks",
                                        key: options.key)
            do {
                if options.syncPlans { _ = try await service.ensurePlans() }
            } catch {
                await app.stop()
                throw error
            }
            return WiredStack(emulator: emulator, service: service, key: options.key, endpointID: endpointID, webhookSecret: secret,
                              fake: fake, app: app, makeApp: makeApp)
        } catch {
            await fake.stop()
            throw error
        }
    }

    /// Runs every app job that is due (what the webhook route queued, emails, retries whose
    /// backoff has passed) until none is, delivering the webhooks those jobs cause on the way
    /// (a job may call Stripe, which emits events): when it returns, the app has caught up.
    public func drain() async throws {
        while true {
            _ = try await emulator.drainDeliveries(account: key)
            if try await JobWorker(service: service).drain() == 0 { return }
        }
    }

    /// Stops the app, then the fake.
    public func stop() async {
        await running.withLock { $0.server }.stop()
        await fake.stop()
    }

    /// Waits until either server stops (`effinity dev` runs until a signal).
    public func wait() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.fake.wait() }
            group.addTask {
                // A restarted app is a new server: wait on whichever is current until one stops for good.
                while true {
                    let server = self.running.withLock { $0.server }
                    try await server.wait()
                    while self.restarting.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    if self.running.withLock({ $0.server }) === server { return }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
