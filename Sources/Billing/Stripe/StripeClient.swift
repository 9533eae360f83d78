import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StripeWire

/// Where the app finds Stripe: the real one or the fake, from `STRIPE_API_BASE`,
/// `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET`.
public struct StripeConfiguration: Sendable {
    public var apiBase: String
    public var secretKey: String
    /// Whether the key is a live one (`sk_live_`, `rk_live_`): webhooks must be of the same mode.
    public var isLiveMode: Bool { secretKey.hasPrefix("sk_live_") || secretKey.hasPrefix("rk_live_") }
    public var webhookSecret: String?
    public var timeout: TimeAmount
    public var maxRetries: Int
    /// The first retry's wait; each further retry doubles it (plus up to half again of jitter).
    /// Scenarios shorten it, since the fake answers at once.
    public var retryBackoff: Duration
    /// The API version the app is written against, sent as `Stripe-Version` on every call (as
    /// the official SDKs pin theirs); its webhook endpoint is created at the same version. The
    /// app reads the shapes of both sides of the basil change, as apps do during an upgrade.
    public var apiVersion: String

    public static let defaultAPIVersion = "2026-10-28.endive"

    public init(apiBase: String = "https://api.stripe.com", secretKey: String, webhookSecret: String? = nil,
                timeout: TimeAmount = .seconds(20), maxRetries: Int = 2, retryBackoff: Duration = .milliseconds(100),
                apiVersion: String = StripeConfiguration.defaultAPIVersion) {
        self.apiVersion = apiVersion
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryBackoff = retryBackoff
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> StripeConfiguration? {
        guard let key = env["STRIPE_SECRET_KEY"] else { return nil }
        return StripeConfiguration(apiBase: env["STRIPE_API_BASE"] ?? "https://api.stripe.com", secretKey: key,
                                   webhookSecret: env["STRIPE_WEBHOOK_SECRET"],
                                   apiVersion: env["STRIPE_API_VERSION"] ?? StripeConfiguration.defaultAPIVersion)
    }
}

/// A failed Stripe call: Stripe's own error, or no answer at all.
public enum StripeCallError: Error, CustomStringConvertible {
    case stripe(StripeError)
    case transport(String)

    /// Stripe says the object does not exist (`404 resource_missing`): deleted, or never there.
    public var isResourceMissing: Bool {
        if case .stripe(let e) = self { return e.status == 404 }
        return false
    }

    /// Whether trying again later can succeed: no answer, 429, or a 5xx. Any other 4xx says the
    /// request itself is wrong for the current state, and repeating it gives the same answer.
    public var isRetryable: Bool {
        switch self {
        case .transport: return true
        case .stripe(let e): return e.status == 429 || e.status >= 500
        }
    }

    public var description: String {
        switch self {
        case .stripe(let e): return "Stripe answered \(e)"
        case .transport(let s): return "Stripe could not be reached: \(s)"
        }
    }
}

/// The app's small Stripe client over the wire format in `StripeWire`: form bodies as the
/// official SDKs encode them, an idempotency key on every POST (the same one across retries),
/// retries with backoff on 409, 429 and 5xx unless `Stripe-Should-Retry: false`, and a timeout.
public struct StripeClient: Sendable {
    public let configuration: StripeConfiguration
    let logger: Logger
    /// Where each attempt's latency and status, retries and final errors are recorded.
    var metrics: AppMetrics?

    /// This client recording into `metrics` (the service's registry).
    func observed(by metrics: AppMetrics) -> StripeClient {
        var copy = self
        copy.metrics = metrics
        return copy
    }

