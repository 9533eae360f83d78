/// The default ``Authenticator``: opaque API tokens (`effinity token`, `createSession`), stored
/// only as their SHA-256 hash with an expiry and a revocation time. It also reads the browser
/// session cookie (``authenticate(cookie:)``), which is always the app's own whatever
/// authenticator checks bearer tokens. The caller's role is read from the membership at every
/// request, so a demoted member loses rights at once and a removed one is refused.
public struct SessionAuthenticator: Authenticator {
    public let store: any BillingStore
    public let clock: any AppClock

    public init(store: any BillingStore, clock: any AppClock) {
        self.store = store
        self.clock = clock
    }

    public func authenticate(bearer token: String) async throws -> Caller? {
        let hash = BillingService.hash(token)
        let now = clock.now()
        return try await store.read { tx in
            guard let (userID, org) = try tx.session(tokenHash: hash, now: now) else { return nil }
            return try Self.caller(userID: userID, org: org, tx)
        }
    }

    /// The caller of a browser session cookie (never an API token: those are bearer-only).
    public func authenticate(cookie token: String) async throws -> Caller? {
        let hash = BillingService.hash(token)
        let now = clock.now()
        return try await store.read { tx in
            guard let (userID, org) = try tx.webSession(tokenHash: hash, now: now) else { return nil }
            return try Self.caller(userID: userID, org: org, tx)
        }
    }

    static func caller(userID: String, org: String, _ tx: any BillingTransaction) throws -> Caller? {
        guard let m = try tx.membership(org: org, user: userID) else { return nil }
        return Caller(userID: userID, org: org, email: m.email, role: m.role)
    }
}
