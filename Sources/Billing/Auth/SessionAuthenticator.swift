/// The default ``Authenticator``: opaque session tokens (`effinity token`, `createSession`),
/// stored only as their SHA-256 hash with an expiry and a revocation time. The caller's role
/// is read from the membership at every request, so a demoted member loses billing rights at once.
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
            guard let (userID, org) = try tx.session(tokenHash: hash, now: now), let m = try tx.membership(org: org, user: userID) else {
                return nil
            }
            return Caller(userID: userID, org: org, email: m.email, role: m.role)
        }
    }
}
