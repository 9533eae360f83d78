import StripeEngine
import StripeWire

/// `/v1/products`: create (with `default_price_data`), retrieve, update, delete, list.
enum Products {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/products", create)
        r.read("/v1/products", list)
        r.read("/v1/products/{product}", retrieve)
        r.post("/v1/products/{product}", update)
        r.delete("/v1/products/{product}", delete)
    }

    static func make(id: String, name: String, now: Int) -> JSONValue {
        [
            "id": .string(id), "object": "product", "active": true, "created": .int(now), "default_price": nil,
            "description": nil, "images": [], "livemode": false, "marketing_features": [], "metadata": [:],
            "name": .string(name), "package_dimensions": nil, "shippable": nil, "statement_descriptor": nil,
            "tax_code": nil, "type": "service", "unit_label": nil, "updated": .int(now), "url": nil,
        ]
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let name = try req.params.requiredString("name")
        var id = try req.params.nonEmpty("id") ?? ""
        if id.isEmpty {
            id = try req.newID("prod")
        } else if try req.store.find(id) != nil {
            throw StripeError.invalidRequest("Product already exists.", param: "id", code: "resource_already_exists")
        }
        var p = make(id: id, name: name, now: req.now)
        try apply(&req, to: &p)
        try req.store.insert(p, type: "product")
        let created = try EventLog.emit(req.ledger, type: .productCreated, object: p, previous: nil)
        if req.params.has("default_price_data") {
            let price = try Prices.create(from: &req, path: ["default_price_data"], product: id)
            p["default_price"] = price["id"]
            try req.store.update(p)
            try EventLog.replaceObject(req.ledger, eventID: created, with: p)
        }
        return p
    }

    static func apply(_ req: inout APIRequest, to p: inout JSONValue) throws {
        if let n = try req.params.string("name") {
            guard !n.isEmpty else { throw StripeError.invalidRequest("You must provide a name for the product.", param: "name") }
            p["name"] = .string(n)
        }
        try p.setBool("active", from: &req.params)
        for f in ["description", "statement_descriptor", "unit_label", "url", "tax_code"] { try p.setString(f, from: &req.params) }
        try p.setBool("shippable", from: &req.params)
        try p.setStrings("images", from: &req.params)
        if req.params.has("marketing_features") {
            let n = try req.params.count("marketing_features")
            var features: [JSONValue] = []
            for i in 0..<n {
                features.append(["name": .from(try req.params.string(["marketing_features", String(i), "name"]))])
            }
            p["marketing_features"] = .array(features)
        }
        if req.params.has("package_dimensions") {
            var d: [String: JSONValue] = [:]
            for f in ["height", "length", "weight", "width"] {
                guard let s = try req.params.string(["package_dimensions", f]), let v = Double(s) else {
                    throw StripeError.missingParam("package_dimensions[\(f)]")
                }
                d[f] = .double(v)
            }
            p["package_dimensions"] = .object(d)
        }
        p["metadata"] = try Metadata.apply(&req.params, to: p["metadata"])
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "product")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var p = try req.store.get(req.pathParam(), type: "product")
        let before = p
        try apply(&req, to: &p)
        if let dp = try req.params.string("default_price") {
            if dp.isEmpty {
                p["default_price"] = nil
            } else {
                let price = try req.store.get(dp, type: "price", param: "default_price")
                guard price["product"].stringValue == p["id"].stringValue else {
                    throw StripeError.invalidRequest("The price \(dp) does not belong to this product.", param: "default_price")
                }
                p["default_price"] = .string(dp)
            }
        }
        if p != before { p["updated"] = .int(req.now) }
        try req.store.update(p)
        try req.ledger.emitUpdate(.productUpdated, before: before, after: p)
        return p
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        let product = try req.store.get(id, type: "product")
        let prices = try req.store.all(type: "price", filters: [.field("product", equals: .string(id))])
        guard prices.isEmpty else {
            throw StripeError.invalidRequest(
                "This product cannot be deleted because it has one or more user-created prices. Archive it instead (active=false).",
                param: nil, code: "product_has_prices")
        }
        try req.store.markDeleted(id)
        try req.ledger.emit(.productDeleted, product)
        return deletedStub(id, "product")
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let active = try req.params.bool("active") { filters.append(.field("active", equals: .bool(active))) }
        if let shippable = try req.params.bool("shippable") { filters.append(.field("shippable", equals: .bool(shippable))) }
        if let url = try req.params.nonEmpty("url") { filters.append(.field("url", equals: .string(url))) }
        if let ids = try req.params.strings("ids"), !ids.isEmpty { filters.append(ListFilter(sql: "id IN (\(ids.map { _ in "?" }.joined(separator: ",")))", arguments: ids)) }
        return try req.store.list(type: "product", filters: filters, page: page, url: "/v1/products", noun: "product")
    }
}
