import Foundation
import HTTPTypes
import Testing
import StripeWire
@testable import Billing

/// Firebase sign-in offline: a key pair and self-signed certificate made at test time
/// (``LocalIDTokenSigner``, system OpenSSL) sign ID tokens; the verifier checks them as the
/// Admin SDKs do, and `POST /api/auth/session` exchanges a recent one for a session cookie.
@Suite(.timeLimit(.minutes(2))) struct FirebaseAuthTests {
    static let project = "effinity-test"
    static let now = 1_800_000_000

    static func verifier(_ signer: LocalIDTokenSigner, environment: [String: String] = [:]) -> FirebaseIDTokenVerifier {
        FirebaseIDTokenVerifier(projectID: signer.projectID, certificates: FirebaseCertificates(.fixed(signer.certificates)), environment: environment)
    }

    static func rejection(_ verifier: FirebaseIDTokenVerifier, _ token: String, now: Int = now) async -> String? {
        do {
            _ = try await verifier.verify(idToken: token, now: now)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aSignedTokenVerifiesAndForgedExpiredWrongAudienceAndUnsignedOnesDoNot() async throws {
        let signer = try LocalIDTokenSigner(projectID: Self.project)
        let verifier = Self.verifier(signer)
        let good = try signer.idToken(uid: "uid-ann", email: "ann@fb.test", issuedAt: Self.now - 60)
        let claims = try await verifier.verify(idToken: good, now: Self.now)
        #expect(claims == VerifiedIDToken(uid: "uid-ann", email: "ann@fb.test", emailVerified: true, authTime: Self.now - 60))

        // Forged: another key signs, claiming the same key id.
        let forger = try LocalIDTokenSigner(projectID: Self.project, kid: signer.kid)
        #expect(await Self.rejection(verifier, try forger.idToken(uid: "uid-ann", email: "ann@fb.test", issuedAt: Self.now)) == "the signature does not verify")
        // A payload changed after signing.
        let parts = good.split(separator: ".")
        let tampered = try signer.idToken(uid: "uid-eve", email: "eve@fb.test", issuedAt: Self.now).split(separator: ".")[1]
        #expect(await Self.rejection(verifier, "\(parts[0]).\(tampered).\(parts[2])") == "the signature does not verify")
        // Expired (an hour after iat), wrong audience, wrong issuer, no subject, future iat, unknown key.
        #expect(await Self.rejection(verifier, good, now: Self.now - 60 + 3600) == "the token has expired")
        #expect(await Self.rejection(verifier, try signer.idToken(uid: "u", email: nil, issuedAt: Self.now, overrides: ["aud": "other-project"]))?
            .hasPrefix("wrong audience") == true)
        #expect(await Self.rejection(verifier, try signer.idToken(uid: "u", email: nil, issuedAt: Self.now,
                                                                 overrides: ["iss": "https://securetoken.google.com/other-project"])) == "wrong issuer")
        #expect(await Self.rejection(verifier, try signer.idToken(uid: "", email: nil, issuedAt: Self.now))?.hasPrefix("the subject") == true)
        #expect(await Self.rejection(verifier, try signer.idToken(uid: "u", email: nil, issuedAt: Self.now + 30)) == "the token is issued in the future (iat)")
        let otherKid = try LocalIDTokenSigner(projectID: Self.project, kid: "rotated-away")
        #expect(await Self.rejection(verifier, try otherKid.idToken(uid: "u", email: nil, issuedAt: Self.now)) == "no certificate for key id rotated-away")

        // Unsigned (the Auth Emulator's alg "none"): refused, unless FIREBASE_AUTH_EMULATOR_HOST is set.
        let unsigned = CompactJWT.encode(header: ["alg": "none", "typ": "JWT"], payload: [
            "iss": .string("https://securetoken.google.com/\(Self.project)"), "aud": .string(Self.project), "sub": "uid-emu",
            "iat": .int(Self.now), "exp": .int(Self.now + 3600), "auth_time": .int(Self.now), "email": "emu@fb.test", "email_verified": true,
        ]) { _ in [] }
        #expect(await Self.rejection(verifier, unsigned) == "the token is not signed with RS256 (alg none)")
        let emulated = Self.verifier(signer, environment: ["FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099"])
        #expect(try await emulated.verify(idToken: unsigned, now: Self.now).uid == "uid-emu")
        // The emulator's tokens still need the right claims.
        #expect(await Self.rejection(emulated, unsigned, now: Self.now + 3600) == "the token has expired")
        #expect(await Self.rejection(verifier, "not.a.jwt") != nil)
    }

    @Test func certificatesAreReadFromAFileAndCachedByMaxAge() async throws {
        let signer = try LocalIDTokenSigner(projectID: Self.project)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("firebase-certs-\(UUID().uuidString).json")
        try Data(JSONWriter.data(.object(JSONObject(signer.certificates.mapValues { JSONValue.string($0) })))).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let verifier = FirebaseIDTokenVerifier(projectID: Self.project, certificates: FirebaseCertificates(.file(file.path)), environment: [:])
        #expect(try await verifier.verify(idToken: try signer.idToken(uid: "u1", email: nil, issuedAt: Self.now), now: Self.now).uid == "u1")
        #expect(FirebaseCertificates.maxAge("public, max-age=19302, must-revalidate, no-transform") == 19302)
        #expect(FirebaseCertificates.maxAge("no-cache") == nil)
    }

    @Test func aRecentIDTokenBecomesASessionCookieWithCSRFAndLogout() async throws {
        let signer = try LocalIDTokenSigner(projectID: Self.project)
        try await AppEnv.run(idTokens: Self.verifier(signer)) { env in
            let now = env.clock.now()
            // An invited email (no Firebase account linked yet) joins its org on first sign-in.
            let owner = try await env.token("owner@fire.test", org: "fire")
            _ = try await env.subscribe(token: owner, plan: "pro")
            #expect(try await env.call(.post, "/api/members", token: owner, ["email": "Invitee@fire.test", "role": "admin"]).status == 201)
            let idToken = try signer.idToken(uid: "uid-invitee", email: "invitee@fire.test", issuedAt: now)
            let r = try await env.call(.post, "/api/auth/session", ["id_token": .string(idToken), "expires_in": 3600])
            #expect(r.status == 200, "\(JSONWriter.string(r.json))")
            #expect(r.json["org"] == "fire")
            #expect(r.json["role"] == "admin")
            let cookie = try #require(r.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=3600"))
            let session = String(cookie.dropFirst("effinity_session=".count).prefix { $0 != ";" })
            let csrf = try #require(r.json["csrf_token"].stringValue)
            #expect(csrf == CSRFToken.make(forSession: session))
            // The cookie works for reads; a change needs the CSRF token.
            #expect(try await env.cookieCall(.get, "/api/billing/invoices", session: session).status == 200)
            #expect(try await env.cookieCall(.post, "/api/leads", session: session, ["name": "L"]).status == 403)
            #expect(try await env.cookieCall(.post, "/api/leads", session: session, csrf: csrf, ["name": "L"]).status == 201)
            // Linked now: the same uid signs in again even with an unverified email claim.
            let again = try signer.idToken(uid: "uid-invitee", email: "invitee@fire.test", emailVerified: false, issuedAt: now)
            #expect(try await env.call(.post, "/api/auth/session", ["id_token": .string(again)]).status == 200)
            // Logout revokes the session.
            #expect(try await env.cookieCall(.post, "/api/auth/logout", session: session, csrf: csrf).status == 200)
            #expect(try await env.cookieCall(.get, "/api/billing/invoices", session: session).status == 401)
            // As a bearer token (a Firebase client calling the API), an ID token of a one-org user
            // is that member; a forged one is not; the app's API tokens still work beside it.
            #expect(try await env.call(.get, "/api/billing/invoices", token: idToken).status == 200)
            let forged = try LocalIDTokenSigner(projectID: Self.project, kid: signer.kid).idToken(uid: "uid-invitee", email: "invitee@fire.test", issuedAt: now)
            #expect(try await env.call(.get, "/api/leads", token: forged).status == 401)
            #expect(try await env.call(.get, "/api/leads", token: owner).status == 200)
            // In two organizations, the ID token does not say which: 401 (sign in with `org` instead).
            _ = try await env.service.ensureMember(email: "invitee@fire.test", org: "fire-two", role: .member)
            #expect(try await env.call(.get, "/api/leads", token: idToken).status == 401)
            #expect(try await env.call(.post, "/api/auth/session", ["id_token": .string(idToken), "org": "fire-two"]).json["role"] == "member")
        }
    }

    @Test func theExchangeRefusesOldSignInsStrangersUnverifiedEmailsAndBadLifetimes() async throws {
        let signer = try LocalIDTokenSigner(projectID: Self.project)
        try await AppEnv.run(idTokens: Self.verifier(signer)) { env in
            let now = env.clock.now()
            _ = try await env.token("owner@gate.test", org: "gate")
            func exchange(_ token: String, _ extra: [String: JSONValue] = [:]) async throws -> AppEnv.Reply {
                var body: [String: JSONValue] = ["id_token": .string(token)]
                for (k, v) in extra { body[k] = v }
                return try await env.call(.post, "/api/auth/session", .object(JSONObject(body)))
            }
            // Signed in 6 minutes ago: sign in again first.
            let old = try signer.idToken(uid: "uid-o", email: "owner@gate.test", issuedAt: now, authTime: now - 360)
            #expect(try await exchange(old).json["error"]["code"] == "recent_sign_in_required")
            // An email nobody invited, or an invited one not verified.
            #expect(try await exchange(try signer.idToken(uid: "uid-x", email: "x@nowhere.test", issuedAt: now)).json["error"]["code"] == "not_a_member")
            #expect(try await exchange(try signer.idToken(uid: "uid-u", email: "owner@gate.test", emailVerified: false, issuedAt: now))
                .json["error"]["code"] == "not_a_member")
            let good = try signer.idToken(uid: "uid-o", email: "owner@gate.test", issuedAt: now)
            #expect(try await exchange(good, ["expires_in": 60]).json["error"]["fields"]["expires_in"] != nil)
            #expect(try await exchange(good, ["expires_in": .int(15 * 86400)]).status == 400)
            #expect(try await exchange(good, ["org": "someone-else"]).status == 403)
            let forged = try LocalIDTokenSigner(projectID: Self.project, kid: signer.kid).idToken(uid: "uid-o", email: "owner@gate.test", issuedAt: now)
            #expect(try await exchange(forged).json["error"]["code"] == "invalid_id_token")
            // Another site cannot post an ID token (login CSRF).
            #expect(try await env.call(.post, "/api/auth/session", ["id_token": .string(good)], headers: [.origin: "https://evil.example"]).status == 403)
            #expect(try await exchange(good, ["org": "gate"]).status == 200)
        }
    }
}
