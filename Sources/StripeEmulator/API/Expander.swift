import StripeEngine
import StripeWire

/// Applies `expand[]` paths to a response: ids become the objects they name, `data.x` reaches into
/// lists, dotted paths go deeper (at most four levels, as Stripe allows).
struct Expander {
    let store: ObjectStore
    static let maxDepth = 4

    /// Fields that hold an expandable id (or null) on the objects the emulator serves.
    static let expandable: Set<String> = [
        "application", "balance_transaction", "charge", "customer", "default_payment_method", "default_price",
        "default_source", "destination", "invoice", "latest_attempt", "latest_charge", "latest_invoice", "on_behalf_of",
        "payment_intent", "payment_method", "pending_setup_intent", "price", "product", "review", "schedule",
        "setup_intent", "source", "subscription", "subscription_item", "test_clock", "transfer", "configuration",
        "payment_link", "mandate", "refunds",
    ]

    func expand(_ value: JSONValue, paths: [String]) throws -> JSONValue {
        var result = value
        for path in paths {
            let parts = path.split(separator: ".").map(String.init)
            let depth = parts.filter { $0 != "data" }.count
            guard !parts.isEmpty, depth <= Self.maxDepth else {
                throw StripeError.invalidRequest(
                    "You cannot expand more than \(Self.maxDepth) levels of a property. Property: \(path)", param: "expand")
            }
            result = try apply(result, parts[...], fullPath: path)
        }
        return result
    }

    private func apply(_ value: JSONValue, _ parts: ArraySlice<String>, fullPath: String) throws -> JSONValue {
        guard let key = parts.first else { return value }
        let rest = parts.dropFirst()
        let kind = value["object"].stringValue
        if key == "data", kind == "list" || kind == "search_result", case .array(let items) = value["data"] {
            var v = value
            v["data"] = .array(try items.map { try apply($0, rest, fullPath: fullPath) })
            return v
        }
        if key == "line_items", kind == "checkout.session", case .object(var object) = value, let id = object["id"]?.stringValue {
            // An includable field: present only when expanded.
            let items = try store.hidden(id)["line_items"].arrayValue ?? []
            let list: JSONValue = ["object": "list", "data": .array(items), "has_more": false,
                                   "url": .string("/v1/checkout/sessions/\(id)/line_items")]
            object[key] = try apply(list, rest, fullPath: fullPath)
            return .object(object)
        }
        guard case .object(var object) = value, let field = object[key] else {
            throw cannotExpand(key, fullPath)
        }
        if case .object = field {} else if !Self.expandable.contains(key) {
            throw cannotExpand(key, fullPath)
        }
        switch field {
        case .null:
            return value
        case .string(let id):
            guard let row = try store.find(id) else { throw cannotExpand(key, fullPath) }
            let target = row.deleted ? ["id": .string(id), "object": row.object["object"], "deleted": true] : row.object
            object[key] = try apply(target, rest, fullPath: fullPath)
        case .object:
            object[key] = try apply(field, rest, fullPath: fullPath)
        case .array(let items):
            object[key] = .array(try items.map { item -> JSONValue in
                if case .string(let id) = item, let row = try store.find(id) {
                    return try apply(row.object, rest, fullPath: fullPath)
                }
                return try apply(item, rest, fullPath: fullPath)
            })
        default:
            throw cannotExpand(key, fullPath)
        }
        return .object(object)
    }

    private func cannotExpand(_ key: String, _ path: String) -> StripeError {
        StripeError.invalidRequest("This property cannot be expanded (\(key)). You may want to try expanding '\(path)' on a different object.",
                                   param: "expand")
    }
}
