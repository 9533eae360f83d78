import StripeEngine
import StripeWire

/// The address, shipping and billing-details hashes several objects share.
enum Address {
    static let fields = AddressObject.fields
    static let empty = AddressObject.empty

    /// Reads an address hash; nil when absent, `null` when sent empty (unset).
    static func read(_ params: inout Params, _ path: [String]) throws -> JSONValue? {
        guard let raw = params.raw(path) else { return nil }
        if case .string(let s) = raw {
            params.consume(path)
            guard s.isEmpty else { throw StripeError.invalidRequest("Invalid object: \(Params.name(path)) must be a hash.", param: Params.name(path)) }
            return .null
        }
        var out: [String: JSONValue] = [:]
        for f in fields { out[f] = .from(try params.nonEmptyPath(path + [f])) }
        return .object(out)
    }

    static func shipping(_ params: inout Params, _ path: [String]) throws -> JSONValue? {
        guard let raw = params.raw(path) else { return nil }
        if case .string(let s) = raw, s.isEmpty { params.consume(path); return .null }
        let address = try read(&params, path + ["address"]) ?? empty
        guard let name = try params.nonEmptyPath(path + ["name"]) else { throw StripeError.missingParam(Params.name(path + ["name"])) }
        return ["address": address, "name": .string(name), "phone": .from(try params.nonEmptyPath(path + ["phone"])),
                "carrier": .from(try params.nonEmptyPath(path + ["carrier"])),
                "tracking_number": .from(try params.nonEmptyPath(path + ["tracking_number"]))]
    }

    static func billingDetails(_ params: inout Params, _ path: [String], existing: JSONValue? = nil) throws -> JSONValue {
        var out = existing ?? ["address": empty, "email": nil, "name": nil, "phone": nil, "tax_id": nil]
        if let a = try read(&params, path + ["address"]) { out["address"] = a.isNull ? empty : a }
        for f in ["email", "name", "phone", "tax_id"] {
            if let v = try params.string(path + [f]) { out[f] = v.isEmpty ? .null : .string(v) }
        }
        return out
    }
}
