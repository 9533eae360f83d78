import StripeEngine
import StripeWire

/// Stripe's metadata rules: keys are merged in, a key sent empty is removed, `metadata=` clears
/// all; at most 50 keys, keys up to 40 characters, values up to 500.
enum Metadata {
    static func apply(_ params: inout Params, to existing: JSONValue, path: [String] = ["metadata"]) throws -> JSONValue {
        let name = Params.name(path)
        guard let value = params.value(path) else { return existing.isNull ? [:] : existing }
        var result = existing.objectValue ?? [:]
        switch value {
        case .string(let s):
            guard s.isEmpty else {
                throw StripeError.invalidRequest("Invalid object: \(name) must be a hash of keys and values, or empty to unset it.", param: name)
            }
            result = [:]
        case .array:
            throw StripeError.invalidRequest("Invalid object: \(name) must be a hash of keys and values.", param: name)
        case .dict(let d):
            for key in d.keys.sorted() {
                guard case .string(let v) = d[key]! else {
                    throw StripeError.invalidRequest("Invalid value for \(name)[\(key)]: metadata values must be strings.", param: "\(name)[\(key)]")
                }
                guard key.count <= 40 else {
                    throw StripeError.invalidRequest("Metadata keys can have up to 40 characters, but '\(key)' has \(key.count).", param: "\(name)[\(key)]")
                }
                guard v.count <= 500 else {
                    throw StripeError.invalidRequest("Metadata values can have up to 500 characters, but the value of '\(key)' has \(v.count).", param: "\(name)[\(key)]")
                }
                result[key] = v.isEmpty ? nil : .string(v)
            }
        }
        guard result.count <= 50 else {
            throw StripeError.invalidRequest("Metadata can have up to 50 keys, but this request would leave \(result.count).", param: name)
        }
        return .object(result)
    }
}
