import ArgumentParser
import Billing
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import StripeEmulator
import StripeWire

/// `effinity dev`: the fake Stripe and the app together, wired: a webhook endpoint registered
/// for the app, its secret passed along, a demo organization and owner, and a ready link.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Run the fake Stripe and the EFFINITY app together, wired, with a demo owner.")

    @Option(help: "Port of the fake Stripe.") var stripePort = 12111
    @Option(help: "Port of the app.") var appPort = 8080
    @Option(name: .customLong("db"), help: ArgumentHelp("The app's SQLite file.", valueName: "path")) var dbPath = "effinity-dev.sqlite"
    @Option(help: "Demo organization id.") var org = "demo-realty"
    @Option(help: "Demo owner email.") var owner = "owner@demo-realty.test"

    func run() async throws {
        let key = "sk_test_effinity_dev"
        let host = "127.0.0.1"
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(baseURL: "http://\(host):\(stripePort)"))
        let stripeApp = Application(responder: StripeHTTPResponder(emulator: emulator), server: .stripe(emulator),
                                    configuration: .init(address: .hostname(host, port: stripePort), serverName: "effinity-stripe"),
                                    services: [BackgroundWorkService(emulator: emulator)])
        let endpoint = try await emulator.must("POST", "/v1/webhook_endpoints",
                                               "url=http://\(host):\(appPort)/api/billing/webhooks&enabled_events[0]=*", key: key)
        let stripe = StripeConfiguration(apiBase: "http://\(host):\(stripePort)", secretKey: key, webhookSecret: endpoint["secret"].stringValue)
        let store = try SQLiteBillingStore.file(dbPath)
        let tokenService = BillingService(store: store, stripe: StripeClient(configuration: stripe),
                                          policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), appURL: "")
        let (user, _, _) = try await tokenService.ensureMember(email: owner, org: org, role: .owner)
        let token = try await tokenService.createSession(userID: user.id, orgID: org)
        // The app syncs its plans with the fake at start, so the fake must answer first.
        let group = ServiceGroup(configuration: .init(services: [stripeApp], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "effinity.dev")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            // The app's clock is the fake's: when time travels there, webhook signatures made at the
            // simulated times still verify here.
            let app = try await AppRunner.make(store: store, stripe: stripe, host: host, port: appPort, publicURL: "http://\(host):\(appPort)",
                                               clock: EmulatorAccountClock(emulator: emulator, account: key))
            tasks.addTask { try await app.runService() }
            say("""
                Fake Stripe: http://\(host):\(stripePort) (key \(key))
                EFFINITY app: http://\(host):\(appPort) (data: \(dbPath))
                Dashboard for \(owner): http://\(host):\(appPort)/dashboard/billing?token=\(token)
                API token: \(token)
                Press Ctrl-C to stop.
                """)
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// The app's clock in `effinity dev`: the fake's clock for the dev account.
struct EmulatorAccountClock: AppClock {
    let emulator: StripeEmulator
    let account: String
    func now() -> Int { emulator.now(account: account) }
}
