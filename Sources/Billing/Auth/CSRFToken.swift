import StripeWire

/// The CSRF token of a browser session: what a cookie-authenticated change must carry beside
/// the cookie (the `csrf_token` form field, or the `X-CSRF-Token` header for the JSON API).
///
/// Derived from the session token (SHA-256 over a fixed label and the token): the cookie is
/// HttpOnly, so another site can neither read it nor compute this; nothing extra is stored, and
/// it changes with every sign-in. Bearer-token API calls need none (no browser sends a bearer
/// token on its own).
public enum CSRFToken {
    public static let header = "X-CSRF-Token"
    public static let field = "csrf_token"

    /// The token for the browser session `sessionToken`.
    public static func make(forSession sessionToken: String) -> String {
        Digest.hex(Digest.sha256(Array("effinity-csrf\u{0}\(sessionToken)".utf8)))
    }

    /// Whether `presented` is the token of `sessionToken` (compared in constant time).
    public static func verify(_ presented: String?, session sessionToken: String) -> Bool {
        guard let presented else { return false }
        return Digest.constantTimeEqual(Array(presented.utf8), Array(make(forSession: sessionToken).utf8))
    }
}
