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
              key.utf8.allSatisfy({ Self.keyBytes.contains($0) }) else {
            throw StripeError.invalidRequest("Invalid API Key provided: \(redact(key))", status: 401)
        }
        return key
    }

    /// ASCII letters, digits and `_`: the characters of a Stripe key (checked per request, so on bytes).
    private static let keyBytes: Set<UInt8> = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_".utf8))

    static func redact(_ key: String) -> String {
        guard key.count > 12 else { return String(repeating: "*", count: key.count) }
        return String(key.prefix(8)) + String(repeating: "*", count: max(0, key.count - 12)) + String(key.suffix(4))
    }
}
