/// What a verified ID token says about its user (Firebase's claims the app uses).
public struct VerifiedIDToken: Sendable, Equatable {
    /// Firebase's user id (`sub`).
    public var uid: String
    public var email: String?
    public var emailVerified: Bool
    /// When the user last signed in (`auth_time`): a session cookie is made only from a recent sign-in.
    public var authTime: Int

    public init(uid: String, email: String?, emailVerified: Bool, authTime: Int) {
        self.uid = uid
        self.email = email
        self.emailVerified = emailVerified
        self.authTime = authTime
    }
}

/// Verifies an ID token (``FirebaseIDTokenVerifier``); `POST /api/auth/session` exchanges a
/// verified one for a browser session cookie.
public protocol IDTokenVerifier: Sendable {
    /// The token's claims, or ``IDTokenRejection`` saying why it is refused (a 401).
    func verify(idToken: String, now: Int) async throws -> VerifiedIDToken
}

/// Why an ID token was refused (the message is safe to show: it names no secret).
public struct IDTokenRejection: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
