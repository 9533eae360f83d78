import StripeEngine
import StripeWire

/// `/v1/plans`: the older name for recurring prices, which older integrations still create and
/// read. As on Stripe, a plan and its price are one object with one id (`GET /v1/prices/{plan}`
/// works too): a plan is stored as a recurring price and shown in the plan shape. Creating one
/// sends `plan.created` and `price.created`; updates and deletes send `plan.updated` / `plan.deleted`.
enum Plans {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/plans", create)
        r.read("/v1/plans", list)
        r.read("/v1/plans/{plan}", retrieve)
        r.post("/v1/plans/{plan}", update)
        r.delete("/v1/plans/{plan}", delete)
    }

    static func view(_ price: JSONValue) -> JSONValue { BasilInvoicingAndPeriods.plan(of: price) }

    /// A recurring price, by the plan id given in the path.
    static func get(_ req: APIRequest) throws -> JSONValue {
        let price = try req.store.get(req.pathParam(), type: "price", noun: "plan")
        guard price["type"] == "recurring" else { throw StripeError.noSuch("plan", req.pathParam()) }
        return price
    }

    /// The plan's parameters in the price's spelling (`amount` → `unit_amount`, `interval` →
    /// `recurring[interval]`, `product[name]` → `product_data[name]`), checked first so that
    /// errors name the plan's own parameters.
    static func asPriceParams(_ root: [String: FormValue]) throws -> [String: FormValue] {
        var r = root
        guard case .string(let currency)? = r["currency"], !currency.isEmpty else { throw StripeError.missingParam("currency") }
        guard case .string(let interval)? = r["interval"], !interval.isEmpty else { throw StripeError.missingParam("interval") }
        guard ["day", "week", "month", "year"].contains(interval) else {
            throw StripeError.invalidValue("interval", "must be one of day, week, month or year")
        }
        let scheme: String
        if case .string(let s)? = r["billing_scheme"] { scheme = s } else { scheme = "per_unit" }
        if scheme == "per_unit", r["amount"] == nil, r["amount_decimal"] == nil { throw StripeError.missingParam("amount") }
        var recurring: [String: FormValue] = ["interval": .string(interval)]
        for (from, to) in [("interval_count", "interval_count"), ("usage_type", "usage_type"), ("trial_period_days", "trial_period_days"),
                           ("aggregate_usage", "aggregate_usage"), ("meter", "meter")] {
            if let v = r.removeValue(forKey: from) { recurring[to] = v }
        }
        r["interval"] = nil
        r["recurring"] = .dict(recurring)
        if let a = r.removeValue(forKey: "amount") { r["unit_amount"] = a }
        if let d = r.removeValue(forKey: "amount_decimal") { r["unit_amount_decimal"] = d }
        if let t = r.removeValue(forKey: "transform_usage") { r["transform_quantity"] = t }
        if case .dict(let product)? = r["product"] {
            r["product"] = nil
            r["product_data"] = .dict(product)
        }
        if let id = r.removeValue(forKey: "id") { r["_plan_id"] = id }
        return r
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        var root = try asPriceParams(req.params.root)
        var chosen: String? = nil
        if case .string(let id)? = root.removeValue(forKey: "_plan_id"), !id.isEmpty {
            guard try req.store.find(id) == nil else {
                throw StripeError.invalidRequest("Plan already exists.", param: "id", code: "resource_already_exists")
            }
            chosen = id
        }
        // The price's own reader checks the rest, and names what it does not know.
        var priceReq = req
        priceReq.params = Params(root)
        let price = try Prices.createRoute(&priceReq, id: chosen)
        try priceReq.params.finish()
        root = [:]
        req.params = Params(root)
        let plan = view(price)
        try req.ledger.emit(.planCreated, plan)
        return plan
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { view(try get(req)) }

    /// Only the nickname, `active`, `metadata`, `trial_period_days` and `product` of a plan change.
    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var price = try get(req)
        let before = view(price)
        try price.setString("nickname", from: &req.params)
        try price.setBool("active", from: &req.params)
        price["metadata"] = try Metadata.apply(&req.params, to: price["metadata"])
        if let days = try req.params.int("trial_period_days") { price["recurring"]["trial_period_days"] = .int(days) }
        if let p = try req.params.nonEmpty("product") { price["product"] = try req.store.get(p, type: "product", param: "product")["id"] }
        try req.store.update(price)
        let after = view(price)
        try req.ledger.emitUpdate(.planUpdated, before: before, after: after)
        return after
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let price = try get(req)
        let id = price["id"].stringValue!
        try req.store.markDeleted(id)
        try req.ledger.emit(.planDeleted, view(price))
        return deletedStub(id, "plan")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        filters.append(.field("type", equals: "recurring"))
        if let a = try req.params.bool("active") { filters.append(.field("active", equals: .bool(a))) }
        if let p = try req.params.nonEmpty("product") { filters.append(.field("product", equals: .string(p))) }
        var list = try req.store.list(type: "price", filters: filters, page: page, url: "/v1/plans", noun: "plan")
        list["data"] = .array((list["data"].arrayValue ?? []).map(view))
        return list
    }
}
