import StripeEngine
import StripeWire

/// Applies `expand[]` paths to a response as Stripe does: ids become the objects they name,
/// `data.x` reaches into lists, dotted paths go deeper (at most four levels).
///
/// What may be expanded comes from Stripe's schemas (``ExpandableFields``), per object type: a
/// path is checked against the type of the object it starts from, and a nested object that is
/// not a resource keeps the path going (`invoice_settings.default_payment_method`). An
/// expandable field that is null or an empty list stays so; an includable field (sent only when
/// expanded: `customer.sources`, `price.tiers`, `checkout.session.line_items`) is filled in. Only
/// a path Stripe would refuse is a 400, with Stripe's message.
struct Expander {
    let store: ObjectStore
    /// Paths older API versions could expand that the newest shape lacks (``LegacyExpansion``).
    var extra: [String: Set<String>] = [:]
    /// Applied to each object fetched for an expansion (rendering it at the reader's version).
    var prepare: ((JSONValue) throws -> JSONValue)? = nil
    static let maxDepth = 4

    /// For objects of types the schemas do not cover (the emulator's own): the field names that
    /// hold an expandable id.
    static let untypedExpandable: Set<String> = [
        "application", "balance_transaction", "charge", "customer", "default_payment_method", "default_price",
        "default_source", "destination", "invoice", "latest_attempt", "latest_charge", "latest_invoice", "on_behalf_of",
        "payment_intent", "payment_method", "pending_setup_intent", "price", "product", "review", "schedule",
        "setup_intent", "source", "subscription", "subscription_item", "test_clock", "transfer", "configuration",
        "payment_link", "mandate",
    ]

    func expand(_ value: JSONValue, paths: [String]) throws -> JSONValue {
        var result = value
        for path in paths {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let depth = parts.filter { $0 != "data" }.count
            guard !parts.isEmpty, !parts.contains(""), depth <= Self.maxDepth else {
                throw StripeError.invalidRequest(
                    "You cannot expand more than \(Self.maxDepth) levels of a property. Property: \(path)", param: "expand")
            }
            result = try apply(result, parts[...], type: nil, prefix: [], fullPath: path)
        }
        return result
    }

    /// `type` and `prefix` say where `value` sits: the resource type the path is checked against,
    /// and the keys walked inside it so far (through nested non-resource objects).
    private func apply(_ value: JSONValue, _ parts: ArraySlice<String>, type: String?, prefix: [String],
                       fullPath: String) throws -> JSONValue {
        guard let key = parts.first else { return value }
        let rest = parts.dropFirst()
        var type = type, prefix = prefix
        if let kind = value["object"].stringValue, kind != "list", kind != "search_result" {
            type = kind
            prefix = []
        }
        let kind = value["object"].stringValue
        if key == "data", kind == "list" || kind == "search_result", case .array(let items) = value["data"] {
            var v = value
            v["data"] = .array(try items.map { try apply($0, rest, type: nil, prefix: [], fullPath: fullPath) })
            return v
        }
        guard case .object(var object) = value else { throw cannotExpand(key, fullPath) }
        let path = (prefix + [key]).joined(separator: ".")
        let known = type.flatMap { ExpandableFields.expandable[$0] }
        let isExpandable = (known.map { $0.contains(path) } ?? Self.untypedExpandable.contains(key))
            || (type.flatMap { extra[$0]?.contains(path) } ?? false)
        let isIncludable = type.flatMap { ExpandableFields.includable[$0]?.contains(path) } ?? false

        if isIncludable {
            // Sent only when expanded: stored objects may hold it as null (or not at all).
            let existing = object[key]
            let filled = existing == nil || existing!.isNull ? try include(path, of: type!, in: object) : nil
            guard let included = filled ?? existing else { return value }
            object[key] = try apply(included, rest, type: nil, prefix: [], fullPath: fullPath)
            return .object(object)
        }
        guard let field = object[key] else {
            // An expandable field the fake does not send stays absent, as does a nested object
            // that would hold one (`payment_method_details.sepa_debit` of a card charge).
            if isExpandable || (type.map { Self.leadsSomewhere($0, path) } ?? false) { return value }
            throw cannotExpand(key, fullPath)
        }
        if rest.isEmpty || !isExpandable {
            // The last key must be expandable; an inner key may also be a nested object that holds
            // expandable fields (by the schema; for untyped objects, any object).
            let walks = known.map { _ in Self.leadsSomewhere(type!, path) } ?? isNestedObject(field)
            guard isExpandable || (!rest.isEmpty && walks) else { throw cannotExpand(key, fullPath) }
        }
        switch field {
        case .null:
            return value
        case .string(let id):
            guard isExpandable else { throw cannotExpand(key, fullPath) }
            object[key] = try apply(try fetch(id), rest, type: nil, prefix: [], fullPath: fullPath)
        case .object:
            // Already an object: a nested one (the path goes on inside this type) or an embedded resource.
            object[key] = try apply(field, rest, type: type, prefix: prefix + [key], fullPath: fullPath)
        case .array(let items):
            object[key] = .array(try items.map { item -> JSONValue in
                if case .string(let id) = item { return try apply(try fetch(id), rest, type: nil, prefix: [], fullPath: fullPath) }
                return try apply(item, rest, type: nil, prefix: [], fullPath: fullPath)
            })
        default:
            throw cannotExpand(key, fullPath)
        }
        return .object(object)
    }

