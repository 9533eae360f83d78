/// Who is calling: the user, the organization every query is scoped to, and their role in it.
public struct Caller: Sendable, Equatable {
    public let userID: String
    public let org: String
    public let email: String
    public let role: Role

    public init(userID: String, org: String, email: String, role: Role) {
        self.userID = userID
        self.org = org
        self.email = email
        self.role = role
    }
}

/// Turns a request's bearer token into a ``Caller``.
///
/// Routes only ever see the ``Caller``, so how tokens are issued and checked can change without
/// touching them: ``SessionAuthenticator`` (opaque session tokens in the app's store) is the
/// default, and a Firebase-style ID-token verifier can be plugged into ``BillingApp`` instead.
public protocol Authenticator: Sendable {
    /// The caller for `token`, or nil when the token is unknown, expired or revoked (a 401).
    /// Throw only when the check itself failed (a store or network error, a 500).
    func authenticate(bearer token: String) async throws -> Caller?
}
