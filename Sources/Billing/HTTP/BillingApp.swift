import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StripeWire

/// The app's HTTP surface: `/api/billing/*`, the CRM routes that consume limits, members,
/// sign-in (`/auth/link`, `/api/auth/*`), the webhook receiver, the dashboard and `/metrics`.
/// Every route but the webhook, sign-in, `/health` and `/metrics` needs a bearer token (or the
/// dashboard's session cookie, with a CSRF token for a change), every query is scoped to the
/// caller's organization (another org's data is a 404, never a 403), and what a role may do is
/// ``Permission``. Who the caller is comes from an ``Authenticator`` (API tokens by default).
public struct BillingApp: Sendable {
    public let service: BillingService
    public let authenticator: any Authenticator
    /// Browser sessions (the cookie) are always the app's own.
    let sessions: SessionAuthenticator
    /// The bearer token `/metrics` asks for; without one `/metrics` is closed (404), so a
    /// deployment that forgets it exposes nothing (see the README's "Metrics").
    let metricsToken: String?
    /// Verifies Firebase ID tokens for `POST /api/auth/session`; nil: that route is 404.
    let idTokens: (any IDTokenVerifier)?
    let limiter: FailedAuthLimiter
    let logger: Logger
    let inFlight = InFlightKeys()

    /// The client address of the request being handled (set by ``SecurityHeadersMiddleware``).
    @TaskLocal static var clientAddress = "local"

    /// `authenticator` defaults to a ``SessionAuthenticator`` over the service's store and clock.
    public init(service: BillingService, authenticator: (any Authenticator)? = nil, metricsToken: String? = nil,
                idTokens: (any IDTokenVerifier)? = nil, limiter: FailedAuthLimiter = FailedAuthLimiter(),
                logger: Logger = Logger(label: "effinity.app")) {
        self.service = service
        self.sessions = SessionAuthenticator(store: service.store, clock: service.clock)
        self.authenticator = authenticator ?? sessions
        self.metricsToken = metricsToken.flatMap { $0.isEmpty ? nil : $0 }
        self.idTokens = idTokens
        self.limiter = limiter
        self.logger = logger
    }

    /// Whether the app's public URL is https: the cookie is `Secure` and HSTS is sent.
    var https: Bool { service.appURL.lowercased().hasPrefix("https://") }

