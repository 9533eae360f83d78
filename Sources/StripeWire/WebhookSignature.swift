/// Stripe's webhook signature scheme: `Stripe-Signature: t=<unix>,v1=<hex hmac>[,v1=...]` where
/// each `v1` is HMAC-SHA256 of `"<t>.<payload>"` keyed with an endpoint's `whsec_` secret.
///
/// The emulator signs with it and the app verifies with it, so both ends agree byte for byte.
public enum WebhookSignature {
    public static func sign(payload: [UInt8], secret: String, timestamp: Int) -> String {
        Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + payload))
    }

    /// The header value for one or more secrets (several during a secret roll).
    public static func header(payload: [UInt8], secrets: [String], timestamp: Int) -> String {
        (["t=\(timestamp)"] + secrets.map { "v1=\(sign(payload: payload, secret: $0, timestamp: timestamp))" })
            .joined(separator: ",")
    }

    public enum Failure: Error, Equatable, Sendable {
        case malformedHeader
        case noMatchingSignature
        case timestampOutsideTolerance(age: Int)
    }

    /// Verifies a delivery: any `v1` may match; timestamps older than `tolerance` seconds are refused
    /// (future ones are not, as in the official SDKs).
    public static func verify(payload: [UInt8], header: String, secret: String, now: Int,
                              tolerance: Int = 300) throws(Failure) {
        var timestamp: Int?
        var signatures: [String] = []
        for item in header.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmed(of: " ")
            if key == "t" { timestamp = Int(kv[1]) }
            if key == "v1" { signatures.append(String(kv[1])) }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformedHeader }
        let expected = Array(sign(payload: payload, secret: secret, timestamp: timestamp).utf8)
        guard signatures.contains(where: { Digest.constantTimeEqual(Array($0.utf8), expected) }) else {
            throw .noMatchingSignature
        }
        if tolerance > 0, now - timestamp > tolerance { throw .timestampOutsideTolerance(age: now - timestamp) }
    }
}
