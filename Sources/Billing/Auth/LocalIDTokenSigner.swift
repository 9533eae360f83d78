import Foundation
import StripeWire

/// Signs Firebase-shaped ID tokens with a key pair it makes, so the whole Firebase sign-in path
/// (verification, session cookie, CSRF, revocation) runs offline: `effinity dev` and the tests
/// verify what it signs with a ``FirebaseIDTokenVerifier`` over ``certificates``.
public struct LocalIDTokenSigner: Sendable {
    public let projectID: String
    public let kid: String
    let keys: OpenSSLRSA.KeyPair

    public init(projectID: String, kid: String = "local-1") throws {
        self.projectID = projectID
        self.kid = kid
        self.keys = try OpenSSLRSA.KeyPair()
    }

    /// The signer's certificate by key id, as Google publishes its own.
    public var certificates: [String: String] { [kid: keys.certificatePEM] }

    /// An ID token for `uid` signed in at `authTime`, valid for an hour from `issuedAt`.
    /// `overrides` replaces or removes (`.null`) claims, for tests of what the verifier refuses.
    public func idToken(uid: String, email: String?, emailVerified: Bool = true, issuedAt: Int, authTime: Int? = nil,
                        overrides: [String: JSONValue] = [:]) throws -> String {
        var claims: [String: JSONValue] = [
            "iss": .string("https://securetoken.google.com/\(projectID)"), "aud": .string(projectID),
            "sub": .string(uid), "user_id": .string(uid), "iat": .int(issuedAt), "exp": .int(issuedAt + 3600),
            "auth_time": .int(authTime ?? issuedAt), "email_verified": .bool(emailVerified),
            "firebase": ["sign_in_provider": "password"],
        ]
        if let email { claims["email"] = .string(email) }
        for (k, v) in overrides { claims[k] = v }
        return try CompactJWT.encode(header: ["alg": "RS256", "kid": .string(kid), "typ": "JWT"], payload: .object(JSONObject(claims))) {
            try keys.signRS256($0)
        }
    }
}
