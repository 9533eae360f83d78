import HTTPTypes

/// The browser session cookie: its name, its attributes, and reading it back.
///
/// It carries a browser session token (``BillingService/createWebSession(userID:orgID:source:ttl:)``),
/// never an API token: a cookie is sent by the browser on its own, so what it carries is only good
/// with a CSRF token beside it (``CSRFToken``) for a change, and it dies with logout.
/// `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site POSTs), `Secure` when
/// the app's public URL is https, `Path=/`, and no `Domain` (this host only).
public enum SessionCookie {
    public static let name = "effinity_session"

    /// The `Set-Cookie` value for a new session of `maxAge` seconds.
    public static func set(_ token: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The `Set-Cookie` value that removes the cookie (logout).
    public static func clear(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The session token in a request's `Cookie` header, if any.
    public static func value(in headers: HTTPFields) -> String? {
        for cookie in headers[values: .cookie] {
            for part in cookie.split(separator: ";") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == name, !kv[1].isEmpty { return String(kv[1]) }
            }
        }
        return nil
    }
}
