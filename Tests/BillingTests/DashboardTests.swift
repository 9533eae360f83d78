import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import EffinityTesting
import StripeWire
@testable import Billing

/// The dashboard renders for each subscription state; in headless Chromium too when installed
/// (screenshots under `.build/screenshots/dashboard-<state>.png`; skipped visibly without Chromium,
/// a failure instead with `EFFINITY_REQUIRE_CHROMIUM=1`).
@Suite(.timeLimit(.minutes(1))) struct DashboardTests {

    struct State: Sendable {
        let name: String
        let expect: [String]
        let apply: @Sendable (inout OrgSubscription?) -> Void
    }

    static let states: [State] = [
        State(name: "no-plan", expect: ["Free plan", "Choose"], apply: { $0 = nil }),
        State(name: "trialing", expect: ["Pro plan", "trialing", "days left in your free trial"], apply: {
            $0?.plan = "pro"; $0?.status = "trialing"; $0?.trialEnd = 1_800_000_000 + 5 * 86400
            $0?.currentPeriodEnd = 1_800_000_000 + 5 * 86400; $0?.stripeCustomerID = "cus_" + UUID().uuidString
        }),
        State(name: "active", expect: ["Starter plan", "Renews on", "Manage billing"], apply: {
            $0?.plan = "starter"; $0?.status = "active"; $0?.currentPeriodEnd = 1_800_000_000 + 20 * 86400; $0?.stripeCustomerID = "cus_" + UUID().uuidString
        }),
        State(name: "past_due", expect: ["past due", "Your last payment failed"], apply: {
            $0?.plan = "pro"; $0?.status = "past_due"; $0?.pastDueSince = 1_800_000_000; $0?.stripeCustomerID = "cus_" + UUID().uuidString
        }),
        State(name: "canceled", expect: ["canceled", "Your subscription has ended"], apply: {
            $0?.plan = "pro"; $0?.status = "canceled"; $0?.stripeCustomerID = "cus_" + UUID().uuidString
        }),
    ]

    /// The app with one organization per state, and a browser session for each one's owner. A
    /// test-only route `/test-sign-in/<state>` sets that session's cookie, so headless Chromium
    /// (which cannot click "Continue" on a sign-in link's page) opens the signed-in dashboard.
    static func dashboardApp() async throws -> (some ApplicationProtocol, [String: String]) {
        let store = try SQLiteBillingStore.inMemory()
        let service = BillingService(store: store, stripe: StripeClient(configuration: StripeConfiguration(secretKey: "sk_test_unused")),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), clock: ManualAppClock(1_800_000_000),
                                     appURL: "http://app.test")
        var tokens: [String: String] = [:]
        for state in Self.states {
            let (user, _, _) = try await service.ensureMember(email: "owner@\(state.name).test", org: state.name, role: .owner)
            try await store.write { tx in
                var sub = try tx.subscription(org: state.name)
                state.apply(&sub)
                if let sub { try tx.saveSubscription(sub) } else {
                    // "No plan": an organization whose subscription row is gone.
                    try (tx as! SQLBillingTransaction).sql.execute("DELETE FROM subscriptions WHERE org_id = ?", state.name)
                }
            }
            tokens[state.name] = try await service.createWebSession(userID: user.id, orgID: state.name, source: "test", ttl: 3600)
        }
        let router = BillingApp(service: service).router()
        let sessions = tokens
        router.get("/test-sign-in/{state}") { _, context -> Response in
            var headers = HTTPFields()
            headers[.location] = "/dashboard/billing"
            headers[.setCookie] = SessionCookie.set(sessions[context.parameters.get("state") ?? ""] ?? "", maxAge: 3600, secure: false)
            return Response(status: .seeOther, headers: headers)
        }
        return (Application(router: router), tokens)
    }

    @Test func rendersEveryState() async throws {
        let (app, sessionTokens) = try await Self.dashboardApp()
        try await app.test(.live) { client in
            for state in Self.states {
                let r = try await client.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=\(sessionTokens[state.name]!)"])
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                for text in state.expect { #expect(html.contains(text), "\(state.name): missing '\(text)'") }
            }
            // Without a session the dashboard sends the browser to sign in (and back afterwards).
            let anonymous = try await client.execute(uri: "/dashboard/billing", method: .get)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/signin?next=%2Fdashboard%2Fbilling")
            #expect(try await client.execute(uri: "/signin", method: .get).status == .ok)
            // A URL token sets nothing (sign-in is /auth/link's one-time code, SecurityTests): still sent to sign in.
            let link = try await client.execute(uri: "/dashboard/billing?token=abc", method: .get)
            #expect(link.status == .seeOther)
            #expect(link.headers[.setCookie] == nil)
        }
    }

    @Test(.enabled(if: Chromium.shouldRun, Comment(rawValue: Chromium.skipReason)))
    func screenshotsEveryStateInChromium() async throws {
        let (app, sessionTokens) = try await Self.dashboardApp()
        try await app.test(.live) { client in
            let dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for state in Self.states {
                let file = dir.appendingPathComponent("dashboard-\(state.name).png")
                try? FileManager.default.removeItem(at: file)
                _ = sessionTokens
                let url = "http://127.0.0.1:\(try #require(client.port))/test-sign-in/\(state.name)"
                _ = try await Chromium.run(["--window-size=1100,1000", "--screenshot=\(file.path)", url])
                let png = try Data(contentsOf: file)
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(state.name) screenshot is not a PNG")
                #expect(png.count > 20_000, "\(state.name) screenshot looks blank")
            }
        }
    }
}
