import Foundation
import StripeWire

/// Verifies Firebase ID tokens as the Firebase Admin SDKs do: RS256 signed by the certificate
/// named by the header's `kid` (``FirebaseCertificates``); `aud` is the project id, `iss` is
/// `https://securetoken.google.com/<project>`; `exp` in the future, `iat` and `auth_time` not
/// in it; `sub` (the uid) a non-empty string of at most 128 characters.
///
/// With `FIREBASE_AUTH_EMULATOR_HOST` set (the Firebase Auth Emulator's tokens), the signature
/// is not checked and unsigned (`alg: none`) tokens are accepted, exactly as the Admin SDKs do;
/// the claims still are. Without it an unsigned token is refused.
public struct FirebaseIDTokenVerifier: IDTokenVerifier {
    public let projectID: String
    public let certificates: FirebaseCertificates
    /// Whether the emulator's unsigned tokens are accepted (`FIREBASE_AUTH_EMULATOR_HOST` is set).
    public let emulator: Bool
    /// Seconds of clock difference tolerated on `iat`, `exp` and `auth_time`.
    public let leeway: Int

    /// `environment` decides emulator mode (the process's by default).
    public init(projectID: String, certificates: FirebaseCertificates,
                environment: [String: String] = ProcessInfo.processInfo.environment, leeway: Int = 0) {
        self.projectID = projectID
        self.certificates = certificates
        self.emulator = !(environment["FIREBASE_AUTH_EMULATOR_HOST"] ?? "").isEmpty
        self.leeway = leeway
    }

    public func verify(idToken: String, now: Int) async throws -> VerifiedIDToken {
        let jwt = try CompactJWT(idToken)
        let alg = jwt.header["alg"].stringValue
        if !emulator {
            guard alg == "RS256" else { throw IDTokenRejection("the token is not signed with RS256 (alg \(alg ?? "missing"))") }
            guard let kid = jwt.header["kid"].stringValue, !kid.isEmpty else { throw IDTokenRejection("the token has no key id (kid)") }
            guard let key = try await certificates.key(kid, now: now) else { throw IDTokenRejection("no certificate for key id \(kid)") }
            guard key.verifyRS256(signature: jwt.signature, message: jwt.signingInput) else {
                throw IDTokenRejection("the signature does not verify")
            }
        }
        let c = jwt.payload
        guard c["aud"].stringValue == projectID else { throw IDTokenRejection("wrong audience (aud must be \(projectID))") }
        guard c["iss"].stringValue == "https://securetoken.google.com/\(projectID)" else { throw IDTokenRejection("wrong issuer") }
        guard let sub = c["sub"].stringValue, !sub.isEmpty, sub.count <= 128 else {
            throw IDTokenRejection("the subject (sub) must be a non-empty string of at most 128 characters")
        }
        guard let exp = c["exp"].intValue, exp + leeway > now else { throw IDTokenRejection("the token has expired") }
        guard let iat = c["iat"].intValue, iat - leeway <= now else { throw IDTokenRejection("the token is issued in the future (iat)") }
        guard let authTime = c["auth_time"].intValue, authTime - leeway <= now else {
            throw IDTokenRejection("the sign-in time (auth_time) is missing or in the future")
        }
        return VerifiedIDToken(uid: sub, email: c["email"].stringValue, emailVerified: c["email_verified"].boolValue ?? false, authTime: authTime)
    }
}
