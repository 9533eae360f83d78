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
    @Flag(inversion: .prefixedNo, help: "Run the background job worker in this process (with PostgreSQL, `effinity worker` processes may run them instead).")
    var worker = true
    @OptionGroup var jobOptions: JobOptions

    func run() async throws {
        let config = try stripeOptions.configuration(
            webhookSecret: stripeWebhookSecret ?? ProcessInfo.processInfo.environment["STRIPE_WEBHOOK_SECRET"])
        let store = try await storeOptions.store()
        do {
            let app = try await AppRunner.make(store: store, stripe: config, host: host, port: port,
                                               publicURL: publicURL ?? "http://\(host):\(port)", jobs: jobOptions.policy,
                                               inProcessWorker: worker)
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
                     clock: any AppClock = SystemAppClock(), jobs: JobRetryPolicy = JobRetryPolicy(), inProcessWorker: Bool = true,
                     onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws -> some ApplicationProtocol {
        var logger = Logger(label: "effinity.app")
        logger.logLevel = .notice
        let service = BillingService(store: store, stripe: StripeClient(configuration: stripe),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), clock: clock, appURL: publicURL,
                                     jobPolicy: jobs, logger: logger)
        try await service.ensurePlans()
        return Application(router: BillingApp(service: service, logger: logger).router(),
                           configuration: .init(address: .hostname(host, port: port), serverName: "effinity-app"),
                           services: inProcessWorker ? [JobWorkerService(worker: JobWorker(service: service))] : [],
                           onServerRunning: { channel in
                               CloseOnExec.markSockets()
                               CrashListenerRelease.install()
                               await onRunning(channel.localAddress?.port ?? port)
                           }, logger: logger)
    }
}

/// `effinity token`: a session token for a user of an organization (creating what is missing).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create a user, organization and membership if missing, and print a session token.")

    @OptionGroup var storeOptions: AppStoreOptions
    @Option(help: "The user's email.") var user: String
    @Option(help: "The organization id.") var org: String
    @Option(help: "owner, admin or member.") var role = "owner"
    @Option(help: "Days the token stays valid.") var days = 30

    func run() async throws {
        guard let role = Role(rawValue: role) else { throw ValidationError("--role must be owner, admin or member.") }
        guard user.contains("@") else { throw ValidationError("--user must be an email address.") }
        let store = try await storeOptions.store()
        let service = BillingService(store: store,
                                     stripe: StripeClient(configuration: StripeConfiguration(secretKey: "unused")),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), appURL: "")
        let (u, _, _) = try await service.ensureMember(email: user, org: org, role: role)
        let token = try await service.createSession(userID: u.id, orgID: org, ttl: days * 86400)
        await BillingStores.close(store)
        say(token)
    }
}
