import Foundation
import Testing
import StripeWire
@testable import Billing

/// A stand-in for an ID-token verifier: fixed tokens for fixed callers.
struct StaticAuthenticator: Authenticator {
    let callers: [String: Caller]
    func authenticate(bearer token: String) async throws -> Caller? { callers[token] }
}

@Suite struct AuthenticatorTests {
    @Test func routesUseThePluggedInAuthenticatorAndStillScopeByOrg() async throws {
        // Callers for orgs "one" and "two"; the users and orgs are created below, before any request.
        let auth = StaticAuthenticator(callers: [
            "id-token-alice": Caller(userID: "usr_alice", org: "one", email: "alice@one.test", role: .owner),
            "id-token-bob": Caller(userID: "usr_bob", org: "two", email: "bob@two.test", role: .owner),
            "id-token-carol": Caller(userID: "usr_carol", org: "one", email: "carol@one.test", role: .member),
        ])
        try await AppEnv.run(authenticator: auth) { env in
            // A real session token for org one: the plugged-in authenticator does not know it.
            let session = try await env.token("alice@one.test", org: "one")
            _ = try await env.service.ensureMember(email: "bob@two.test", org: "two", role: .owner)
            #expect(try await env.call(.get, "/api/leads", token: session).status == 401)
            #expect(try await env.call(.get, "/api/leads", token: "id-token-unknown").status == 401)
            #expect(try await env.call(.get, "/api/leads").status == 401)

            let created = try await env.call(.post, "/api/leads", token: "id-token-alice", ["name": "Buyer"])
            #expect(created.status == 201)
            let id = created.json["id"].stringValue!
            #expect(try await env.call(.get, "/api/leads/\(id)", token: "id-token-alice").status == 200)
            #expect(try await env.call(.get, "/api/leads/\(id)", token: "id-token-carol").status == 200)
            // Another org's caller sees nothing of org one.
            #expect(try await env.call(.get, "/api/leads/\(id)", token: "id-token-bob").status == 404)
            #expect(try await env.call(.get, "/api/leads", token: "id-token-bob").json["data"] == [])
            #expect(try await env.call(.get, "/api/billing/usage", token: "id-token-alice").json["leads"]["used"] == 1)
            #expect(try await env.call(.get, "/api/billing/usage", token: "id-token-bob").json["leads"]["used"] == 0)
            // The role comes from the authenticator: a member may not manage billing.
            let forbidden = try await env.call(.post, "/api/billing/subscription", token: "id-token-carol", ["plan": "pro"])
            #expect(forbidden.status == 403)
            #expect(forbidden.json["error"]["code"] == "forbidden")
            // A bearer credential is not a cookie: the dashboard's cookie is the app's own browser session.
            let page = try await env.app.execute(uri: "/dashboard/billing", method: .get, headers: [.cookie: "effinity_session=id-token-bob"])
            #expect(page.status == .seeOther)
            #expect(page.headers[.location]?.hasPrefix("/signin") == true)
        }
    }

    @Test func sessionAuthenticatorIsTheDefault() async throws {
        try await AppEnv.run { env in
            let token = try await env.token("dana@three.test", org: "three", role: .admin)
            let caller = try await SessionAuthenticator(store: env.service.store, clock: env.clock).authenticate(bearer: token)
            #expect(caller?.org == "three")
            #expect(caller?.email == "dana@three.test")
            #expect(caller?.role == .admin)
            #expect(try await SessionAuthenticator(store: env.service.store, clock: env.clock).authenticate(bearer: "eff_nope") == nil)
            #expect(try await env.call(.get, "/api/billing/subscription", token: token).status == 200)
        }
    }
}
