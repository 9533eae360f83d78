/// An ``Authenticator`` for API calls made with a Firebase ID token as the bearer token (what a
/// Firebase web or mobile client holds), falling back to the app's API tokens for everything
/// else (`effinity token`, tests, scripts).
///
/// The caller's organization is their only membership: an ID token names a user, not an org,
/// so a user in several organizations signs in with `POST /api/auth/session` and its `org`, and
/// gets a 401 here. A user is found by Firebase uid, else by verified email (an invited email
/// joins on first use), as the session exchange does (``BillingService/memberships(of:)``).
public struct FirebaseAuthenticator: Authenticator {
    public let verifier: any IDTokenVerifier
    public let service: BillingService
    public let fallback: any Authenticator

    public init(verifier: any IDTokenVerifier, service: BillingService, fallback: (any Authenticator)? = nil) {
        self.verifier = verifier
        self.service = service
        self.fallback = fallback ?? SessionAuthenticator(store: service.store, clock: service.clock)
    }

    public func authenticate(bearer token: String) async throws -> Caller? {
        // An ID token is a JWT (three dot-separated parts); the app's own tokens have no dots.
        guard token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            return try await fallback.authenticate(bearer: token)
        }
        guard let claims = try? await verifier.verify(idToken: token, now: service.clock.now()) else { return nil }
        let memberships = try await service.memberships(of: claims)
        guard memberships.count == 1, let m = memberships.first else { return nil }
        return Caller(userID: m.userID, org: m.orgID, email: m.email, role: m.role)
    }
}
