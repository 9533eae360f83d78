import StripeEngine
import StripeWire

/// `/v1/subscription_items`: item-level changes, applied through the subscription engine so they
/// prorate and emit events exactly like a subscription update.
enum SubscriptionItems {
    static func register(_ r: inout APIRouter) {
        r.read("/v1/subscription_items", list)
        r.post("/v1/subscription_items", create)
        r.read("/v1/subscription_items/{id}", retrieve)
        r.post("/v1/subscription_items/{id}", update)
        r.delete("/v1/subscription_items/{id}", delete)
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "subscription_item", noun: "subscription item")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let subID = try req.params.requiredString("subscription")
        let sub = try req.store.get(subID, type: "subscription", param: "subscription")
        let (page, _) = try req.listPage(createdFilter: false)
        _ = page
        let items = SubscriptionEngine.items(sub)
        return ["object": "list", "data": .array(Array(items.prefix(page.limit))), "has_more": .bool(items.count > page.limit),
                "url": "/v1/subscription_items"]
    }

    static func readProration(_ req: inout APIRequest, into change: inout SubscriptionChange) throws {
        if let p = try req.params.choice("proration_behavior", in: ["create_prorations", "none", "always_invoice"]) { change.prorationBehavior = p }
        change.prorationDate = try req.params.int("proration_date")
        if let b = try req.params.choice("payment_behavior", in: ["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"]) {
            change.paymentBehavior = b
        }
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let subID = try req.params.requiredString("subscription")
        var sub = try req.store.get(subID, type: "subscription", param: "subscription")
        let priceID = try req.params.requiredString("price")
        var item = SubscriptionChange.Item()
        item.price = try Subscriptions.price(priceID, req, param: "price")
        item.quantity = try req.params.int("quantity") ?? 1
        item.metadata = try Metadata.apply(&req.params, to: [:])
        var change = SubscriptionChange(items: [item])
        try readProration(&req, into: &change)
        let before = Set(SubscriptionEngine.items(sub).compactMap { $0["id"].stringValue })
        try SubscriptionEngine.update(&sub, change, req.ledger)
        guard let added = SubscriptionEngine.items(sub).first(where: { !before.contains($0["id"].stringValue ?? "") }) else {
            throw StripeError.invalidRequest("The item could not be added.")
        }
        return added
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        let current = try req.store.get(req.pathParam(), type: "subscription_item", noun: "subscription item")
        var sub = try req.store.get(current["subscription"].stringValue!, type: "subscription")
        var item = SubscriptionChange.Item(id: current["id"].stringValue)
        if let p = try req.params.nonEmpty("price") { item.price = try Subscriptions.price(p, req, param: "price") }
        item.quantity = try req.params.int("quantity")
        if req.params.has("metadata") { item.metadata = try Metadata.apply(&req.params, to: current["metadata"]) }
        var change = SubscriptionChange(items: [item])
        try readProration(&req, into: &change)
        try SubscriptionEngine.update(&sub, change, req.ledger)
        return SubscriptionEngine.items(sub).first { $0["id"] == current["id"] } ?? current
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let current = try req.store.get(req.pathParam(), type: "subscription_item", noun: "subscription item")
        var sub = try req.store.get(current["subscription"].stringValue!, type: "subscription")
        var change = SubscriptionChange(items: [SubscriptionChange.Item(id: current["id"].stringValue, deleted: true)])
        try readProration(&req, into: &change)
        _ = try req.params.bool("clear_usage")
        try SubscriptionEngine.update(&sub, change, req.ledger)
        return deletedStub(current["id"].stringValue!, "subscription_item")
    }
}
