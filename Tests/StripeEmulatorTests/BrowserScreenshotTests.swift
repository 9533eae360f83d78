import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import StripeWire
@testable import StripeEmulator

/// Renders the hosted pages in headless Chromium (Debian's `chromium`, installed by `.ci/run`) and
/// saves screenshots under `.build/screenshots/`. Skipped where Chromium is not installed.
@Suite struct BrowserScreenshotTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs Chromium headless and returns what it printed (the DOM with `--dump-dom`).
    /// Chromium fetches pages from a server running in this process: waiting for it must not
    /// block a cooperative thread (there may be only two), or the server could never answer.
    static func chromium(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do { continuation.resume(returning: try chromiumBlocking(arguments)) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    static func chromiumBlocking(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(FileManager.default.temporaryDirectory.path)/effinity-chromium-\(UUID().uuidString)"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func screenshotDirectory() throws -> URL {
        let dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed"))
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
                let dom = try await Self.chromium(["--dump-dom", url])
                #expect(dom.contains(text), "\(name) page did not render its content")
                #expect(dom.contains("TEST MODE"))
                let file = dir.appendingPathComponent("\(name).png")
                try? FileManager.default.removeItem(at: file)
                _ = try await Self.chromium(["--window-size=1280,1000", "--screenshot=\(file.path)", url])
                let png = try Data(contentsOf: file)
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name).png is not a PNG")
                #expect(png.count > 20_000, "\(name).png looks blank (\(png.count) bytes)")
            }
        }
    }
}
