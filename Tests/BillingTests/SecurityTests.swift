import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import StripeWire
@testable import Billing

/// Issue 25's findings, one test (or more) each: every one of them failed before the fix.
@Suite(.timeLimit(.minutes(2))) struct SecurityTests {
    static let origin = "http://app.test"

    // MARK: 1. CSRF

    @Test func cookieChangesNeedTheCSRFTokenAndTheAppsOrigin() async throws {
        try await AppEnv.run { env in
            let session = try await env.browserSession("owner@csrf.test", org: "csrf")
            let csrf = CSRFToken.make(forSession: session)
            // A cross-site form or fetch carries the cookie but not the token: refused before anything runs.
            let noToken = try await env.cookieCall(.post, "/api/leads", session: session, ["name": "Buyer"])
            #expect(noToken.status == 403)
            #expect(noToken.json["error"]["code"] == "csrf_failed")
            let wrongToken = try await env.cookieCall(.post, "/api/leads", session: session, csrf: String(repeating: "0", count: 64), ["name": "Buyer"])
            #expect(wrongToken.status == 403)
            let otherSite = try await env.cookieCall(.post, "/api/leads", session: session, csrf: csrf, origin: "https://evil.example", ["name": "Buyer"])
            #expect(otherSite.status == 403)
            #expect(try await env.call(.get, "/api/leads", headers: [.cookie: "effinity_session=\(session)"]).json["data"] == [])
            // The app's own page sends both.
            #expect(try await env.cookieCall(.post, "/api/leads", session: session, csrf: csrf, origin: Self.origin, ["name": "Buyer"]).status == 201)
            // Reads need no token; bearer API calls are unaffected.
            #expect(try await env.cookieCall(.get, "/api/leads", session: session).status == 200)
            let api = try await env.token("owner@csrf.test", org: "csrf")
            #expect(try await env.call(.post, "/api/leads", token: api, ["name": "Seller"]).status == 201)
        }
    }

    @Test func dashboardFormsCarryTheCSRFTokenAndTheirPostsCheckIt() async throws {
        try await AppEnv.run { env in
            let session = try await env.browserSession("owner@form.test", org: "form")
            let page = String(buffer: try await env.app.execute(uri: "/dashboard/billing", method: .get,
                                                                headers: [.cookie: "effinity_session=\(session)"]).body)
            let field = "name=\"csrf_token\" value=\"\(CSRFToken.make(forSession: session))\""
            // Every form of the page: the plans' (3 paid plans to choose) and sign-out.
            #expect(page.components(separatedBy: "<form").count - 1 == page.components(separatedBy: field).count - 1)
            #expect(page.components(separatedBy: field).count - 1 == 4)
            let form: HTTPFields = [.cookie: "effinity_session=\(session)", .contentType: "application/x-www-form-urlencoded"]
            let forged = try await env.app.execute(uri: "/dashboard/billing/choose", method: .post, headers: form, body: ByteBuffer(string: "plan=enterprise"))
            #expect(forged.status == .forbidden)
            #expect(try await env.call(.get, "/api/billing/subscription", token: try await env.token("owner@form.test", org: "form")).json["plan"] == "free")
            let real = try await env.app.execute(uri: "/dashboard/billing/choose", method: .post, headers: form,
                                                 body: ByteBuffer(string: "plan=enterprise&csrf_token=\(CSRFToken.make(forSession: session))"))
            #expect(real.status == .seeOther)
            #expect(real.headers[.location]?.contains("/checkout/") == true || real.headers[.location]?.hasPrefix("http") == true)
        }
    }

    // MARK: 2. Sign-in links, never the API token

    @Test func theDashboardTakesNoTokenFromTheURLAndSignInLinksWorkOnce() async throws {
        try await AppEnv.run { env in
            let api = try await env.token("owner@link.test", org: "link")
            // The old `?token=` link: no cookie is planted, whatever the value.
            let planted = try await env.app.execute(uri: "/dashboard/billing?token=abc;%20Domain=evil.example", method: .get)
            #expect(planted.headers[.setCookie] == nil)
            #expect(planted.status == .seeOther)
            #expect(planted.headers[.location]?.hasPrefix("/signin") == true)
            // The API token is not a cookie: the browser is sent to sign in.
            let asCookie = try await env.app.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=\(api)"])
            #expect(asCookie.status == .seeOther)
            #expect(asCookie.headers[.location]?.hasPrefix("/signin") == true)

            let (user, _, _) = try await env.service.ensureMember(email: "owner@link.test", org: "link", role: .owner)
            let code = try await env.service.createSignInLink(userID: user.id, orgID: "link")
            // Opening the link (a mail scanner, a preview) spends nothing: it asks to continue.
            let ask = try await env.app.execute(uri: "/auth/link?code=\(code)", method: .get)
            #expect(ask.status == .ok)
            #expect(String(buffer: ask.body).contains("owner@link.test"))
            #expect(ask.headers[.setCookie] == nil)
            // Another site cannot post it (login CSRF).
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            var crossSite = form
            crossSite[.origin] = "https://evil.example"
            #expect(try await env.app.execute(uri: "/auth/link", method: .post, headers: crossSite, body: ByteBuffer(string: "code=\(code)")).status == .forbidden)
            let used = try await env.app.execute(uri: "/auth/link", method: .post, headers: form, body: ByteBuffer(string: "code=\(code)"))
            #expect(used.status == .seeOther)
            let cookie = try #require(used.headers[.setCookie])
            #expect(cookie.hasPrefix("effinity_session=effw_"))
            #expect(!cookie.contains(api))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=604800") && !cookie.contains("Domain"))
            #expect(!cookie.contains("Secure"))  // http://app.test
            let session = String(cookie.dropFirst("effinity_session=".count).prefix { $0 != ";" })
            #expect(try await env.app.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=\(session)"]).status == .ok)
            // A browser session is not an API token either.
            #expect(try await env.call(.get, "/api/leads", token: session).status == 401)
            // Once only.
            #expect(try await env.app.execute(uri: "/auth/link", method: .post, headers: form, body: ByteBuffer(string: "code=\(code)")).status == .badRequest)
            // Dead after 15 minutes.
            let late = try await env.service.createSignInLink(userID: user.id, orgID: "link")
            try await env.advance("15m")
            #expect(try await env.app.execute(uri: "/auth/link?code=\(late)", method: .get).status == .badRequest)
            #expect(try await env.app.execute(uri: "/auth/link", method: .post, headers: form, body: ByteBuffer(string: "code=\(late)")).status == .badRequest)
        }
    }

    // MARK: 3. Logout and revocation

    @Test func logoutAndRevocationEndSessionsAndTokensAtOnce() async throws {
        try await AppEnv.run { env in
            let session = try await env.browserSession("owner@out.test", org: "out")
            let csrf = CSRFToken.make(forSession: session)
            // Logout is a change: CSRF-protected like the rest.
            #expect(try await env.cookieCall(.post, "/api/auth/logout", session: session).status == 403)
            let out = try await env.cookieCall(.post, "/api/auth/logout", session: session, csrf: csrf)
            #expect(out.status == 200)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await env.cookieCall(.get, "/api/leads", session: session).status == 401)

            // An API token revokes itself, or one of the caller's own tokens; someone else's is not found.
            let a = try await env.token("owner@out.test", org: "out")
            let b = try await env.token("owner@out.test", org: "out")
            let stranger = try await env.token("x@elsewhere.test", org: "elsewhere")
            #expect(try await env.call(.post, "/api/auth/revoke", token: a, ["token": .string(stranger)]).status == 404)
            #expect(try await env.call(.get, "/api/leads", token: stranger).status == 200)
            #expect(try await env.call(.post, "/api/auth/revoke", token: a, ["token": .string(b)]).json["revoked"] == 1)
            #expect(try await env.call(.get, "/api/leads", token: b).status == 401)
            // Sign out everywhere: every token and browser session of the member.
            let c = try await env.token("owner@out.test", org: "out")
            let browser = try await env.browserSession("owner@out.test", org: "out")
            #expect(try await env.call(.post, "/api/auth/revoke", token: a).json["revoked"] == 3)
            for t in [a, c] { #expect(try await env.call(.get, "/api/leads", token: t).status == 401) }
            #expect(try await env.cookieCall(.get, "/api/leads", session: browser).status == 401)
            // `effinity token --revoke` calls this.
            try await env.service.revoke(token: stranger)
            #expect(try await env.call(.get, "/api/leads", token: stranger).status == 401)
        }
    }

    // MARK: 4. Members: remove, change role, never without an owner

    @Test func ownersRemoveMembersAndChangeRolesWithSessionsRevoked() async throws {
        try await AppEnv.run { env in
            _ = try await env.subscribe(token: try await env.token("owner@team.test", org: "team"), plan: "pro")
            let owner = try await env.token("owner@team.test", org: "team")
            #expect(try await env.call(.post, "/api/members", token: owner, ["email": "admin@team.test", "role": "admin"]).status == 201)
            #expect(try await env.call(.post, "/api/members", token: owner, ["email": "leaver@team.test", "role": "member"]).status == 201)
            let admin = try await env.token("admin@team.test", org: "team", role: .admin)
            let leaver = try await env.token("leaver@team.test", org: "team", role: .member)
            let leaverBrowser = try await env.browserSession("leaver@team.test", org: "team", role: .member)
            let members = try await env.call(.get, "/api/members", token: owner).json["data"].arrayValue ?? []
            let id = { (email: String) in members.first { $0["email"].stringValue == email }?["user_id"].stringValue ?? "" }
            let ownerID = id("owner@team.test")
            // Only the owner decides access.
            #expect(try await env.call(.delete, "/api/members/\(id("leaver@team.test"))", token: admin).status == 403)
            #expect(try await env.call(.patch, "/api/members/\(id("leaver@team.test"))", token: admin, ["role": "admin"]).status == 403)
            // The last owner stays.
            #expect(try await env.call(.patch, "/api/members/\(ownerID)", token: owner, ["role": "admin"]).json["error"]["code"] == "last_owner")
            #expect(try await env.call(.delete, "/api/members/\(ownerID)", token: owner).json["error"]["code"] == "last_owner")
            #expect(try await env.call(.patch, "/api/members/\(id("admin@team.test"))", token: owner, ["role": "boss"]).status == 400)
            // Removing a member ends their token and browser session at once.
            #expect(try await env.call(.delete, "/api/members/\(id("leaver@team.test"))", token: owner).status == 200)
            #expect(try await env.call(.get, "/api/leads", token: leaver).status == 401)
            #expect(try await env.cookieCall(.get, "/api/leads", session: leaverBrowser).status == 401)
            #expect(try await env.call(.delete, "/api/members/\(id("leaver@team.test"))", token: owner).status == 404)
            // Demoting the admin revokes their token: they sign in again with the new role.
            #expect(try await env.call(.patch, "/api/members/\(id("admin@team.test"))", token: owner, ["role": "member"]).json["role"] == "member")
            #expect(try await env.call(.get, "/api/leads", token: admin).status == 401)
            let demoted = try await env.token("admin@team.test", org: "team", role: .member)
            #expect(try await env.call(.post, "/api/billing/portal", token: demoted).status == 403)
            // Ownership can be handed over, then the old owner steps down.
            #expect(try await env.call(.patch, "/api/members/\(id("admin@team.test"))", token: owner, ["role": "owner"]).status == 200)
            #expect(try await env.call(.patch, "/api/members/\(ownerID)", token: owner, ["role": "admin"]).json["role"] == "admin")
            // Another org's member is not found.
            let other = try await env.token("boss@other.test", org: "other")
            #expect(try await env.call(.delete, "/api/members/\(id("admin@team.test"))", token: other).status == 404)
        }
    }

    // MARK: 5. One live subscription

    /// One request per plan, all at once; their replies.
    static func atOnce(_ plans: [String], _ call: @escaping @Sendable (String) async throws -> AppEnv.Reply) async throws -> [AppEnv.Reply] {
        try await withThrowingTaskGroup(of: AppEnv.Reply.self) { group in
            for plan in plans { group.addTask { try await call(plan) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func fiveSimultaneousRequestsWithOneKeyOpenOneCheckout() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@five.test", org: "five")
            let replies = try await Self.atOnce(Array(repeating: "pro", count: 5)) { plan in
                try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": .string(plan)], headers: [HTTPField.Name("Idempotency-Key")!: "k1"])
            }
            // Each got the one session (first answer or its replay) or a 409 asking to retry.
            let sessions = Set(replies.compactMap { $0.json["checkout_session_id"].stringValue })
            #expect(sessions.count == 1)
            #expect(replies.allSatisfy { $0.status == 200 || ($0.status == 409 && ["idempotency_key_in_use", "checkout_in_progress"].contains($0.json["error"]["code"].stringValue ?? "")) })
            let customer = try #require(try await env.service.store.read { tx in try tx.subscription(org: "five")?.stripeCustomerID })
            let all = try await env.stripe("GET", "/v1/checkout/sessions?customer=\(customer)&limit=100")["data"].arrayValue ?? []
            #expect(all.count == 1)
        }
    }

    @Test func concurrentCheckoutsLeaveOnePayableSession() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@many.test", org: "many")
            _ = try await Self.atOnce(["starter", "pro", "enterprise", "pro"]) { plan in
                try await env.call(.post, "/api/billing/subscription", token: owner, ["plan": .string(plan)])
            }
            let customer = try #require(try await env.service.store.read { tx in try tx.subscription(org: "many")?.stripeCustomerID })
            let open = try await env.stripe("GET", "/v1/checkout/sessions?customer=\(customer)&status=open&limit=100")["data"].arrayValue ?? []
            #expect(open.count == 1)
        }
    }

    // A second completed Checkout is canceled and refunded: LifecycleTests.aSecondCheckoutCompletionIsCanceledAndRefunded.

    // MARK: 6. Webhook trust

    @Test func aCheckoutCompletionNamesItsOrgOnlyThroughTheSessionStripeHas() async throws {
        try await AppEnv.run { env in
            let victim = try await env.token("owner@victim.test", org: "victim")
            _ = try await env.subscribe(token: try await env.token("owner@payer.test", org: "payer"), plan: "starter")
            let payerSub = try #require(try await env.service.store.read { tx in try tx.subscription(org: "payer") }?.stripeSubscriptionID)
            let session = try await env.stripe("GET", "/v1/checkout/sessions?limit=1")["data"][0]
            // A signed event whose body says "victim" for the payer's session: the re-read session says "payer".
            var object = session
            object["client_reference_id"] = "victim"
            object["metadata"] = ["org_id": "victim"]
            let forged: JSONValue = ["id": "evt_forged_1", "object": "event", "type": "checkout.session.completed", "livemode": false,
                                     "created": .int(env.clock.now()), "data": ["object": object]]
            #expect(try await env.deliver(forged).status == 200)
            let row = try #require(try await env.service.store.read { tx in try tx.subscription(org: "victim") })
            #expect(row.stripeSubscriptionID == nil)
            #expect(row.plan == "free")
            #expect(try await env.call(.get, "/api/billing/subscription", token: victim).json["plan"] == "free")
            #expect(try await env.service.store.read { tx in try tx.subscription(org: "payer") }?.stripeSubscriptionID == payerSub)
        }
    }

    @Test func liveEventsAreIgnoredByATestModeAppAndDeletionsAreReRead() async throws {
        try await AppEnv.run { env in
            _ = try await env.subscribe(token: try await env.token("owner@mode.test", org: "mode"), plan: "starter")
            let before = try #require(try await env.service.store.read { tx in try tx.subscription(org: "mode") })
            let customer = try #require(before.stripeCustomerID)
            // customer.deleted for a customer Stripe still has (a replayed or forged body): nothing forgotten.
            let deleted: JSONValue = ["id": "evt_del_1", "object": "event", "type": "customer.deleted", "livemode": false,
                                      "created": .int(env.clock.now()), "data": ["object": ["id": .string(customer), "object": "customer"]]]
            #expect(try await env.deliver(deleted).status == 200)
            #expect(try await env.service.store.read { tx in try tx.subscription(org: "mode") } == before)
            // The same in live mode for a test key: ignored before anything is read.
            var live = deleted
            live["id"] = "evt_live_1"
            live["livemode"] = true
            try await env.stripe("DELETE", "/v1/customers/\(customer)")
            let reply = try await env.deliver(live)
            #expect(reply.json["outcome"] == "ignored")
            #expect(try await env.service.store.read { tx in try tx.subscription(org: "mode") }?.stripeCustomerID == customer)
            // The real test-mode deletion is applied (re-read: Stripe says deleted).
            try await env.drain()
            #expect(try await env.service.store.read { tx in try tx.subscription(org: "mode") }?.stripeCustomerID == nil)
        }
    }

    // MARK: 7. Headers, cookie, metrics

    @Test func everyAnswerCarriesSecurityHeaders() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("owner@hdr.test", org: "hdr")
            for (path, headers) in [("/api/leads", [HTTPField.Name.authorization: "Bearer \(token)"] as HTTPFields), ("/dashboard/billing", [:]),
                                    ("/health", [:]), ("/api/leads", [:]), ("/no-such-route", [:])] {
                let r = try await env.app.execute(uri: path, method: .get, headers: headers)
                #expect(r.headers[.cacheControl] == "no-store", "\(path)")
                #expect(r.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true, "\(path)")
                #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true, "\(path)")
                #expect(r.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(path)")
                #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(path)")
                #expect(r.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(path)")
                #expect(r.headers[.strictTransportSecurity] == nil, "\(path): http app")
            }
            // Behind https: a Secure cookie and HSTS.
            let service = BillingService(store: env.service.store, stripe: env.service.stripe, policy: env.service.policy, clock: env.clock,
                                         appURL: "https://billing.example")
            let (user, _, _) = try await service.ensureMember(email: "owner@hdr.test", org: "hdr", role: .owner)
            let code = try await service.createSignInLink(userID: user.id, orgID: "hdr")
            try await Application(router: BillingApp(service: service).router()).test(.router) { client in
                let r = try await client.execute(uri: "/auth/link", method: .post,
                                                 headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://billing.example"],
                                                 body: ByteBuffer(string: "code=\(code)"))
                #expect(r.status == .seeOther)
                #expect(r.headers[.setCookie]?.hasSuffix("; Secure") == true)
                #expect(r.headers[.strictTransportSecurity] == "max-age=31536000")
                // /metrics is closed when no token is configured.
                #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound)
            }
            #expect(try await env.app.execute(uri: "/metrics", method: .get).status == .unauthorized)
            #expect(try await env.app.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .unauthorized)
            #expect(try await env.metrics().contains("effinity_"))
        }
    }

    // MARK: 8. Input

    @Test func oversizedBodiesAre413Everywhere() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("owner@big.test", org: "big")
            let big = ByteBuffer(string: "{\"name\": \"" + String(repeating: "x", count: 2 << 20) + "\"}")
            let lead = try await env.app.execute(uri: "/api/leads", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: big)
            #expect(lead.status == .contentTooLarge)
            #expect(try JSONParser.parse(Array(buffer: lead.body))["error"]["code"] == "body_too_large")
            let hook = try await env.app.execute(uri: "/api/billing/webhooks", method: .post, headers: [HTTPField.Name("Stripe-Signature")!: "t=1,v1=00"], body: big)
            #expect(hook.status == .contentTooLarge)
            let session = try await env.browserSession("owner@big.test", org: "big")
            let form = try await env.app.execute(uri: "/dashboard/billing/choose", method: .post,
                                                 headers: [.cookie: "effinity_session=\(session)", .contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "plan=" + String(repeating: "x", count: 1 << 17)))
            #expect(form.status == .contentTooLarge)
        }
    }

    @Test func fieldsAreCheckedForTypeLengthAndFormatWithTheFieldNamed() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("owner@input.test", org: "input")
            func refused(_ path: String, _ body: JSONValue, _ field: String) async throws {
                let r = try await env.call(.post, path, token: token, body)
                #expect(r.status == 400, "\(path) \(JSONWriter.string(body))")
                #expect(r.json["error"]["fields"][field].stringValue != nil, "\(path) \(JSONWriter.string(r.json))")
            }
            try await refused("/api/leads", ["name": "A", "email": 5], "email")
            try await refused("/api/leads", ["name": "A", "email": .string(String(repeating: "a", count: 250) + "@x.test")], "email")
            try await refused("/api/leads", ["name": "A", "email": "not an email@x.test"], "email")
            try await refused("/api/leads", ["name": 7], "name")
            try await refused("/api/leads", ["name": "A", "emial": "a@b.test"], "emial")
            try await refused("/api/properties", ["title": "Loft", "address": .string(String(repeating: "a", count: 501))], "address")
            try await refused("/api/properties", ["title": "Loft", "address": ["street": "x"]], "address")
            try await refused("/api/members", ["email": "x@y.test", "role": 1], "role")
            #expect(try await env.call(.post, "/api/leads", token: token, ["name": "A", "email": nil]).status == 201)
            #expect(try await env.call(.post, "/api/properties", token: token, ["title": "Loft", "address": "1 Main St"]).status == 201)
        }
    }

    @Test func failedAuthenticationIsRateLimitedPerAddress() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("owner@brute.test", org: "brute")
            for i in 0..<20 { #expect(try await env.call(.get, "/api/leads", token: "eff_guess\(i)").status == 401) }
            let blocked = try await env.call(.get, "/api/leads", token: "eff_guess20")
            #expect(blocked.status == 429)
            #expect(blocked.headers[.retryAfter] == "60")
            // While blocked, the address gets nothing, a right token included.
            #expect(try await env.call(.get, "/api/leads", token: token).status == 429)
            try await env.advance("61s")
            #expect(try await env.call(.get, "/api/leads", token: token).status == 200)
        }
    }

    // MARK: 9. Billing data is for owners and admins

    @Test func membersSeeNoInvoices() async throws {
        try await AppEnv.run { env in
            let owner = try await env.token("owner@inv.test", org: "inv")
            _ = try await env.subscribe(token: owner, plan: "starter")
            let member = try await env.token("agent@inv.test", org: "inv", role: .member)
            #expect(try await env.call(.get, "/api/billing/invoices", token: owner).status == 200)
            #expect(try await env.call(.get, "/api/billing/invoices", token: member).status == 403)
            let memberPage = String(buffer: try await env.app.execute(uri: "/dashboard/billing", method: .get,
                                                                      headers: [.cookie: "effinity_session=\(try await env.browserSession("agent@inv.test", org: "inv", role: .member))"]).body)
            #expect(!memberPage.contains("<h2>Invoices</h2>"))
            let ownerPage = String(buffer: try await env.app.execute(uri: "/dashboard/billing", method: .get,
                                                                     headers: [.cookie: "effinity_session=\(try await env.browserSession("owner@inv.test", org: "inv"))"]).body)
            #expect(ownerPage.contains("<h2>Invoices</h2>"))
        }
    }
}
