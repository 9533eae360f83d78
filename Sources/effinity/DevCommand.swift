import ArgumentParser
import Billing
import EffinityTesting
import Foundation
import Logging
import ServiceLifecycle
import StripeEmulator

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
        let host = "127.0.0.1"
        var logger = Logger(label: "effinity.dev")
        logger.logLevel = .notice
        var options = WiredStack.Options()
        options.key = "sk_test_effinity_dev"
        options.settings = EmulatorSettings(baseURL: "http://\(host):\(stripePort)")
        options.host = host
        options.stripePort = stripePort
        options.appPort = appPort
        options.appURL = "http://\(host):\(appPort)"
        // Renewals and retries happen as wall time passes, as they would on Stripe.
        options.background = true
        options.logger = logger
        options.shutdownSignals = [.sigint, .sigterm]
        let metricsToken = "effm_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        options.metricsToken = metricsToken
        // Firebase sign-in offline: a key pair made here signs the ID tokens the app verifies.
        let signer = try LocalIDTokenSigner(projectID: "effinity-dev")
        options.idTokens = FirebaseIDTokenVerifier(projectID: signer.projectID, certificates: FirebaseCertificates(.fixed(signer.certificates)))
        // The app's clock is the fake's (the wiring's FakeStripeClock): when time travels there,
        // webhook signatures made at the simulated times still verify here.
        let stack = try await WiredStack.start(store: try SQLiteBillingStore.file(dbPath), options: options)
        let (user, _, _) = try await stack.service.ensureMember(email: owner, org: org, role: .owner)
        let token = try await stack.service.createSession(userID: user.id, orgID: org)
        let link = try await stack.service.createSignInLink(userID: user.id, orgID: org)
        let idToken = try signer.idToken(uid: "dev-" + user.id, email: owner, issuedAt: stack.service.clock.now())
        say("""
            Fake Stripe: \(stack.stripeURL) (key \(stack.key))
            Stripe console: \(stack.stripeURL)/console/open?key=\(stack.key)
            EFFINITY app: \(stack.appURL) (data: \(dbPath))
            Dashboard for \(owner) (one-time sign-in link, 15 minutes): \(stack.appURL)/auth/link?code=\(link)
            API token: \(token)
            Firebase sign-in (local signer; the ID token is fresh for 5 minutes):
              curl -i -X POST \(stack.appURL)/api/auth/session -H 'Content-Type: application/json' -d '{"id_token": "\(idToken)"}'
            Metrics: curl -H 'Authorization: Bearer \(metricsToken)' \(stack.appURL)/metrics
            Press Ctrl-C to stop.
            """)
        // Runs until Ctrl-C or SIGTERM stops both servers gracefully (or one stops on its own).
        try await stack.wait()
        await stack.stop()
    }
}