    private func isNestedObject(_ field: JSONValue) -> Bool {
        if case .object = field { return true }
        return false
    }

    /// Whether a nested object at `path` of `type` holds expandable or includable fields, or is
    /// a list or embedded resource (whose items have types of their own).
    static func leadsSomewhere(_ type: String, _ path: String) -> Bool {
        let inside = path + "."
        return (ExpandableFields.expandable[type] ?? []).contains { $0.hasPrefix(inside) }
            || (ExpandableFields.includable[type] ?? []).contains { $0.hasPrefix(inside) }
            || (ExpandableFields.embedded[type]?.contains(path) ?? false)
    }


    /// The object an id names; a deleted one as Stripe shows it (`{id, object, deleted: true}`).
    private func fetch(_ id: String) throws -> JSONValue {
        guard let row = try store.find(id) else { return .string(id) }
        if row.deleted { return ["id": .string(id), "object": row.object["object"], "deleted": true] }
        return try prepare?(row.object) ?? row.object
    }

    /// The value of an includable field, which objects are stored without; nil leaves it absent.
    private func include(_ path: String, of type: String, in object: JSONObject) throws -> JSONValue? {
        let id = object["id"]?.stringValue ?? ""
        func emptyList(_ url: String) -> JSONValue {
            ["object": "list", "data": [], "has_more": false, "total_count": 0, "url": .string(url)]
        }
        switch (type, path) {
        case ("checkout.session", "line_items"):
            let items = try store.hidden(id)["line_items"].arrayValue ?? []
            return ["object": "list", "data": .array(items), "has_more": false, "url": .string("/v1/checkout/sessions/\(id)/line_items")]
        case ("checkout.session", "total_details.breakdown"):
            return object["total_details"]?.isNull == false ? ["discounts": [], "taxes": []] : nil
        case ("customer", "sources"):
            let cards = try store.all(type: "card", filters: [.column("customer", id)])
            return ["object": "list", "data": .array(cards.reversed()), "has_more": false, "total_count": .int(cards.count),
                    "url": .string("/v1/customers/\(id)/sources")]
        case ("customer", "tax_ids"): return emptyList("/v1/customers/\(id)/tax_ids")
        case ("customer", "subscriptions"):
            let subs = try store.all(type: "subscription", filters: [.column("customer", id)])
                .filter { !["canceled", "incomplete_expired"].contains($0["status"].stringValue ?? "") }
            return ["object": "list", "data": .array(subs.reversed()), "has_more": false, "total_count": .int(subs.count),
                    "url": .string("/v1/customers/\(id)/subscriptions")]
        case ("customer", "tax"):
            return ["automatic_tax": "unrecognized_location", "ip_address": nil, "location": nil, "provider": "stripe"]
        case ("customer", "invoice_credit_balance"): return [:]
        case ("customer", "cash_balance"): return .null
        case ("line_item", "taxes"), ("invoiceitem", "discounts"): return []
        case ("item", "discounts"), ("item", "taxes"): return []
        case ("price", "tiers"): return object["billing_scheme"] == "tiered" ? [] : .null
        case ("price", "currency_options"):
            guard let currency = object["currency"]?.stringValue else { return nil }
            var options: JSONValue = [:]
            options[currency] = ["custom_unit_amount": nil, "tax_behavior": object["tax_behavior"] ?? "unspecified",
                                 "unit_amount": object["unit_amount"] ?? .null, "unit_amount_decimal": object["unit_amount_decimal"] ?? .null]
            return options
        case ("account", "external_accounts"): return emptyList("/v1/accounts/\(id)/external_accounts")
        case ("charge", "refunds"): return emptyList("/v1/charges/\(id)/refunds")
        default:
            return nil
        }
    }

    private func cannotExpand(_ key: String, _ path: String) -> StripeError {
        StripeError.invalidRequest("This property cannot be expanded (\(key)). You may want to try expanding '\(path)' on a different object.",
                                   param: "expand")
    }
}
