import ArgumentParser
import Billing
import Foundation
import Hummingbird
import Logging
import StripeEmulator

/// Options shared by the app commands: where the app keeps its data.
struct AppStoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The app's SQLite file (shared by `effinity app` and `effinity token`).", valueName: "path"))
    var dbPath = "effinity.sqlite"
    @Option(help: ArgumentHelp("A database URL instead of --db: postgres://USER:PASS@HOST:PORT/DB (binary built with --traits Postgres) or a SQLite path; default $DATABASE_URL.",
                               valueName: "url"))
    var databaseURL: String?

    /// `--database-url`, else `DATABASE_URL`, else the SQLite file `--db`.
    var location: String { databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? dbPath }

    /// What to print: the URL without its password.
    var displayLocation: String {
        guard BillingStores.isPostgres(location), let at = location.lastIndex(of: "@"), let sep = location.range(of: "://") else { return location }
        let creds = location[sep.upperBound..<at]
        let user = creds.split(separator: ":").first.map(String.init) ?? ""
        return String(location[..<sep.upperBound]) + user + location[at...]
    }

    func store() async throws -> any BillingStore {
        do { return try await BillingStores.open(location) } catch {
            throw ValidationError("cannot open the app's database \(displayLocation): \(error)")
        }
    }
}

/// Where the app and its workers find Stripe (shared by `app` and `worker`).
struct StripeOptions: ParsableArguments {
    @Option(help: "Stripe API base URL (overrides STRIPE_API_BASE).") var stripeAPIBase: String?
    @Option(help: "Stripe secret key (overrides STRIPE_SECRET_KEY).") var stripeSecretKey: String?

    func configuration(webhookSecret: String? = nil) throws -> StripeConfiguration {
        let env = ProcessInfo.processInfo.environment
        guard let key = stripeSecretKey ?? env["STRIPE_SECRET_KEY"] else {
            throw ValidationError("Set STRIPE_SECRET_KEY (or --stripe-secret-key); for the local fake use `effinity dev`.")
        }
        return StripeConfiguration(apiBase: stripeAPIBase ?? env["STRIPE_API_BASE"] ?? "https://api.stripe.com", secretKey: key,
                                   webhookSecret: webhookSecret)
    }
}

/// `effinity app`: the EFFINITY billing app against Stripe (real, or the fake).
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Run the EFFINITY billing app (API, webhook receiver, dashboard).",
        discussion: "Stripe comes from STRIPE_API_BASE, STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or the options below)."
    )

    @OptionGroup var storeOptions: AppStoreOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "The app's public URL (for Checkout and Portal return links); default http://HOST:PORT.") var publicURL: String?
    @OptionGroup var stripeOptions: StripeOptions
    @Option(help: "Webhook signing secret (overrides STRIPE_WEBHOOK_SECRET).") var stripeWebhookSecret: String?
    @Option(help: "Bearer token /metrics asks for (overrides EFFINITY_METRICS_TOKEN); without one /metrics is closed.") var metricsToken: String?
    @Option(help: "Firebase project id: enables sign-in with Firebase ID tokens at POST /api/auth/session (overrides FIREBASE_PROJECT_ID).")
    var firebaseProject: String?
    @Option(help: ArgumentHelp("Firebase's signing certificates as a JSON file (offline); fetched from Google when absent.", valueName: "path"))
    var firebaseCertificates: String?
    @Flag(inversion: .prefixedNo, help: "Run the background job worker in this process (with PostgreSQL, `effinity worker` processes may run them instead).")
    var worker = true
    @OptionGroup var jobOptions: JobOptions
    @Option(help: ArgumentHelp("The plan catalog (the plans.json shape); empty or absent: the built-in plans.", valueName: "file"))
    var plans: String?
    @Option(help: ArgumentHelp("The app's own ids: random (default) or sequential (stable snapshots under a scenario runner).", valueName: "mode"))
    var ids = "random"
    @Option(help: ArgumentHelp("Follow a fake Stripe's virtual clock (its clock URL, then the Effinity-Clock-Now header of each request) instead of the wall clock.",
                               valueName: "url")) var clockURL: String?
    @Flag(help: "Serve POST /_test/orgs, /_test/users and /_test/drain (a scenario runner makes its orgs and users and waits for the job queue with them), and apply each webhook's jobs before answering it; test keys only.")
    var testRoutes = false

    func validate() throws {
        guard ["random", "sequential"].contains(ids) else { throw ValidationError("--ids takes random or sequential.") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let config = try stripeOptions.configuration(webhookSecret: stripeWebhookSecret ?? env["STRIPE_WEBHOOK_SECRET"])
        if testRoutes, !config.secretKey.hasPrefix("sk_test_") { throw ValidationError("--test-routes mint sessions without a password: test keys (sk_test_) only.") }
        let catalog = try plans.flatMap { $0.isEmpty ? nil : $0 }.map { try PlanCatalog(json: Data(contentsOf: URL(fileURLWithPath: $0))) }
        let clock = FollowingClock()
        if let clockURL { try await clock.start(from: clockURL) }
        let store = try await storeOptions.store()
        let appIDs = AppIDs(ids == "sequential" ? .sequential : .random)
        // Sequential ids continue after those already stored (a restart under a scenario runner).
        if ids == "sequential" {
            appIDs.continueAfter(try await store.dumpTables().flatMap(\.rows).flatMap { row in (row.objectValue.map(Array.init) ?? []).compactMap { $0.value.stringValue } })
        }
        do {
            let app = try await AppRunner.make(store: store, stripe: config, host: host, port: port,
                                               publicURL: publicURL ?? "http://\(host):\(port)",
                                               metricsToken: metricsToken ?? env["EFFINITY_METRICS_TOKEN"],
                                               idTokens: (firebaseProject ?? env["FIREBASE_PROJECT_ID"]).map { project in
                                                   FirebaseIDTokenVerifier(projectID: project, certificates: FirebaseCertificates(
                                                       firebaseCertificates.map { .file($0) } ?? .google))
                                               },
                                               clock: clockURL != nil ? clock : SystemAppClock(), catalog: catalog,
                                               ids: appIDs, jobs: jobOptions.policy, inProcessWorker: worker,
                                               testRoutes: testRoutes, following: clockURL != nil ? clock : nil)
            say("EFFINITY billing on http://\(host):\(port) (dashboard: /dashboard/billing, data: \(storeOptions.displayLocation))")
            try await app.runService()
        } catch {
            await BillingStores.close(store)
            throw error
        }
        // PostgreSQL connections are closed before the process ends (SQLite needs nothing).
        await BillingStores.close(store)
    }
}