    public func router() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        // First, so it wraps every route registered below.
        router.add(middleware: RequestMetricsMiddleware(metrics: service.metrics))
        router.add(middleware: SecurityHeadersMiddleware(https: https))
        router.add(middleware: ErrorMiddleware(metrics: service.metrics, logger: logger))
        router.get("/health") { _, _ in Self.json(200, ["ok": true]) }
        // Aggregates only (no org, user or token), yet not for the world: a bearer token
        // (EFFINITY_METRICS_TOKEN), and closed when none is configured.
        router.get("/metrics") { req, _ in
            guard let expected = self.metricsToken else { return Self.json(404, ["error": ["status": 404, "code": "not_found", "message": "Not found."]]) }
            guard let presented = Self.bearer(req), Digest.constantTimeEqual(Array(presented.utf8), Array(expected.utf8)) else {
                return Self.json(401, ["error": ["status": 401, "code": "unauthorized", "message": "Send the metrics token as `Authorization: Bearer <token>`."]])
            }
            let text = try await self.service.metrics.exposition(store: self.service.store, catalog: self.service.policy.catalog,
                                                                 now: self.service.clock.now())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/billing/subscription") { req, _ in try await self.route(req, .viewPlan) { caller in try await self.subscription(caller) } }
        router.post("/api/billing/subscription") { req, _ in
            try await self.post(req, .manageBilling) { caller, body in
                let plan = try Self.field(body, "plan")
                if plan == "free" { return try await self.service.changePlan(org: caller.org, email: caller.email, planID: plan) }
                let session = try await self.service.startCheckout(org: caller.org, email: caller.email, planID: plan)
                return ["checkout_session_id": .string(session.id), "url": .string(session.url)]
            }
        }
        router.post("/api/billing/portal") { req, _ in
            try await self.post(req, .manageBilling) { caller, _ in ["url": .string(try await self.service.portalURL(org: caller.org))] }
        }
        router.post("/api/billing/upgrade") { req, _ in
            try await self.post(req, .manageBilling) { caller, body in
                try await self.service.changePlan(org: caller.org, email: caller.email, planID: try Self.field(body, "plan"))
            }
        }
        router.get("/api/billing/usage") { req, _ in try await self.route(req, .viewPlan) { caller in try await self.service.usage(org: caller.org) } }
        router.get("/api/billing/invoices") { req, _ in
            try await self.route(req, .viewInvoices) { caller in
                let invoices = try await self.service.store.read { tx in try tx.invoices(org: caller.org) }
                return ["data": .array(invoices.map(Self.render))]
            }
        }
        router.post("/api/billing/webhooks") { req, _ in
            await self.respond(req) {
                let body = Array(buffer: try await req.body.collect(upTo: Self.webhookBodyLimit))
                let signature = req.headers[HTTPField.Name("Stripe-Signature")!]
                let outcome = try await self.service.handleWebhook(payload: body, signature: signature)
                switch outcome {
                case .queued(let id), .processed(let id), .duplicate(let id), .ignored(let id):
                    return ["received": true, "event": .string(id), "outcome": .string(outcome.label)]
                }
            }
        }
        router.post("/api/leads") { req, _ in
            try await self.post(req, .useCRM, status: 201) { caller, body in
                try Self.only(body, ["name", "email"])
                let name = try Self.field(body, "name", max: 200)
                let email = try Self.optionalField(body, "email", max: 254)
                if let email, !Self.isEmail(email) { throw AppError.validation(["email": "Must be an email address."]) }
                return Self.render(try await self.service.createLead(org: caller.org, name: name, email: email))
            }
        }
        router.get("/api/leads") { req, _ in
            try await self.route(req, .useCRM) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.leads(org: caller.org) }.map(Self.render))]
            }
        }
        router.get("/api/leads/{id}") { req, context in
            try await self.route(req, .useCRM) { caller in
                let id = context.parameters.get("id") ?? ""
                // Scoped by organization: another org's lead is simply not found.
                guard let lead = try await self.service.store.read({ tx in try tx.leads(org: caller.org).first { $0.id == id } }) else {
                    throw AppError.notFound("lead")
                }
                return Self.render(lead)
            }
        }
        router.get("/api/properties/{id}") { req, context in
            try await self.route(req, .useCRM) { caller in
                let id = context.parameters.get("id") ?? ""
                guard let p = try await self.service.store.read({ tx in try tx.properties(org: caller.org).first { $0.id == id } }) else {
                    throw AppError.notFound("property")
                }
                return Self.render(p)
            }
        }
        router.post("/api/properties") { req, _ in
            try await self.post(req, .useCRM, status: 201) { caller, body in
                try Self.only(body, ["title", "address"])
                return Self.render(try await self.service.createProperty(org: caller.org, title: try Self.field(body, "title", max: 200),
                                                                         address: try Self.optionalField(body, "address", max: 500)))
            }
        }
        router.get("/api/properties") { req, _ in
            try await self.route(req, .useCRM) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.properties(org: caller.org) }.map(Self.render))]
            }
        }
        router.post("/api/members") { req, _ in
            try await self.post(req, .inviteMembers, status: 201) { caller, body in
                try Self.only(body, ["email", "role"])
                let email = try Self.field(body, "email", max: 254)
                guard Self.isEmail(email) else { throw AppError.validation(["email": "Must be an email address."]) }
                let role = Role(rawValue: try Self.optionalField(body, "role", max: 20) ?? "member")
                guard let role, role != .owner else { throw AppError.validation(["role": "Must be admin or member."]) }
                return Self.render(try await self.service.addMember(org: caller.org, email: email, role: role))
            }
        }
        router.get("/api/members") { req, _ in
            try await self.route(req, .viewMembers) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.members(org: caller.org) }.map(Self.render))]
            }
        }
        router.patch("/api/members/{user}") { req, context in
            try await self.post(req, .manageRoles) { caller, body in
                try Self.only(body, ["role"])
                guard let role = Role(rawValue: try Self.field(body, "role", max: 20)) else {
                    throw AppError.validation(["role": "Must be owner, admin or member."])
                }
                return Self.render(try await self.service.changeRole(org: caller.org, userID: context.parameters.get("user") ?? "", to: role))
            }
        }
        router.delete("/api/members/{user}") { req, context in
            try await self.post(req, .manageRoles) { caller, _ in
                let user = context.parameters.get("user") ?? ""
                try await self.service.removeMember(org: caller.org, userID: user)
                return ["removed": .string(user)]
            }
        }
        AuthRoutes(app: self).register(router)
        DashboardRoutes(app: self).register(router)
        CRMRoutes(app: self).register(router)
        return router
    }

    // MARK: Plumbing

    /// How a request proves who it is: a bearer token (API calls, checked by ``authenticator``)
    /// or the browser session cookie (checked by ``sessions``, CSRF-protected for changes).
    enum Credential {
        case bearer(String)
        case cookie(String)
    }

    static func bearer(_ req: Request) -> String? {
        guard let auth = req.headers[.authorization], auth.lowercased().hasPrefix("bearer ") else { return nil }
        let token = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    static func credential(_ req: Request) -> Credential? {
        if let token = bearer(req) { return .bearer(token) }
        return SessionCookie.value(in: req.headers).map(Credential.cookie)
    }

    /// The caller, or a 401 (429 once the client address failed too often, see ``FailedAuthLimiter``).
    /// A change (`change: true`) made with the cookie must come from the app's own pages: an
    /// `Origin`, when sent, must be the app's, and the session's CSRF token must be in `formCSRF`
    /// (a form field) or the `X-CSRF-Token` header; else 403 `csrf_failed`.
    func authenticate(_ req: Request, change: Bool = false, formCSRF: String? = nil) async throws -> Caller {
        guard let credential = Self.credential(req) else { throw AppError.unauthorized }
        let address = Self.clientAddress, now = service.clock.now()
        if let wait = limiter.retryAfter(address, now: now) {
            throw AppError(429, "too_many_failed_authentications",
                           "Too many failed sign-in attempts from this address; try again in \(wait) seconds.", retryAfter: wait)
        }
        let caller: Caller?
        switch credential {
        case .bearer(let token): caller = try await authenticator.authenticate(bearer: token)
        case .cookie(let token): caller = try await sessions.authenticate(cookie: token)
        }
        guard let caller else {
            limiter.recordFailure(address, now: now)
            throw AppError(401, "unauthorized", "This token is unknown, expired or revoked.")
        }
        if change, case .cookie(let token) = credential {
            try checkOrigin(req)
            guard CSRFToken.verify(formCSRF ?? req.headers[HTTPField.Name(CSRFToken.header)!], session: token) else {
                throw AppError(403, "csrf_failed", "This change needs the page's CSRF token (the X-CSRF-Token header or the csrf_token field).")
            }
        }
        return caller
    }

    /// The app's own origin (scheme, host, port of its public URL).
    var origin: String {
        guard let url = URL(string: service.appURL), let scheme = url.scheme, let host = url.host else { return service.appURL }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// A browser's `Origin` on a change must be the app's: another site's form or script is
    /// refused before anything runs. (Clients that send no `Origin` are not browsers doing a
    /// cross-site request; the CSRF token still applies to them when they use the cookie.)
    func checkOrigin(_ req: Request) throws {
        guard let sent = req.headers[.origin] else { return }
        guard sent.lowercased() == origin.lowercased() else {
            throw AppError(403, "csrf_failed", "Cross-site requests are refused (Origin \(sent)).")
        }
    }

    func route(_ req: Request, _ permission: Permission, status: Int = 200,
               _ body: @escaping @Sendable (Caller) async throws -> JSONValue) async throws -> Response {
        await respond(req, status: status) {
            let caller = try await self.authenticate(req)
            try Self.require(permission, caller)
            return try await body(caller)
        }
    }

    /// The one place a role is checked against ``Permission``.
    static func require(_ permission: Permission, _ caller: Caller) throws {
        guard permission.allows(caller.role) else {
            throw AppError(403, "forbidden", permission == .manageRoles ? "Only owners can change roles or remove members."
                           : permission == .viewPlan || permission == .useCRM || permission == .viewMembers ? "Not allowed."
                           : "Only owners and admins can manage billing and members.")
        }
    }

    /// A POST route: the JSON body is read once and handed over. With an `Idempotency-Key`
    /// header, the first answer below 500 is kept for 24 hours per organization and replayed
    /// (with `Idempotent-Replayed: true`) to a retry with the same path and body, so a client
    /// that retries after a timeout never subscribes or creates a lead twice. A key reused for a
    /// different request is a 422.
    func post(_ req: Request, _ permission: Permission, status: Int = 200,
              _ handler: @escaping @Sendable (Caller, JSONValue) async throws -> JSONValue) async throws -> Response {
        let key = req.headers[HTTPField.Name("Idempotency-Key")!]
        let caller: Caller, input: JSONValue, fingerprint: String
        var claimed: (org: String, key: String)? = nil
        defer { if let claimed { inFlight.release(claimed.org, claimed.key) } }
        do {
            caller = try await authenticate(req, change: true)
            try Self.require(permission, caller)
            input = try await Self.body(req)
            fingerprint = "\(req.method.rawValue) \(req.uri.path) \(JSONWriter.string(input))"
            if let key {
                guard !key.isEmpty, key.count <= 255 else {
                    throw AppError.validation(["Idempotency-Key": "Between 1 and 255 characters."])
                }
                // Claimed before the stored answer is read: a request that finds neither a stored
                // answer nor a claim is the only one running the action.
                guard inFlight.claim(caller.org, key) else {
                    throw AppError(409, "idempotency_key_in_use",
                                   "A request with this Idempotency-Key is still being processed. Retry once it has finished.")
                }
                claimed = (caller.org, key)
                let since = service.clock.now() - 86400
                if let stored = try await service.store.read({ tx in try tx.idempotentResponse(org: caller.org, key: key, since: since) }) {
                    guard stored.fingerprint == fingerprint else {
                        throw AppError(422, "idempotency_key_reused", "This Idempotency-Key was already used for a different request.")
                    }
                    return Response(status: .init(code: stored.status),
                                    headers: [.contentType: "application/json", HTTPField.Name("Idempotent-Replayed")!: "true"],
                                    body: .init(byteBuffer: ByteBuffer(string: stored.body)))
                }
            }
        } catch {
            return await respond(req) { throw error }
        }
        let (code, json) = await outcome(req, status: status) { try await handler(caller, input) }
        // A 409 says "try again" (a conflict, or the app's mirror behind Stripe): not kept, so the
        // retry it asks for is not answered with it for 24 hours. Stripe does not keep 409s either.
        if let key, code < 500, code != 409 {
            let stored = StoredResponse(fingerprint: fingerprint, status: code, body: JSONWriter.string(json))
            let now = service.clock.now()
            try? await service.store.write { tx in try tx.storeIdempotentResponse(org: caller.org, key: key, stored, at: now) }
        }
        var response = Self.json(code, json)
        if code == 429, let wait = json["error"]["retry_after"].intValue { response.headers[.retryAfter] = String(wait) }
        return response
    }

    func respond(_ req: Request, status: Int = 200, _ body: @Sendable () async throws -> JSONValue) async -> Response {
        let (code, json) = await outcome(req, status: status, body)
        var response = Self.json(code, json)
        if code == 429, let wait = json["error"]["retry_after"].intValue { response.headers[.retryAfter] = String(wait) }
        return response
    }

    /// Runs a handler and turns what it throws into the app's error JSON: 4xx for refusals (and
    /// for Stripe's 4xx), 502 when a retry may help (Stripe unreachable, 429, 5xx), 500 with a
    /// request id (details only in the log).
    ///
    /// Every error is counted by status and code (`effinity_http_errors_total`) and logged with
    /// the request's id (``ErrorMiddleware``), which the body also names, so a user's report
    /// ("request req_… failed") leads to the log line.
    func outcome(_ req: Request, status: Int = 200, _ body: @Sendable () async throws -> JSONValue) async -> (Int, JSONValue) {
        let (code, json) = await uncounted(req, status: status, body)
        if code >= 400 {
            let errorCode = json["error"]["code"].stringValue ?? "unknown"
            service.metrics.recordError(status: code, code: errorCode)
            if code < 500 {
                logger.notice("request refused", metadata: ["request_id": "\(Self.requestID(req))", "path": "\(req.uri.path)",
                                                            "status": "\(code)", "code": "\(errorCode)"])
            }
        }
        return (code, json)
    }

    /// The id ``ErrorMiddleware`` gave the request (a new one for a request that did not pass it).
    static func requestID(_ req: Request) -> String {
        req.headers[ErrorMiddleware<BasicRequestContext>.header] ?? "req_" + BillingService.token(16)
    }

    /// The 500 body: nothing of the cause (that is in the log), the id to find it by.
    static func internalError(_ id: String) -> JSONValue {
        ["error": ["status": 500, "code": "internal_error", "message": "Something went wrong. Quote this request id if you contact support.",
                   "request_id": .string(id)]]
    }

    private func uncounted(_ req: Request, status: Int, _ body: @Sendable () async throws -> JSONValue) async -> (Int, JSONValue) {
        do {
            return (status, try await body())
        } catch let e as AppError where e.status == 500 {
            // The app's own fault (misconfiguration and the like): the cause goes to the log only.
            let id = Self.requestID(req)
            logger.error("internal error", metadata: ["request_id": "\(id)", "code": "\(e.code)", "error": "\(e.message)", "path": "\(req.uri.path)"])
            return (500, Self.internalError(id))
        } catch let e as AppError {
            var error: JSONValue = ["status": .int(e.status), "code": .string(e.code), "message": .string(e.message)]
            if !e.fields.isEmpty { error["fields"] = .object(e.fields.mapValues { .string($0) }) }
            if let wait = e.retryAfter { error["retry_after"] = .int(wait) }
            if let u = e.upgrade {
                error["upgrade"] = ["resource": .string(u.resource), "limit": .int(u.limit), "used": .int(u.used),
                                    "current_plan": .string(u.currentPlan), "suggested_plan": .from(u.suggestedPlan),
                                    "upgrade_url": .string(u.upgradeURL)]
            }
            return (e.status, ["error": error])
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            return (413, ["error": ["status": 413, "code": "body_too_large", "message": "The request body is too large."]])
        } catch let e as StripeCallError {
            // 502 only for what a retry can fix; a 4xx from Stripe is a 4xx of the app (see AppError.init(_: StripeCallError)).
            let mapped = AppError(e)
            logger.error("Stripe call failed", metadata: ["request_id": "\(Self.requestID(req))", "error": "\(e)", "path": "\(req.uri.path)",
                                                          "status": "\(mapped.status)"])
            return (mapped.status, ["error": ["status": .int(mapped.status), "code": .string(mapped.code), "message": .string(mapped.message)]])
        } catch {
            let id = Self.requestID(req)
            logger.error("unexpected error", metadata: ["request_id": "\(id)", "error": "\(error)", "path": "\(req.uri.path)"])
            return (500, Self.internalError(id))
        }
    }

    /// The largest JSON body a route reads (a lead or property is far smaller), and a webhook's.
    static let bodyLimit = 64 << 10
    static let webhookBodyLimit = 1 << 20

    static func body(_ req: Request) async throws -> JSONValue {
        let bytes = Array(buffer: try await req.body.collect(upTo: bodyLimit))
        guard !bytes.isEmpty else { return [:] }
        guard let json = try? JSONParser.parse(bytes), case .object = json else {
            throw AppError(400, "invalid_json", "The body must be a JSON object.")
        }
        return json
    }

    /// A required string field, trimmed, of at most `max` characters; else a 400 naming it.
    static func field(_ body: JSONValue, _ name: String, max: Int = 500) throws -> String {
        guard let v = try optionalField(body, name, max: max) else {
            throw AppError.validation([name: body[name].isNull ? "Required." : "Must be a non-empty string."])
        }
        return v
    }

    /// An optional string field: absent or null is nil; any other type, an empty string or
    /// more than `max` characters is a 400 naming the field (never silently dropped).
    static func optionalField(_ body: JSONValue, _ name: String, max: Int) throws -> String? {
        if body[name].isNull { return nil }
        guard let v = body[name].stringValue?.trimmingCharacters(in: .whitespaces) else {
            throw AppError.validation([name: "Must be a string."])
        }
        guard !v.isEmpty else { throw AppError.validation([name: "Must be a non-empty string."]) }
        guard v.count <= max else { throw AppError.validation([name: "At most \(max) characters."]) }
        return v
    }

    /// Refuses fields the route does not read (a typo is a 400, not a silently ignored value).
    static func only(_ body: JSONValue, _ names: Set<String>) throws {
        guard case .object(let fields) = body else { return }
        if let unknown = fields.keys.sorted().first(where: { !names.contains($0) }) {
            throw AppError.validation([unknown: "Unknown field; this route reads \(names.sorted().joined(separator: ", "))."])
        }
    }

    /// A plausible email address: one `@` with text on both sides, a dot in the domain, no spaces.
    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !s.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.data(value))))
    }

    func subscription(_ caller: Caller) async throws -> JSONValue {
        let sub = try await service.store.read { tx in try tx.subscription(org: caller.org) }
        guard let sub else { return ["plan": nil, "status": "none"] }
        // The limits in force: the free plan's once a subscription ended, whatever plan it was for.
        let plan = service.policy.planInForce(sub)
        return [
            "plan": .string(sub.plan), "status": .string(sub.status), "trial_end": .from(sub.trialEnd),
            "current_period_start": .from(sub.currentPeriodStart), "current_period_end": .from(sub.currentPeriodEnd),
            "cancel_at_period_end": .bool(sub.cancelAtPeriodEnd), "stripe_subscription_id": .from(sub.stripeSubscriptionID),
            "limits": ["leads_per_period": .from(plan?.limits.leadsPerPeriod), "properties": .from(plan?.limits.properties),
                       "seats": .from(plan?.limits.seats)],
        ]
    }

    static func render(_ m: Membership) -> JSONValue {
        ["user_id": .string(m.userID), "email": .string(m.email), "role": .string(m.role.rawValue)]
    }

    static func render(_ l: Lead) -> JSONValue {
        ["id": .string(l.id), "name": .string(l.name), "email": .from(l.email), "created_at": .int(l.createdAt)]
    }

    static func render(_ p: Property) -> JSONValue {
        ["id": .string(p.id), "title": .string(p.title), "address": .from(p.address), "created_at": .int(p.createdAt)]
    }

    static func render(_ i: Invoice) -> JSONValue {
        ["id": .string(i.stripeInvoiceID), "number": .from(i.number), "amount_due": .int(i.amountDue), "amount_paid": .int(i.amountPaid),
         "currency": .string(i.currency), "status": .string(i.status), "hosted_invoice_url": .from(i.hostedInvoiceURL),
         "invoice_pdf": .from(i.invoicePDF), "period_start": .from(i.periodStart), "period_end": .from(i.periodEnd),
         "paid_at": .from(i.paidAt), "created_at": .int(i.createdAt)]
    }
}
