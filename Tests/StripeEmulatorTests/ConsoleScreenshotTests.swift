import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import EffinityTesting
import StripeWire
@testable import StripeEmulator

/// Screenshots (headless Chromium, under `.build/screenshots/`) of every console page and of the
/// hosted invoice page open, paid and at its 3D Secure challenge; each also checks the DOM.
@Suite(.timeLimit(.minutes(3))) struct ConsoleScreenshotTests {
    static func shoot(_ url: String, _ name: String, width: Int = 1280, height: Int = 1000) async throws {
        let file = try BrowserScreenshotTests.screenshotDirectory().appendingPathComponent("\(name).png")
        try? FileManager.default.removeItem(at: file)
        _ = try await Chromium.run(["--window-size=\(width),\(height)", "--screenshot=\(file.path)", url])
        let png = try Data(contentsOf: file)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name).png is not a PNG")
        #expect(png.count > 20_000, "\(name).png looks blank (\(png.count) bytes)")
    }

    @Test(.enabled(if: Chromium.shouldRun, Comment(rawValue: Chromium.skipReason)))
    func consolePages() async throws {
        let receiver = SwitchableReceiver()
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)),
                                      transport: receiver)
        let s = TestStripe(emulator: emulator, key: "sk_test_console_shots")
        _ = await s.post("/v1/webhook_endpoints", [("url", "https://app.test/hooks"), ("enabled_events[0]", "*")])
        let customer = await s.customer(extra: [("email", "owner@acme.test"), ("name", "Acme Realty")])
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", await s.monthlyPrice(4900, name: "Growth"))])
        receiver.set(up: false)
        _ = await s.post("/_emulator/faults/charges", [("customer", customer), ("decline_code", "insufficient_funds")])
        _ = await s.post("/_emulator/time/advance", [("by", "32d")])
        receiver.set(up: true)
        let failed = await s.get("/v1/events", [("type", "invoice.payment_failed")]).json["data"][0]["id"].stringValue!
        let key = s.key

        try await Application(responder: StripeHTTPResponder(emulator: emulator)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func open(_ next: String) -> String { "\(base)/console/open?key=\(key)&next=\(FormEncoder.escape(next))" }
            let pages: [(String, String, String)] = [
                ("console-signin", "\(base)/console", "Accounts this fake has seen"),
                ("console-overview", open("/console"), "Overview"),
                ("console-customers", open("/console/customers"), "owner@acme.test"),
                ("console-subscriptions", open("/console/subscriptions"), "past_due"),
                ("console-invoices", open("/console/invoices"), "$49.00"),
                ("console-payments", open("/console/payment_intents"), "requires_payment_method"),
                ("console-checkout", open("/console/checkout_sessions"), "Checkout sessions"),
                ("console-events", open("/console/events"), "invoice.payment_failed"),
                ("console-event", open("/console/objects/\(failed)"), "receiver down"),
                ("console-subscription", open("/console/objects/\(sub.id)"), "Raw JSON"),
                ("console-webhooks", open("/console/webhook_endpoints"), "https://app.test/hooks"),
                ("console-time", open("/console/time"), "To the next renewal"),
                ("console-faults", open("/console/faults"), "Decline a customer"),
            ]
            // One Chromium run a page (they are slow on a loaded machine): the sign-in page's DOM as
            // Chromium built it, the rest's text from the same server, then the screenshot.
            let dom = try await Chromium.run(["--dump-dom", pages[1].1])
            #expect(dom.contains("Overview") && dom.contains("effinity console"), "Chromium did not follow the open link to the overview")
            var browser = ConsoleBrowser(s)
            await browser.signIn(key)
            for (name, url, text) in pages {
                let path = String(url.dropFirst(base.count))
                let html = path.hasPrefix("/console/open") ? (await browser.get(String(path.split(separator: "next=").last!.removingPercentEncoding!))).bodyString
                    : (await ConsoleBrowser(s).get(path)).bodyString
                #expect(html.contains(text), "\(name) did not render \(text.debugDescription)")
                try await Self.shoot(url, name)
            }
            // Phone width: one column, nothing cut off.
            try await Self.shoot(open("/console/objects/\(failed)"), "console-event-phone", width: 390, height: 1400)
        }
    }

    @Test(.enabled(if: Chromium.shouldRun, Comment(rawValue: Chromium.skipReason)))
    func hostedInvoicePage() async throws {
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        let s = TestStripe(emulator: emulator, key: "sk_test_invoice_shots")
        let open = await DocumentPDFTests.finalizedInvoice(s)
        let paid = await DocumentPDFTests.finalizedInvoice(s)
        _ = await s.post("/v1/invoices/\(paid["id"].stringValue!)/pay", [("payment_method", "pm_card_visa")])
        let challenge = await s.page("POST", open["hosted_invoice_url"].stringValue!, form: [("test_card", "4000002760003184")])
        #expect(challenge.bodyString.contains("3D Secure test challenge"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-challenge-\(UUID().uuidString).html")
        try Data(challenge.body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        try await Application(responder: StripeHTTPResponder(emulator: emulator)).test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            func local(_ url: String) -> String { url.replacingOccurrences(of: emulator.settings.baseURL, with: base) }
            let dom = try await Chromium.run(["--dump-dom", local(open["hosted_invoice_url"].stringValue!)])
            #expect(dom.contains("Pay $132.84"))
            #expect(await s.page("GET", paid["hosted_invoice_url"].stringValue!).bodyString.contains("$132.84 paid"))
            for (name, url) in [("invoice-open", local(open["hosted_invoice_url"].stringValue!)),
                                ("invoice-paid", local(paid["hosted_invoice_url"].stringValue!)),
                                ("invoice-3ds-challenge", file.absoluteString)] {
                try await Self.shoot(url, name)
            }
        }
    }
}