    /// A path as a metrics label: ids (a prefix, `_`, then letters and digits with at least one
    /// digit or capital: `sub_000000000001`, `in_1Abc…`) become `{id}` and the query is dropped,
    /// so the number of series stays bounded (`/v1/test_helpers/test_clocks` stays as it is).
    static func endpoint(_ path: String) -> String {
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return bare.split(separator: "/", omittingEmptySubsequences: false).map { part in
            guard let tail = part.split(separator: "_").last, part.contains("_"),
                  tail.contains(where: { $0.isNumber || $0.isUppercase }) else { return String(part) }
            return "{id}"
        }.joined(separator: "/")
    }

    public init(configuration: StripeConfiguration, logger: Logger = Logger(label: "effinity.app.stripe")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func post(_ path: String, _ params: [(String, FormValue)] = [], idempotencyKey: String? = nil) async throws -> JSONValue {
        try await call("POST", path, body: FormEncoder.encode(params), idempotencyKey: idempotencyKey ?? UUID().uuidString)
    }

    /// `DELETE` (cancel a subscription, delete a customer); parameters go in the query, as the SDKs send them.
    public func delete(_ path: String, _ params: [(String, FormValue)] = []) async throws -> JSONValue {
        let query = FormEncoder.encode(params)
        return try await call("DELETE", query.isEmpty ? path : "\(path)?\(query)", body: "", idempotencyKey: nil)
    }

    public func get(_ path: String, _ params: [(String, FormValue)] = []) async throws -> JSONValue {
        let query = FormEncoder.encode(params)
        return try await call("GET", query.isEmpty ? path : "\(path)?\(query)", body: "", idempotencyKey: nil)
    }

    func call(_ method: String, _ path: String, body: String, idempotencyKey: String?) async throws -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: configuration.apiBase + path)
            request.method = method == "POST" ? .POST : method == "DELETE" ? .DELETE : .GET
            request.headers.add(name: "Authorization", value: "Bearer \(configuration.secretKey)")
            request.headers.add(name: "Stripe-Version", value: configuration.apiVersion)
            request.headers.add(name: "User-Agent", value: "effinity-billing/1.0")
            if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
            if method == "POST" {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let status: Int
            let bytes: [UInt8]
            let shouldRetryHeader: String?
            let started = ContinuousClock.now
            let endpoint = Self.endpoint(path)
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: configuration.timeout)
                status = Int(response.status.code)
                shouldRetryHeader = response.headers.first(name: "Stripe-Should-Retry")
                bytes = Array(buffer: try await response.body.collect(upTo: 16 << 20))
                metrics?.recordStripeAttempt(method: method, endpoint: endpoint, status: String(status), duration: ContinuousClock.now - started)
            } catch {
                metrics?.recordStripeAttempt(method: method, endpoint: endpoint, status: "error", duration: ContinuousClock.now - started)
                if attempt <= configuration.maxRetries {
                    metrics?.recordStripeRetry(endpoint: endpoint, status: "error")
                    try await backoff(attempt)
                    continue
                }
                metrics?.recordStripeError(endpoint: endpoint, status: "error")
                throw StripeCallError.transport("\(error)")
            }
            let json = (try? JSONParser.parse(bytes)) ?? .null
            if (200..<300).contains(status) { return json }
            let retryable = shouldRetryHeader.map { $0 == "true" } ?? (status == 409 || status == 429 || status >= 500)
            if retryable, attempt <= configuration.maxRetries {
                logger.notice("retrying Stripe call", metadata: ["path": "\(path)", "status": "\(status)", "attempt": "\(attempt)"])
                metrics?.recordStripeRetry(endpoint: endpoint, status: String(status))
                try await backoff(attempt)
                continue
            }
            metrics?.recordStripeError(endpoint: endpoint, status: String(status))
            throw StripeCallError.stripe(StripeError(status: status, body: json)
                ?? StripeError(status: status, type: .apiError, message: "Unexpected answer from Stripe (HTTP \(status))."))
        }
    }

    func backoff(_ attempt: Int) async throws {
        let base = configuration.retryBackoff * (1 << min(attempt - 1, 5))
        try await Task.sleep(for: base + base * Double.random(in: 0...0.5))
    }
}
