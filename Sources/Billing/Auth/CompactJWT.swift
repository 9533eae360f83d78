import Foundation
import StripeWire

/// A JSON Web Token in compact form (`header.payload.signature`, base64url): split and decoded,
/// nothing verified (``FirebaseIDTokenVerifier`` does that).
struct CompactJWT {
    let header: JSONValue
    let payload: JSONValue
    let signature: [UInt8]
    /// The bytes the signature covers: `header.payload` as sent.
    let signingInput: [UInt8]

    init(_ token: String) throws(IDTokenRejection) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw IDTokenRejection("not a JWT (three dot-separated parts)") }
        guard let h = Self.base64URL(parts[0]), let p = Self.base64URL(parts[1]), let s = Self.base64URL(parts[2]),
              let header = try? JSONParser.parse(h), let payload = try? JSONParser.parse(p),
              case .object = header, case .object = payload else {
            throw IDTokenRejection("the JWT's parts are not base64url JSON objects")
        }
        self.header = header
        self.payload = payload
        self.signature = s
        self.signingInput = Array("\(parts[0]).\(parts[1])".utf8)
    }

    static func base64URL<S: StringProtocol>(_ s: S) -> [UInt8]? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b).map(Array.init)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `header.payload.signature` from parts (the local signer and tests).
    static func encode(header: JSONValue, payload: JSONValue, sign: ([UInt8]) throws -> [UInt8]) rethrows -> String {
        let input = base64URL(JSONWriter.data(header)) + "." + base64URL(JSONWriter.data(payload))
        return input + "." + base64URL(try sign(Array(input.utf8)))
    }
}
