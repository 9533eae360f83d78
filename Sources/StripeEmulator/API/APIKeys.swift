import Foundation
import StripeEngine
import StripeWire

/// Turns an `Authorization` header into the tenant it names.
///
/// Any `sk_test_` (or restricted `rk_test_`) key is accepted and is its own isolated account, so
/// parallel suites share one server without seeing each other. Bearer (the SDKs) and Basic
/// (`curl -u sk_test_x:`) are both understood.
enum APIKeys {
    static func account(from header: String?) throws -> String {
        // The SDKs' form, `Bearer sk_test_…` with nothing around it, read on bytes (the general
        // path below works on Characters and was 6% of a retrieve's CPU).
        if let header, header.utf8.count > 15, header.utf8.count <= 262, header.utf8.starts(with: "Bearer ".utf8) {
            let key = header.utf8.dropFirst(7)
            if (key.starts(with: "sk_test_".utf8) || key.starts(with: "rk_test_".utf8)), key.allSatisfy(isKeyByte) {
                return String(decoding: key, as: UTF8.self)
            }
        }
        guard let header, !header.trimmed(of: " ", "\t").isEmpty else {
            throw StripeError.invalidRequest(
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
                status: 401)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        var key = ""
        if parts.count == 2, parts[0].lowercased() == "bearer" {
            key = String(parts[1].trimmed(of: " ", "\t"))
        } else if parts.count == 2, parts[0].lowercased() == "basic",
                  let data = Data(base64Encoded: String(parts[1].trimmed(of: " ", "\t"))),
                  let decoded = String(data: data, encoding: .utf8) {
            key = String(decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        } else {
            throw StripeError.invalidRequest(
                "Invalid API Key provided: the Authorization header must be 'Bearer sk_test_...' or Basic with the key as the user name.",
                status: 401)
        }
        guard key.hasPrefix("sk_test_") || key.hasPrefix("rk_test_"), key.utf8.count > 8, key.utf8.count <= 255,
              key.utf8.allSatisfy(isKeyByte) else {
            throw StripeError.invalidRequest("Invalid API Key provided: \(redact(key))", status: 401)
        }
        return key
    }

    /// ASCII letters, digits and `_`: the characters of a Stripe key (checked per request, so on bytes).
    private static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
    }

    static func redact(_ key: String) -> String {
        guard key.count > 12 else { return String(repeating: "*", count: key.count) }
        return String(key.prefix(8)) + String(repeating: "*", count: max(0, key.count - 12)) + String(key.suffix(4))
    }
}
