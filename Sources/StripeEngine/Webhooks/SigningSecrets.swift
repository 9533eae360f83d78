import StripeWire

/// An endpoint's `whsec_` secrets, kept in its hidden state: a new one on create or roll, and
/// the ones deliveries are signed with (several during a roll's grace period, as on Stripe).
package enum SigningSecrets {
    /// A new secret; in seeded mode derived from the account and request, so runs repeat.
    package static func new(account: String, requestID: String, idMode: IDMode) -> String {
        "whsec_" + (idMode == .sequential
            ? Digest.hex(Digest.sha256(Array("\(account):\(requestID)".utf8))).prefix(32).description
            : IDMinter.secretToken(32))
    }

    /// The secrets a delivery is signed with now: the current one, plus a rolled one in its grace period.
    package static func active(_ hidden: JSONValue, now: Int) -> [String] {
        (hidden["secrets"].arrayValue ?? []).compactMap { s in
            if let expires = s["expires"].intValue, expires <= now { return nil }
            return s["secret"].stringValue
        }
    }
}
