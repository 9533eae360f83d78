import HTTPTypes
import Hummingbird

/// Adds the security headers every answer of the app carries, and records the client's address
/// for the failed-authentication limit (``BillingApp/clientAddress``).
///
/// - `Cache-Control: no-store` unless a route set its own: answers hold an org's data or a
///   session, and no shared cache or back button should keep them.
/// - `Content-Security-Policy`: nothing but the page's own inline styles; no scripts, no
///   frames of it anywhere (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for old browsers).
/// - `X-Content-Type-Options: nosniff`; `Referrer-Policy: no-referrer` (a sign-in link's code
///   never leaks to the next site).
/// - `Strict-Transport-Security` when the app's public URL is https.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let https: Bool

    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await BillingApp.$clientAddress.withValue(context.clientAddress) { try await next(request, context) }
        } catch let error as any HTTPResponseError {
            // Hummingbird's own answers (an unknown route's 404) get the headers too.
            response = try error.response(from: request, context: context)
        }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if https { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}
