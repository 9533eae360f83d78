import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StripeWire

/// The app's HTTP surface: `/api/billing/*`, the CRM routes that consume limits, the webhook
/// receiver, the dashboard and `/metrics`. Every route but the webhook, `/health` and `/metrics`
/// needs a bearer token (or the dashboard's session cookie), and every
/// query is scoped to the caller's organization (another org's data is a 404, never a 403).
/// Who the caller is comes from an ``Authenticator`` (session tokens by default).
public struct BillingApp: Sendable {
    public let service: BillingService
    public let authenticator: any Authenticator
    let logger: Logger
    let inFlight = InFlightKeys()

    /// `authenticator` defaults to a ``SessionAuthenticator`` over the service's store and clock.
    public init(service: BillingService, authenticator: (any Authenticator)? = nil, logger: Logger = Logger(label: "effinity.app")) {
        self.service = service
        self.authenticator = authenticator ?? SessionAuthenticator(store: service.store, clock: service.clock)
        self.logger = logger
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // First, so it wraps every route registered below.
        router.add(middleware: RequestMetricsMiddleware(metrics: service.metrics))
        router.add(middleware: ErrorMiddleware(metrics: service.metrics, logger: logger))
        router.get("/health") { _, _ in Self.json(200, ["ok": true]) }
        // Unauthenticated on purpose: Prometheus scrapes it from inside the network, and it holds
        // only aggregates (no org, user or token). Do not expose it through a public ingress.
        router.get("/metrics") { _, _ in
            let text = try await self.service.metrics.exposition(store: self.service.store, catalog: self.service.policy.catalog,
                                                                 now: self.service.clock.now())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/billing/subscription") { req, _ in try await self.route(req) { caller in try await self.subscription(caller) } }
        router.post("/api/billing/subscription") { req, _ in
            try await self.post(req, billing: true) { caller, body in
                let plan = try Self.field(body, "plan")
                if plan == "free" { return try await self.service.changePlan(org: caller.org, email: caller.email, planID: plan) }
                let session = try await self.service.startCheckout(org: caller.org, email: caller.email, planID: plan)
                return ["checkout_session_id": .string(session.id), "url": .string(session.url)]
            }
        }
        router.post("/api/billing/portal") { req, _ in
            try await self.post(req, billing: true) { caller, _ in ["url": .string(try await self.service.portalURL(org: caller.org))] }
        }
        router.post("/api/billing/upgrade") { req, _ in
            try await self.post(req, billing: true) { caller, body in
                try await self.service.changePlan(org: caller.org, email: caller.email, planID: try Self.field(body, "plan"))
            }
        }
        router.get("/api/billing/usage") { req, _ in try await self.route(req) { caller in try await self.service.usage(org: caller.org) } }
        router.get("/api/billing/invoices") { req, _ in
            try await self.route(req) { caller in
                let invoices = try await self.service.store.read { tx in try tx.invoices(org: caller.org) }
                return ["data": .array(invoices.map(Self.render))]
            }
        }
        router.post("/api/billing/webhooks") { req, _ in
            await self.respond(req) {
                let body = Array(buffer: try await req.body.collect(upTo: 2 << 20))
                let signature = req.headers[HTTPField.Name("Stripe-Signature")!]
                let outcome = try await self.service.handleWebhook(payload: body, signature: signature)
                switch outcome {
                case .queued(let id), .processed(let id), .duplicate(let id), .ignored(let id):
                    return ["received": true, "event": .string(id), "outcome": .string(outcome.label)]
                }
            }
        }
        router.post("/api/leads") { req, _ in
            try await self.post(req, status: 201) { caller, body in
                let name = try Self.field(body, "name")
                let email = body["email"].stringValue
                if let email, !email.contains("@") { throw AppError.validation(["email": "Must be an email address."]) }
                return Self.render(try await self.service.createLead(org: caller.org, name: name, email: email))
            }
        }
        router.get("/api/leads") { req, _ in
            try await self.route(req) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.leads(org: caller.org) }.map(Self.render))]
            }
        }
        router.get("/api/leads/{id}") { req, context in
            try await self.route(req) { caller in
                let id = context.parameters.get("id") ?? ""
                // Scoped by organization: another org's lead is simply not found.
                guard let lead = try await self.service.store.read({ tx in try tx.leads(org: caller.org).first { $0.id == id } }) else {
                    throw AppError.notFound("lead")
                }
                return Self.render(lead)
            }
        }
        router.get("/api/properties/{id}") { req, context in
            try await self.route(req) { caller in
                let id = context.parameters.get("id") ?? ""
                guard let p = try await self.service.store.read({ tx in try tx.properties(org: caller.org).first { $0.id == id } }) else {
                    throw AppError.notFound("property")
                }
                return Self.render(p)
            }
        }
        router.post("/api/properties") { req, _ in
            try await self.post(req, status: 201) { caller, body in
                return Self.render(try await self.service.createProperty(org: caller.org, title: try Self.field(body, "title"),
                                                                         address: body["address"].stringValue))
            }
        }
        router.get("/api/properties") { req, _ in
            try await self.route(req) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.properties(org: caller.org) }.map(Self.render))]
            }
        }
        router.post("/api/members") { req, _ in
            try await self.post(req, billing: true, status: 201) { caller, body in
                let email = try Self.field(body, "email")
                guard email.contains("@") else { throw AppError.validation(["email": "Must be an email address."]) }
                let role = Role(rawValue: body["role"].stringValue ?? "member")
                guard let role, role != .owner else { throw AppError.validation(["role": "Must be admin or member."]) }
                let m = try await self.service.addMember(org: caller.org, email: email, role: role)
                return ["email": .string(m.email), "role": .string(m.role.rawValue)]
            }
        }
        router.get("/api/members") { req, _ in
            try await self.route(req) { caller in
                ["data": .array(try await self.service.store.read { tx in try tx.members(org: caller.org) }.map {
                    ["email": .string($0.email), "role": .string($0.role.rawValue)]
                })]
            }
        }
        DashboardRoutes(app: self).register(router)
        return router
    }

    // MARK: Plumbing

    func authenticate(_ req: Request) async throws -> Caller {
        guard let token = Self.token(req) else { throw AppError.unauthorized }
        guard let caller = try await authenticator.authenticate(bearer: token) else {
            throw AppError(401, "unauthorized", "This token is unknown, expired or revoked.")
        }
        return caller
    }

    static func token(_ req: Request) -> String? {
        if let auth = req.headers[.authorization], auth.lowercased().hasPrefix("bearer ") { return String(auth.dropFirst(7)) }
        if let cookie = req.headers[.cookie] {
            for part in cookie.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == "effinity_session" { return String(kv[1]) }
            }
        }
        return nil
    }

    func route(_ req: Request, billing: Bool = false, status: Int = 200,
               _ body: @escaping @Sendable (Caller) async throws -> JSONValue) async throws -> Response {
        await respond(req, status: status) {
            let caller = try await self.authenticate(req)
            if billing, !caller.role.managesBilling { throw AppError.forbidden }
            return try await body(caller)
        }
    }

    /// A POST route: the JSON body is read once and handed over. With an `Idempotency-Key`
    /// header, the first answer below 500 is kept for 24 hours per organization and replayed
    /// (with `Idempotent-Replayed: true`) to a retry with the same path and body, so a client
    /// that retries after a timeout never subscribes or creates a lead twice. A key reused for a
    /// different request is a 422.
    func post(_ req: Request, billing: Bool = false, status: Int = 200,
              _ handler: @escaping @Sendable (Caller, JSONValue) async throws -> JSONValue) async throws -> Response {
        let key = req.headers[HTTPField.Name("Idempotency-Key")!]
        let caller: Caller, input: JSONValue, fingerprint: String
        var claimed: (org: String, key: String)? = nil
        defer { if let claimed { inFlight.release(claimed.org, claimed.key) } }
        do {
            caller = try await authenticate(req)
            if billing, !caller.role.managesBilling { throw AppError.forbidden }
            input = try await Self.body(req)
            fingerprint = "POST \(req.uri.path) \(JSONWriter.string(input))"
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
        return Self.json(code, json)
    }

    func respond(_ req: Request, status: Int = 200, _ body: @Sendable () async throws -> JSONValue) async -> Response {
        let (code, json) = await outcome(req, status: status, body)
        return Self.json(code, json)
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
            if let u = e.upgrade {
                error["upgrade"] = ["resource": .string(u.resource), "limit": .int(u.limit), "used": .int(u.used),
                                    "current_plan": .string(u.currentPlan), "suggested_plan": .from(u.suggestedPlan),
                                    "upgrade_url": .string(u.upgradeURL)]
            }
            return (e.status, ["error": error])
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

    static func body(_ req: Request) async throws -> JSONValue {
        let bytes = Array(buffer: try await req.body.collect(upTo: 1 << 20))
        guard !bytes.isEmpty else { return [:] }
        guard let json = try? JSONParser.parse(bytes), case .object = json else {
            throw AppError(400, "invalid_json", "The body must be a JSON object.")
        }
        return json
    }

    static func field(_ body: JSONValue, _ name: String) throws -> String {
        guard let v = body[name].stringValue?.trimmingCharacters(in: .whitespaces), !v.isEmpty else {
            throw AppError.validation([name: body[name].isNull ? "Required." : "Must be a non-empty string."])
        }
        guard v.count <= 500 else { throw AppError.validation([name: "At most 500 characters."]) }
        return v
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
