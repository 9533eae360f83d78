import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import StripeWire
@testable import Billing

/// The dashboard renders for each subscription state; in headless Chromium too when installed
/// (screenshots under `.build/screenshots/dashboard-<state>.png`).
@Suite struct DashboardTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

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

    @Test func rendersEveryState() async throws {
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
            tokens[state.name] = try await service.createSession(userID: user.id, orgID: state.name)
        }
        let app = Application(router: BillingApp(service: service).router())
        let sessionTokens = tokens
        try await app.test(.live) { client in
            for state in Self.states {
                let r = try await client.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=\(sessionTokens[state.name]!)"])
                #expect(r.status == .ok)
                let html = String(buffer: r.body)
                for text in state.expect { #expect(html.contains(text), "\(state.name): missing '\(text)'") }
                if let chromium = Self.chromium {
                    let dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    let file = dir.appendingPathComponent("dashboard-\(state.name).png")
                    try? FileManager.default.removeItem(at: file)
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: chromium)
                    p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1000",
                                   "--user-data-dir=\(FileManager.default.temporaryDirectory.path)/effinity-dash-\(UUID().uuidString)",
                                   "--screenshot=\(file.path)", "http://127.0.0.1:\(client.port!)/dashboard/billing?token=\(sessionTokens[state.name]!)"]
                    p.standardOutput = FileHandle.nullDevice
                    p.standardError = FileHandle.nullDevice
                    // Wait off the cooperative pool: Chromium needs this process's server to answer.
                    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                        DispatchQueue.global().async {
                            do { try p.run(); p.waitUntilExit(); c.resume() } catch { c.resume(throwing: error) }
                        }
                    }
                    let png = try Data(contentsOf: file)
                    #expect(png.count > 20_000, "\(state.name) screenshot looks blank")
                }
            }
            let anonymous = try await client.execute(uri: "/dashboard/billing", method: .get)
            #expect(anonymous.status == .unauthorized)
            let link = try await client.execute(uri: "/dashboard/billing?token=abc", method: .get)
            #expect(link.status == .seeOther)
            #expect(link.headers[.setCookie]?.hasPrefix("effinity_session=abc") == true)
        }
    }
}
