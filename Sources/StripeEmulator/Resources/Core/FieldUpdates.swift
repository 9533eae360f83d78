import StripeEngine
import StripeWire

/// Small helpers for the common "copy this parameter onto the object" steps of create and update.
extension JSONValue {
    /// Sets a nullable string field from a parameter: absent leaves it, empty unsets it.
    mutating func setString(_ key: String, from params: inout Params, param: String? = nil) throws {
        if let v = try params.string(param ?? key) { self[key] = v.isEmpty ? .null : .string(v) }
    }

    mutating func setInt(_ key: String, from params: inout Params, param: String? = nil) throws {
        let name = param ?? key
        if params.has(name) { self[key] = .from(try params.int(name)) }
    }

    mutating func setBool(_ key: String, from params: inout Params, param: String? = nil) throws {
        if let b = try params.bool(param ?? key) { self[key] = .bool(b) }
    }

    mutating func setStrings(_ key: String, from params: inout Params, param: String? = nil) throws {
        if let v = try params.strings(param ?? key) { self[key] = .array(v.map { .string($0) }) }
    }
}

/// The `{id, object, deleted: true}` answer of a delete.
func deletedStub(_ id: String, _ object: String) -> JSONValue {
    ["id": .string(id), "object": .string(object), "deleted": true]
}
