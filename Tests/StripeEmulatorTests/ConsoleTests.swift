import Foundation
import Synchronization
import Testing
import StripeWire
@testable import StripeEmulator

/// A receiver that is up (200 "ok") or down (500 "receiver down") as the test says.
final class SwitchableReceiver: WebhookTransport {
    private let up = Mutex(true)
    func set(up value: Bool) { up.withLock { $0 = value } }
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        up.withLock { $0 } ? WebhookTransportResult(statusCode: 200, body: "ok") : WebhookTransportResult(statusCode: 500, body: "receiver down")
    }
}

/// A receiver that holds every delivery until the test lets it go (then answers 200).
final class HeldReceiver: WebhookTransport {
    private let state = Mutex<(released: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
    func release() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in s.released = true; defer { s.waiting = [] }; return s.waiting }
        for w in waiting { w.resume() }
    }
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.released { return true }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
        return WebhookTransportResult(statusCode: 200, body: "ok")
    }
}

/// A browser on the console: keeps the session cookie, posts forms with the page's CSRF token.
struct ConsoleBrowser {
    let s: TestStripe
    var cookie: String?

    init(_ s: TestStripe) { self.s = s }

    func request(_ method: String, _ path: String, form: [(String, String)] = []) async -> APIResponse {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let cookie { headers["Cookie"] = cookie }
        return await s.emulator.handle(APICall(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil,
                                               body: Array(FormEncoder.encode(form.map { ($0.0, FormValue.string($0.1)) }).utf8),
                                               headers: headers))
    }

    mutating func signIn(_ key: String) async {
        let r = await request("POST", "/console/signin", form: [("key", key)])
        precondition(r.status == 303, r.bodyString)
        cookie = r.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
    }

    func get(_ path: String) async -> APIResponse { await request("GET", path) }