/// Builds the app's HTTP application (shared by `app` and `dev`).
enum AppRunner {
    static func make(store: any BillingStore, stripe: StripeConfiguration, host: String, port: Int, publicURL: String,
                     metricsToken: String? = nil, idTokens: (any IDTokenVerifier)? = nil,
                     clock: any AppClock = SystemAppClock(), catalog: PlanCatalog? = nil, ids: AppIDs = AppIDs(),
                     jobs: JobRetryPolicy = JobRetryPolicy(), inProcessWorker: Bool = true,
                     testRoutes: Bool = false, following: FollowingClock? = nil,
                     onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "effinity.app")
        logger.logLevel = .notice
        let service = BillingService(store: store, stripe: StripeClient(configuration: stripe),
                                     policy: BillingPolicy(catalog: try catalog ?? BillingService.defaultCatalog()), clock: clock, appURL: publicURL,
                                     ids: ids, jobPolicy: jobs, logger: logger)
        try await service.ensurePlans()
        let router = BillingApp(service: service, authenticator: idTokens.map { FirebaseAuthenticator(verifier: $0, service: service) },
                                metricsToken: metricsToken, idTokens: idTokens, logger: logger).router()
        if testRoutes { TestRoutes.add(to: router, service: service) }
        // Under a runner, each request's Effinity-Clock-Now moves the app's clock first; with
        // --test-routes a webhook's jobs are applied before it is answered, at the moment it came.
        let responder = ClockObservingResponder(inner: router.buildResponder(), clock: following,
                                                drainAfterWebhooks: testRoutes ? JobWorker(service: service) : nil)
        return Application(responder: responder,
                           configuration: .init(address: .hostname(host, port: port), serverName: "effinity-app"),
                           services: inProcessWorker ? [JobWorkerService(worker: JobWorker(service: service))] : [],
                           onServerRunning: { channel in
                               CloseOnExec.markSockets()
                               CrashListenerRelease.install()
                               await onRunning(channel.localAddress?.port ?? port)
                           }, logger: logger)
    }
}

/// `effinity token`: an API token, or a one-time sign-in link, for a user of an organization
/// (creating what is missing); or `--revoke` to end a token or browser session.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Print an API token or a one-time sign-in link for a member (created if missing), or revoke a token.")

    @OptionGroup var storeOptions: AppStoreOptions
    @Option(help: "The user's email.") var user: String?
    @Option(help: "The organization id.") var org: String?
    @Option(help: "owner, admin or member.") var role = "owner"
    @Option(help: "Days the API token stays valid.") var days = 30
    @Flag(help: "Print a one-time sign-in link for the dashboard (valid 15 minutes) instead of an API token.") var link = false
    @Option(help: "The app's public URL, for --link.") var publicURL = "http://127.0.0.1:8080"
    @Option(help: "Revoke this API token or browser session instead (takes effect at once).") var revoke: String?

    func validate() throws {
        if revoke == nil, user == nil || org == nil { throw ValidationError("--user and --org are required (or --revoke TOKEN).") }
    }

    func run() async throws {
        let store = try await storeOptions.store()
        let service = BillingService(store: store,
                                     stripe: StripeClient(configuration: StripeConfiguration(secretKey: "unused")),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), appURL: publicURL)
        if let revoke {
            try await service.revoke(token: revoke)
            await BillingStores.close(store)
            say("revoked")
            return
        }
        guard let role = Role(rawValue: role) else { throw ValidationError("--role must be owner, admin or member.") }
        guard let user, let org, user.contains("@") else { throw ValidationError("--user must be an email address.") }
        let (u, _, _) = try await service.ensureMember(email: user, org: org, role: role)
        let out = link ? "\(publicURL)/auth/link?code=\(try await service.createSignInLink(userID: u.id, orgID: org))"
            : try await service.createSession(userID: u.id, orgID: org, ttl: days * 86400)
        await BillingStores.close(store)
        say(out)
    }
}
