import StripeWire

/// What changed between two renderings of an object, as Stripe reports it in
/// `data.previous_attributes`: only changed keys, with their old values; nested objects hold only
/// their changed sub-keys; lists are reported whole.
package enum PreviousAttributes {
    package static func of(_ old: JSONValue, _ new: JSONValue) -> JSONValue? {
        guard case .object(let o) = old, case .object(let n) = new else { return old == new ? nil : old }
        var diff = JSONObject()
        o.forEachKey(unionWith: n) { key, a, b in
            let a = a ?? .null, b = b ?? .null
            if a == b { return }
            if case .object = a, case .object = b, a["object"] != "list", let nested = of(a, b) {
                diff.append(key, nested)
            } else {
                diff.append(key, a)
            }
        }
        return diff.isEmpty ? nil : .object(diff)
    }
}