    /// The CSRF token of the page's forms.
    func csrf(_ page: APIResponse) -> String {
        page.bodyString.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/).map { String($0.1) } ?? ""
    }

    /// Submits a form of `page` the way a browser does: its fields plus the CSRF token, then follows the redirect.
    func submit(_ page: APIResponse, to action: String, _ fields: [(String, String)]) async -> (post: APIResponse, page: APIResponse) {
        let post = await request("POST", action, form: fields + [("csrf", csrf(page))])
        guard post.status == 303, var location = post.header("Location") else { return (post, post) }
        if location == "/console/time/progress", let account = cookie?.split(separator: "=").last.map(String.init) {
            // A clock move outlasted the form's patience: wait for it, then the progress page sends us on.
            await s.emulator.consoleTravels.wait(account)
            location = (await get(location)).header("Location") ?? location
        }
        return (post, await get(location))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ConsoleTests {
    @Test func signInListsAccountsOnLoopbackOnly() async throws {
        let s = try TestStripe()
        _ = await s.customer(extra: [("email", "ada@acme.test")])
        var browser = ConsoleBrowser(s)
        let signin = await browser.get("/console")
        #expect(signin.status == 200)
        #expect(signin.bodyString.contains("<label for=\"key\">Secret key</label>"))
        #expect(signin.bodyString.contains("Open \(s.key)"))
        // Any other page without a session goes to sign-in.
        #expect(await browser.get("/console/customers").header("Location") == "/console")
        await browser.signIn(s.key)
        let overview = await browser.get("/console")
        #expect(overview.bodyString.contains("Overview"))
        #expect(overview.bodyString.contains("1 in this account"))

        let exposed = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start),
                                                                                          consoleRequiresKey: true))
        let remote = TestStripe(emulator: exposed, key: s.key)
        _ = await remote.customer()
        let page = await ConsoleBrowser(remote).get("/console")
        #expect(page.bodyString.contains("Secret key"))
        #expect(!page.bodyString.contains(s.key), "an exposed console must not list the keys it has seen")
        #expect(await ConsoleBrowser(remote).get("/console/open?key=\(s.key)").status == 303)
        #expect(await ConsoleBrowser(remote).get("/console/open?key=\(s.key)").header("Set-Cookie") == nil)
        let bad = await ConsoleBrowser(remote).request("POST", "/console/signin", form: [("key", "pk_live_nope")])
        #expect(bad.status == 400)
    }

    @Test func formsWithoutTheSessionsCSRFTokenAreRefused() async throws {
        let s = try TestStripe()
        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        let before = await s.get("/_emulator/time").json["now"].intValue!
        let forged = await browser.request("POST", "/console/time/advance", form: [("by", "1d")])
        #expect(forged.status == 403)
        let wrong = await browser.request("POST", "/console/time/advance", form: [("by", "1d"), ("csrf", String(repeating: "0", count: 32))])
        #expect(wrong.status == 403)
        #expect(await s.get("/_emulator/time").json["now"].intValue == before)
        // Another account's token does not pass either.
        let other = ConsoleSession(account: "sk_test_someone_else")
        #expect(!ConsoleSession(account: s.key).acceptsCSRF(other.csrf))
        let time = await browser.get("/console/time")
        let (post, page) = await browser.submit(time, to: "/console/time/advance", [("by", "1d")])
        #expect(post.status == 303)
        #expect(page.bodyString.contains("The clock is now 2027-01-16 08:00 UTC"))
        #expect(await s.get("/_emulator/time").json["now"].intValue == before + 86400)
    }

    @Test func listsSearchPaginateAndOpenObjects() async throws {
        let s = try TestStripe()
        var ids: [String] = []
        for i in 0..<25 { ids.append(await s.customer(extra: [("email", "c\(i)@acme.test")])) }
        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        let first = await browser.get("/console/customers")
        #expect(first.status == 200)
        #expect(first.bodyString.contains("c24@acme.test"))
        #expect(!first.bodyString.contains("c4@acme.test"))
        let next = try #require(first.bodyString.firstMatch(of: /href="(\/console\/customers\?starting_after=[^"]+)" rel="next"/)?.1)
        let second = await browser.get(String(next).replacingOccurrences(of: "&amp;", with: "&"))
        #expect(second.bodyString.contains("c4@acme.test"))
        #expect(second.bodyString.contains("First page"))
        let search = await browser.get("/console/customers?q=c13%40acme")
        #expect(search.bodyString.contains("c13@acme.test"))
        #expect(!search.bodyString.contains("c12@acme.test"))
        let byID = await browser.get("/console/customers?q=\(ids[3])")
        #expect(byID.header("Location") == "/console/objects/\(ids[3])")
        let detail = await browser.get("/console/objects/\(ids[3])")
        #expect(detail.bodyString.contains("customer \(ids[3])"))
        #expect(detail.bodyString.contains("c3@acme.test"))
        #expect(detail.bodyString.contains("Raw JSON"))
        // The default payment method is a related object, linked.
        #expect(detail.bodyString.contains("href=\"/console/objects/pm_"))
        #expect(await browser.get("/console/objects/cus_missing").status == 404)
        #expect(await browser.get("/console/objects/nonsense").status == 404)
    }

    /// The click-through of the issue: advance a month, the renewal fails, the webhook of the
    /// failure could not be delivered; resend it from the console and check through the API.
    @Test func advanceAMonthRenewalFailsResendTheWebhook() async throws {
        let receiver = SwitchableReceiver()
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)),
                                      transport: receiver)
        let s = TestStripe(emulator: emulator, key: "sk_test_console_flow")
        let endpoint = await s.post("/v1/webhook_endpoints", [("url", "https://app.test/hooks"), ("enabled_events[0]", "invoice.payment_failed")]).id
        let customer = await s.customer(extra: [("email", "owner@acme.test")])
        let price = await s.monthlyPrice(4900)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.json["status"] == "active")

        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        let faults = await browser.get("/console/faults")
        let declined = await browser.submit(faults, to: "/console/faults/charges", [("customer", customer), ("decline_code", "insufficient_funds")])
        #expect(declined.page.bodyString.contains("now fail with insufficient_funds"))

        receiver.set(up: false)
        var time = await browser.get("/console/time")
        time = await browser.submit(time, to: "/console/time/advance", [("by", "1mo")]).page
        #expect(time.bodyString.contains("The clock is now 2027-02-15 08:00 UTC"))
        time = await browser.submit(time, to: "/console/time/advance", [("by", "1d")]).page
        // The renewal failed: checked through the API.
        let after = await s.subscription(sub.id)
        #expect(after["status"] == "past_due")
        let invoice = await s.invoice(after["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        #expect(invoice["amount_due"] == 4900)
        #expect(invoice["attempt_count"] == 1)
        let failed = await s.get("/v1/events", [("type", "invoice.payment_failed")]).json["data"][0]
        let eventID = try #require(failed["id"].stringValue)
        #expect(failed["pending_webhooks"] == 1)

        // The event page shows the failed attempts: request, status, the receiver's body, timing.
        let events = await browser.get("/console/events")
        #expect(events.bodyString.contains(eventID))
        var page = await browser.get("/console/objects/\(eventID)")
        #expect(page.bodyString.contains("POST https://app.test/hooks"))
        #expect(page.bodyString.contains("receiver down"))
        #expect(page.bodyString.contains(">500<"))
        #expect(page.bodyString.contains("Payload sent (API version \(StripeAPIVersion.current))"))

        receiver.set(up: true)
        let resent = await browser.submit(page, to: "/console/events/\(eventID)/resend", [("endpoint", endpoint)])
        page = resent.page
        #expect(page.bodyString.contains("Resent \(eventID) to \(endpoint)"))
        #expect(page.bodyString.contains("receiver down"))
        #expect(page.bodyString.contains(">200<"))
        // Through the API: the event is delivered, and the log has the success.
        #expect(await s.get("/v1/events/\(eventID)").json["pending_webhooks"] == 0)
        let attempts = await s.get("/_emulator/deliveries", [("event", eventID)]).json["data"].arrayValue ?? []
        #expect(attempts.first?["outcome"] == "succeeded")
        #expect(attempts.first?["response_body"] == "ok")
        #expect(attempts.dropFirst().allSatisfy { $0["outcome"] == "failed" && $0["response_body"] == "receiver down" })
    }

    /// A move that outlasts the form's patience goes on in the background; the progress page
    /// reloads itself until it is done, then shows the result. The move is held by a receiver
    /// that does not answer until the test lets it.
    @Test func aLongMoveShowsItsProgress() async throws {
        let receiver = HeldReceiver()
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)),
                                      transport: receiver)
        emulator.consoleTravels.patience = .zero
        let s = TestStripe(emulator: emulator, key: "sk_test_console_progress")
        _ = await s.post("/v1/webhook_endpoints", [("url", "https://app.test/hooks"), ("enabled_events[0]", "*")])
        _ = await s.post("/v1/subscriptions", [("customer", await s.customer()), ("items[0][price]", await s.monthlyPrice(1000))])
        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        let time = await browser.get("/console/time")
        let started = await browser.request("POST", "/console/time/advance", form: [("by", "1mo"), ("csrf", browser.csrf(time))])
        #expect(started.header("Location") == "/console/time/progress")
        let progress = await browser.get("/console/time/progress")
        #expect(progress.status == 200)
        #expect(progress.bodyString.contains("<meta http-equiv=\"refresh\" content=\"1\">"))
        #expect(progress.bodyString.contains("From 2027-01-15 08:00 UTC to 2027-02-15 08:00 UTC"))
        #expect(progress.bodyString.contains("<progress id=\"travel\" max=\"100\" value=\""))
        let again = await browser.request("POST", "/console/time/advance", form: [("by", "1d"), ("csrf", browser.csrf(time))])
        #expect(again.header("Location")?.contains("already%20moving") == true || again.header("Location")?.contains("already+moving") == true)
        receiver.release()
        await emulator.consoleTravels.wait(s.key)
        let done = await browser.get("/console/time/progress")
        #expect(done.status == 303)
        #expect(done.header("Location")?.hasPrefix("/console/time?flash=") == true)
        #expect(await s.get("/_emulator/time").json["now"].intValue == TestStripe.start + 31 * 86400)
        #expect(await browser.get("/console/time/progress").header("Location") == "/console/time")
    }

    @Test func faultsAndChaosGoThroughTheControlRoutes() async throws {
        let s = try TestStripe()
        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        var page = await browser.get("/console/faults")
        #expect(page.bodyString.contains("Now: off"))
        page = await browser.submit(page, to: "/console/webhooks/chaos", [("fail_first", "2"), ("duplicate_rate", "0.5"), ("reorder_window", "3")]).page
        #expect(page.bodyString.contains("Webhook chaos is on."))
        #expect(await s.get("/_emulator/webhooks/chaos").json["chaos"]["fail_first"] == 2)
        page = await browser.submit(page, to: "/console/webhooks/chaos", [("clear", "true")]).page
        #expect(await s.get("/_emulator/webhooks/chaos").json["chaos"] == .null)

        page = await browser.submit(page, to: "/console/faults/api", [("path", "/v1/customers"), ("status", "429"), ("count", "1")]).page
        #expect(page.bodyString.contains("answer 429"))
        #expect(await s.post("/v1/customers").status == 429)
        #expect(await s.post("/v1/customers").status == 200)
        // The console's own calls are never hit by a fault, and a refused form shows the route's message.
        _ = await browser.submit(page, to: "/console/faults/api", [("path", "/v1/customers*"), ("status", "500"), ("count", "5")])
        #expect(await browser.get("/console/customers").status == 200)
        let refused = await browser.submit(page, to: "/console/faults/api", [("path", "customers"), ("status", "500")]).page
        #expect(refused.bodyString.contains("path must be an API path starting with /v1/"))
        _ = await browser.submit(page, to: "/console/faults/api/clear", [])
        #expect(await s.post("/v1/customers").status == 200)
    }

    @Test func timePageOffersTheNextRenewalAndTestClocks() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        _ = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", await s.monthlyPrice(1000))])
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(TestStripe.start)), ("name", "QA clock")]).id
        var browser = ConsoleBrowser(s)
        await browser.signIn(s.key)
        let time = await browser.get("/console/time")
        // The subscription renews on 15 Feb 2027 08:00; the button goes 1 h 1 min past it.
        #expect(time.bodyString.contains("To the next renewal (2027-02-15 08:00 UTC)"))
        #expect(time.bodyString.contains("QA clock"))
        let moved = await browser.submit(time, to: "/console/test_clocks/\(clock)/advance", [("by", "1d")])
        #expect(moved.page.bodyString.contains("is advancing to 2027-01-16 08:00 UTC"))
        let dated = await browser.submit(time, to: "/console/time/set", [("date", "2027-03-01")])
        #expect(dated.page.bodyString.contains("The clock is now 2027-03-01 00:00 UTC"))
        let backwards = await browser.submit(dated.page, to: "/console/time/set", [("date", "2027-01-01")])
        #expect(backwards.page.bodyString.contains("Time only moves forward"))
    }
}
