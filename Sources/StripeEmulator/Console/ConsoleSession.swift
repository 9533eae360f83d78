import StripeWire

/// Who is looking at the console: the account (its API key, kept in an HttpOnly, SameSite=Strict
/// cookie scoped to `/console`) and the CSRF token every form of that session carries.
struct ConsoleSession: Sendable {
    static let cookieName = "effinity_console"

    /// Signs CSRF tokens; new each process, so a token never outlives the server.
    static let secret: [UInt8] = {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
    }()

    let account: String

    /// The account named by the request's cookie, if it is a well-formed test key.
    init?(_ call: APICall) {
        guard let header = call.header("Cookie") else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == Self.cookieName, let account = try? APIKeys.account(from: "Bearer \(pair[1])") {
                self.init(account: account)
                return
            }
        }
        return nil
    }

    init(account: String) {
        self.account = account
    }

    /// The token forms carry: an HMAC of the account under the process's secret, so another
    /// site cannot forge a form post for the signed-in account.
    var csrf: String {
        String(Digest.hex(Digest.hmacSHA256(key: Self.secret, message: Array("console-csrf:\(account)".utf8))).prefix(32))
    }

    func acceptsCSRF(_ token: String?) -> Bool {
        guard let token else { return false }
        return Digest.constantTimeEqual(Array(token.utf8), Array(csrf.utf8))
    }

    var setCookie: String { "\(Self.cookieName)=\(account); Path=/console; HttpOnly; SameSite=Strict" }
    static let clearCookie = "\(cookieName)=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"

    /// The key as the header shows it: whole on loopback (it is the developer's own), shortened otherwise.
    func label(exposed: Bool) -> String { exposed ? APIKeys.redact(account) : account }
}
