import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StripeWire
import EffinityTesting
import StripeEmulator
import Testing
@testable import Billing

/// The fake Stripe and the EFFINITY app, both on real loopback ports, wired together by
/// ``WiredStack`` (the runner's and `effinity dev`'s wiring): the app calls the fake over HTTP and
/// the fake delivers signed webhooks to the app. Time is frozen and moves for both at once.
/// `app` calls the same app (same service and store) through its router, without a socket.
struct AppEnv {
    let emulator: StripeEmulator
    let key: String
    let service: BillingService
    let clock: any AppClock
    let app: any TestClientProtocol
    let start: Int

    /// `authenticator` replaces the app's session authenticator when given.
    static let metricsToken = "test-metrics-token"

    static func run(start: Int = 1_800_000_000, authenticator: (any Authenticator)? = nil, idTokens: (any IDTokenVerifier)? = nil,
                    _ body: @escaping @Sendable (AppEnv) async throws -> Void) async throws {
        var options = WiredStack.Options()
        options.key = "sk_test_app_" + BillingService.token(10)
        options.settings = EmulatorSettings(wallClock: FixedWallClock(start))
        options.appURL = "http://app.test"
        options.authenticator = authenticator
        options.metricsToken = metricsToken
        options.idTokens = idTokens
        options.stripeTimeout = .seconds(20)
        options.maxRetries = 0
        options.syncPlans = false
        let stack = try await WiredStack.start(store: try SQLiteBillingStore.inMemory(), options: options)
        do {
            let bearer = authenticator ?? idTokens.map { FirebaseAuthenticator(verifier: $0, service: stack.service) }
            let router = BillingApp(service: stack.service, authenticator: bearer, metricsToken: metricsToken, idTokens: idTokens).router()
            try await Application(router: router).test(.router) { appClient in
                try await body(AppEnv(emulator: stack.emulator, key: stack.key, service: stack.service,
                                      clock: FakeStripeClock(emulator: stack.emulator, account: stack.key), app: appClient, start: start))
            }
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    /// A user, org and membership, and a session token for them.
    func token(_ email: String, org: String, role: Role = .owner) async throws -> String {
        let (user, _, _) = try await service.ensureMember(email: email, org: org, role: role)
        return try await service.createSession(userID: user.id, orgID: org)
    }

    struct Reply {
        let status: Int
        let json: JSONValue
        var headers: HTTPFields = [:]
    }

    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, _ body: JSONValue? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers.append(contentsOf: extra)
        let response = try await app.execute(uri: path, method: method, headers: headers,
                                             body: body.map { ByteBuffer(bytes: JSONWriter.data($0)) })
        return Reply(status: Int(response.status.code), json: (try? JSONParser.parse(Array(buffer: response.body))) ?? .null,
                     headers: response.headers)
    }

    /// A browser session (cookie token) for a member, through a one-time sign-in link as a browser would.
    func browserSession(_ email: String, org: String, role: Role = .owner) async throws -> String {
        let (user, _, _) = try await service.ensureMember(email: email, org: org, role: role)
        let code = try await service.createSignInLink(userID: user.id, orgID: org)
        let r = try await app.execute(uri: "/auth/link", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                      body: ByteBuffer(string: "code=\(code)"))
        let cookie = try #require(r.headers[.setCookie])
        return String(cookie.dropFirst("effinity_session=".count).prefix { $0 != ";" })
    }

    /// A request with the browser session cookie (and, when given, the CSRF token header and an Origin).
    func cookieCall(_ method: HTTPRequest.Method, _ path: String, session: String, csrf: String? = nil, origin: String? = nil,
                    _ body: JSONValue? = nil) async throws -> Reply {
        var headers: HTTPFields = [.cookie: "effinity_session=\(session)"]
        if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        if let origin { headers[.origin] = origin }
        return try await call(method, path, body, headers: headers)
    }

    /// A Stripe API call as the test (not the app).
    @discardableResult
    func stripe(_ method: String, _ path: String, _ body: String = "") async throws -> JSONValue {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let r = await emulator.handle(APICall(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil,
                                              body: Array(body.utf8), headers: ["Authorization": "Bearer \(key)"]))
        return try JSONParser.parse(r.body)
    }

    /// Posts a payload signed with the app's webhook secret at `timestamp` (the app's now by default).
    /// The route answers `queued` and a worker applies the event later: this runs the app's due
    /// jobs at once and reports, in `outcome`, what the event's job did (`processed`, `ignored`,
    /// `duplicate`); a delivery seen before is answered `duplicate` by the route itself.
    func deliver(_ event: JSONValue, timestamp: Int? = nil, secret: String? = nil) async throws -> Reply {
        let reply = try await post(event, timestamp: timestamp, secret: secret)
        guard reply.json["outcome"] == "queued", let id = reply.json["event"].stringValue else { return reply }
        try await JobWorker(service: service).drain()
        var json = reply.json
        json["outcome"] = .from(try await service.store.read { tx in try tx.job(eventID: id) }?.outcome)
        return Reply(status: reply.status, json: json)
    }

    /// Posts a signed payload and returns the route's own answer (no job is run).
    func post(_ event: JSONValue, timestamp: Int? = nil, secret: String? = nil) async throws -> Reply {
        let payload = JSONWriter.data(event)
        let header = WebhookSignature.header(payload: payload, secrets: [secret ?? service.stripe.configuration.webhookSecret!],
                                             timestamp: timestamp ?? clock.now())
        let r = try await app.execute(uri: "/api/billing/webhooks", method: .post, headers: [.init("Stripe-Signature")!: header],
                                      body: ByteBuffer(bytes: payload))
        return Reply(status: Int(r.status.code), json: (try? JSONParser.parse(Array(buffer: r.body))) ?? .null)
    }

    /// The `/metrics` text, and one sample's value by its full name with labels (nil when absent).
    func metrics() async throws -> String {
        String(buffer: try await app.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.metricsToken)"]).body)
    }

    func sample(_ series: String) async throws -> Double? {
        for line in try await metrics().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    func drain() async throws { try await emulator.drainDeliveries(account: key) }

    /// Moves the fake's clock and the app's together; deliveries on the way are drained.
    func advance(_ span: String) async throws {
        let now = try await stripe("GET", "/_emulator/time")["now"].intValue!
        let target = try TimeSpan(parsing: span).after(now)
        try await emulator.travel(account: key, to: target)
        try await drain()
    }

    /// Subscribes an org through Checkout completed headlessly with a card.
    func subscribe(token: String, plan: String, card: String = "4242424242424242") async throws -> String {
        let r = try await call(.post, "/api/billing/subscription", token: token, ["plan": .string(plan)])
        guard r.status == 200, let session = r.json["checkout_session_id"].stringValue else {
            throw AppError(r.status, "setup", "checkout failed: \(JSONWriter.string(r.json))")
        }
        try await stripe("POST", "/_emulator/checkout/\(session)/complete", "card=\(card)")
        try await drain()
        return session
    }
}
