import StripeEngine
import StripeWire

/// `/v1/events`: the tenant's event log, newest first, filterable by `type` (with `*` wildcards),
/// `types[]` and `created`.
enum Events {
    static func register(_ r: inout APIRouter) {
        r.read("/v1/events", list)
        r.read("/v1/events/{id}", retrieve)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "event", noun: "event")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let type = try req.params.nonEmpty("type") {
            if type.contains("*") {
                filters.append(ListFilter(sql: "tag GLOB ?", arguments: [type]))
            } else {
                filters.append(.column("tag", type))
            }
        }
        if let types = try req.params.strings("types"), !types.isEmpty {
            guard types.count <= 20 else { throw StripeError.invalidRequest("You can pass at most 20 types.", param: "types") }
            filters.append(ListFilter(sql: "tag IN (\(types.map { _ in "?" }.joined(separator: ", ")))", arguments: types))
        }
        // Whether every endpoint the event was sent to has acknowledged it: `pending_webhooks`
        // counts those that have not (still retrying, or given up on).
        if let delivered = try req.params.bool("delivery_success") {
            filters.append(delivered ? .field("pending_webhooks", equals: .int(0)) : .field("pending_webhooks", greaterThan: 0))
        }
        return try req.store.list(type: "event", filters: filters, page: page, url: "/v1/events", noun: "event")
    }
}
