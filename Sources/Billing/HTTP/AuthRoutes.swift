import HTTPTypes
import Hummingbird
import NIOCore
import StripeWire
import Synchronization

/// Signing in and out. A browser signs in with a one-time link (`effinity token --link`) or a
/// Firebase ID token (`POST /api/auth/session`), and gets a session cookie of its own
/// (``SessionCookie``), never an API token; `POST /api/auth/logout` ends it, and
/// `POST /api/auth/revoke` ends one of the caller's tokens or all of them.
struct AuthRoutes: Sendable {
    let app: BillingApp

    /// Firebase's limits for a session cookie's lifetime, and how recent the sign-in must be.
    static let cookieLifetimes = 300...(14 * 86400)
    static let recentSignIn = 300

    func register(_ router: Router<AppRequestContext>) {
        // The link opens a page that asks to continue: the code is used only by the POST below,
        // so a mail scanner or link preview that fetches the URL does not spend it, and another
        // site cannot sign a visitor in (the POST's Origin must be the app's).
        router.get("/auth/link") { req, _ -> Response in
            let page = DashboardRoutes(app: self.app)
            guard let code = req.uri.queryParameters.get("code"), code.count <= 100,
                  let caller = try? await self.app.service.peekSignInLink(code) else {
                return page.message(400, "This sign-in link is invalid, used or expired. Ask for a new one.")
            }
            return page.html(200, DashboardRoutes.signInTemplate.render(["code": code, "email": caller.email, "org": caller.org]))
        }
        router.post("/auth/link") { req, _ -> Response in
            let page = DashboardRoutes(app: self.app)
            do {
                try self.app.checkOrigin(req)
                let form = try FormDecoder().decode(Array(buffer: try await req.body.collect(upTo: 1 << 12)))
                guard let code = form["code"]?.stringValue, code.count <= 100,
                      let (token, _) = try await self.app.service.signIn(linkCode: code) else {
                    return page.message(400, "This sign-in link is invalid, used or expired. Ask for a new one.")
                }
                var headers = HTTPFields()
                headers[.location] = "/dashboard/billing"
                headers[.setCookie] = SessionCookie.set(token, maxAge: BillingService.linkSessionLifetime, secure: self.app.https)
                return Response(status: .seeOther, headers: headers)
            } catch let e as AppError {
                return page.message(e.status, e.message)
            } catch {
                return page.message(400, "This sign-in request could not be read.")
            }
        }
        router.post("/api/auth/session") { req, _ -> Response in
            guard let verifier = self.app.idTokens else {
                return BillingApp.json(404, ["error": ["status": 404, "code": "not_found", "message": "Firebase sign-in is not configured."]])
            }
            let cookie = Mutex<(String, Int)?>(nil)
            var response = await self.app.respond(req) {
                try self.app.checkOrigin(req)
                let body = try await BillingApp.body(req)
                try BillingApp.only(body, ["id_token", "org", "expires_in"])
                let idToken = try BillingApp.field(body, "id_token", max: 8192)
                let org = try BillingApp.optionalField(body, "org", max: 200)
                if !body["expires_in"].isNull, body["expires_in"].intValue == nil { throw AppError.validation(["expires_in": "Must be an integer (seconds)."]) }
                let lifetime = body["expires_in"].intValue ?? 5 * 86400
                guard Self.cookieLifetimes.contains(lifetime) else {
                    throw AppError.validation(["expires_in": "Between 300 seconds and 14 days."])
                }
                let (token, caller) = try await self.exchange(idToken, org: org, lifetime: lifetime, verifier: verifier)
                cookie.withLock { $0 = (token, lifetime) }
                return ["org": .string(caller.org), "email": .string(caller.email), "role": .string(caller.role.rawValue),
                        "csrf_token": .string(CSRFToken.make(forSession: token)), "expires_in": .int(lifetime)]
            }
            if let (token, lifetime) = cookie.withLock({ $0 }) { response.headers[.setCookie] = SessionCookie.set(token, maxAge: lifetime, secure: self.app.https) }
            return response
        }
        // JSON (`X-CSRF-Token` with the cookie) or the dashboard's form (`csrf_token` field).
        router.post("/api/auth/logout") { req, _ -> Response in
            let isForm = req.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
            var response = await self.app.respond(req) {
                var csrf: String? = nil
                if isForm { csrf = try FormDecoder().decode(Array(buffer: try await req.body.collect(upTo: 1 << 12)))[CSRFToken.field]?.stringValue }
                _ = try await self.app.authenticate(req, change: true, formCSRF: csrf)
                switch BillingApp.credential(req) {
                case .bearer(let token)?, .cookie(let token)?: try await self.app.service.revoke(token: token)
                case nil: break
                }
                return ["signed_out": true]
            }
            if response.status == .ok {
                response.headers[.setCookie] = SessionCookie.clear(secure: self.app.https)
                if isForm {
                    response.status = .seeOther
                    response.headers[.location] = "/dashboard/billing"
                }
            }
            return response
        }
        router.post("/api/auth/revoke") { req, _ -> Response in
            try await self.app.post(req, .viewPlan) { caller, body in
                try BillingApp.only(body, ["token"])
                guard let token = try BillingApp.optionalField(body, "token", max: 200) else {
                    return ["revoked": .int(try await self.app.service.revokeAll(userID: caller.userID, orgID: caller.org))]
                }
                guard try await self.app.service.revoke(token: token, of: caller) else { throw AppError.notFound("token") }
                return ["revoked": 1]
            }
        }
    }

    /// Verifies the ID token (recent sign-in), finds or links the user (Firebase uid first,
    /// then a verified email: an invited email joins its org on first sign-in), picks the org,
    /// and opens a browser session.
    func exchange(_ idToken: String, org: String?, lifetime: Int, verifier: any IDTokenVerifier) async throws -> (String, Caller) {
        let service = app.service
        let now = service.clock.now()
        if let wait = app.limiter.retryAfter(BillingApp.clientAddress, now: now) {
            throw AppError(429, "too_many_failed_authentications", "Too many failed sign-in attempts from this address; try again in \(wait) seconds.",
                           retryAfter: wait)
        }
        let claims: VerifiedIDToken
        do { claims = try await verifier.verify(idToken: idToken, now: now) } catch let e as IDTokenRejection {
            app.limiter.recordFailure(BillingApp.clientAddress, now: now)
            throw AppError(401, "invalid_id_token", "The ID token is refused: \(e.description).")
        }
        guard now - claims.authTime <= Self.recentSignIn else {
            throw AppError(401, "recent_sign_in_required", "Sign in again: a session is made only within 5 minutes of signing in.")
        }
        let memberships = try await service.memberships(of: claims)
        guard !memberships.isEmpty else {
            throw AppError(403, "not_a_member", "No organization has invited this account (a verified email is needed to join).")
        }
        let chosen: Membership
        if let org {
            guard let m = memberships.first(where: { $0.orgID == org }) else { throw AppError(403, "not_a_member", "This account is not a member of \(org).") }
            chosen = m
        } else {
            guard memberships.count == 1 else {
                throw AppError.validation(["org": "This account belongs to several organizations: \(memberships.map(\.orgID).joined(separator: ", "))."])
            }
            chosen = memberships[0]
        }
        let token = try await service.createWebSession(userID: chosen.userID, orgID: chosen.orgID, source: "firebase", ttl: lifetime)
        return (token, Caller(userID: chosen.userID, org: chosen.orgID, email: chosen.email, role: chosen.role))
    }
}
