import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import EffinityTesting
import StripeWire
@testable import StripeEmulator

/// Renders the hosted pages in headless Chromium (Debian's `chromium`, installed by `.ci/run`) and
/// saves screenshots under `.build/screenshots/`. Skipped, visibly, where Chromium is not installed
/// (a failure instead with `EFFINITY_REQUIRE_CHROMIUM=1`); each Chromium run is killed after 30 s.
@Suite(.timeLimit(.minutes(1))) struct BrowserScreenshotTests {
    static func screenshotDirectory() throws -> URL {
        let dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(.enabled(if: Chromium.shouldRun, Comment(rawValue: Chromium.skipReason)))
    func checkoutAndPortalRender() async throws {
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        let s = TestStripe(emulator: emulator, key: "sk_test_browser")
        let session = await s.checkoutSession(trialDays: 14)
        let checkoutPath = session["url"].stringValue!.replacingOccurrences(of: emulator.settings.baseURL, with: "")
        let customer = await s.customer(extra: [("email", "owner@acme.test")])
        let price = await s.monthlyPrice(4900, name: "Enterprise")
        _ = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let portal = await s.post("/v1/billing_portal/sessions", [("customer", customer), ("return_url", "https://app.test/billing")])
        let portalPath = portal.json["url"].stringValue!.replacingOccurrences(of: emulator.settings.baseURL, with: "")
        let dir = try Self.screenshotDirectory()

        try await Application(responder: StripeHTTPResponder(emulator: emulator)).test(.live) { client in
            let port = try #require(client.port)
            for (name, path, text) in [("checkout", checkoutPath, "Start your free trial"), ("portal", portalPath, "Billing for owner@acme.test")] {
                let url = "http://127.0.0.1:\(port)\(path)"
                let dom = try await Chromium.run(["--dump-dom", url])
                #expect(dom.contains(text), "\(name) page did not render its content")
                #expect(dom.contains("TEST MODE"))
                let file = dir.appendingPathComponent("\(name).png")
                try? FileManager.default.removeItem(at: file)
                _ = try await Chromium.run(["--window-size=1280,1000", "--screenshot=\(file.path)", url])
                let png = try Data(contentsOf: file)
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name).png is not a PNG")
                #expect(png.count > 20_000, "\(name).png looks blank (\(png.count) bytes)")
            }
        }
    }
}
