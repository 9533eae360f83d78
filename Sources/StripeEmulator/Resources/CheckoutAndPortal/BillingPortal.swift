import StripeEngine
import StripeWire

/// `/v1/billing_portal/configurations` and `/v1/billing_portal/sessions`. Each tenant has a
/// default configuration (made on first use) so sessions work without setup, as in test mode.
enum BillingPortal {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/billing_portal/configurations", createConfiguration)
        r.get("/v1/billing_portal/configurations", writes: true, listConfigurations)
        r.read("/v1/billing_portal/configurations/{id}", retrieveConfiguration)
        r.post("/v1/billing_portal/configurations/{id}", updateConfiguration)
        r.post("/v1/billing_portal/sessions", createSession)
    }


    /// The tenant's default configuration, created on first use.
    static func defaultConfiguration(_ ledger: Ledger, now: Int) throws -> JSONValue {
        if let existing = try ledger.store.all(type: "billing_portal.configuration", filters: [.field("is_default", equals: .bool(true))]).first {
            return existing
        }
        let config = try PortalConfiguration.make(ledger, now: now, isDefault: true)
        try ledger.store.insert(config, type: "billing_portal.configuration")
        try ledger.emit(.billingPortalConfigurationCreated, config)
        return config
    }

    static func applyConfiguration(_ req: inout APIRequest, to config: inout JSONValue) throws {
        for f in ["headline", "privacy_policy_url", "terms_of_service_url"] {
            if let v = try req.params.string("business_profile", f) { config["business_profile"][f] = v.isEmpty ? .null : .string(v) }
        }
        try config.setString("default_return_url", from: &req.params)
        try config.setString("name", from: &req.params)
        try config.setBool("active", from: &req.params)
        config["metadata"] = try Metadata.apply(&req.params, to: config["metadata"])
        for feature in ["customer_update", "invoice_history", "payment_method_update", "subscription_cancel", "subscription_update"] {
            if let e = try req.params.bool("features", feature, "enabled") { config["features"][feature]["enabled"] = .bool(e) }
        }
        if let m = try req.params.choice("features", "subscription_cancel", "mode", in: ["at_period_end", "immediately"]) {
            config["features"]["subscription_cancel"]["mode"] = .string(m)
        }
        // A cancellation is never invoiced by the portal: Stripe takes `none` or `create_prorations`,
        // and the latter only when the portal cancels immediately (checked below, on the result).
        if let p = try req.params.choice("features", "subscription_cancel", "proration_behavior", in: ["create_prorations", "none"]) {
            config["features"]["subscription_cancel"]["proration_behavior"] = .string(p)
        }
        let cancel = config["features"]["subscription_cancel"]
        if cancel["proration_behavior"] == "create_prorations", cancel["mode"] != "immediately" {
            throw StripeError.invalidRequest(
                "features[subscription_cancel][proration_behavior] can only be create_prorations when features[subscription_cancel][mode] is immediately.",
                param: "features[subscription_cancel][proration_behavior]")
        }
        if let e = try req.params.bool("features", "subscription_cancel", "cancellation_reason", "enabled") {
            config["features"]["subscription_cancel"]["cancellation_reason"]["enabled"] = .bool(e)
        }
        if let o = try req.params.strings("features", "subscription_cancel", "cancellation_reason", "options") {
            config["features"]["subscription_cancel"]["cancellation_reason"]["options"] = .array(o.map { .string($0) })
        }
        if let u = try req.params.strings("features", "subscription_update", "default_allowed_updates") {
            config["features"]["subscription_update"]["default_allowed_updates"] = .array(u.map { .string($0) })
        }
        if let p = try req.params.choice("features", "subscription_update", "proration_behavior", in: ["always_invoice", "create_prorations", "none"]) {
            config["features"]["subscription_update"]["proration_behavior"] = .string(p)
        }
        let c = try req.params.count("features", "subscription_update", "schedule_at_period_end", "conditions")
        if c > 0 || req.params.has(["features", "subscription_update", "schedule_at_period_end"]) {
            var conditions: [JSONValue] = []
            for i in 0..<c {
                let base = ["features", "subscription_update", "schedule_at_period_end", "conditions", String(i), "type"]
                guard let t = try req.params.choice(base, in: ["decreasing_item_amount", "shortening_interval"]) else {
                    throw StripeError.missingParam(Params.name(base))
                }
                conditions.append(["type": .string(t)])
            }
            config["features"]["subscription_update"]["schedule_at_period_end"] = ["conditions": .array(conditions)]
        }
        let n = try req.params.count("features", "subscription_update", "products")
        if n > 0 {
            var products: [JSONValue] = []
            for i in 0..<n {
                let base = ["features", "subscription_update", "products", String(i)]
                guard let product = try req.params.string(base + ["product"]), !product.isEmpty else {
                    throw StripeError.missingParam(Params.name(base + ["product"]))
                }
                _ = try req.store.get(product, type: "product", param: Params.name(base + ["product"]))
                let prices = try req.params.strings(base + ["prices"]) ?? []
                for p in prices { _ = try req.store.get(p, type: "price", param: Params.name(base + ["prices"])) }
                products.append(["adjustable_quantity": ["enabled": false, "maximum": nil, "minimum": 1],
                                 "prices": .array(prices.map { .string($0) }), "product": .string(product)])
            }
            config["features"]["subscription_update"]["products"] = .array(products)
        }
        if let a = try req.params.strings("features", "customer_update", "allowed_updates") {
            config["features"]["customer_update"]["allowed_updates"] = .array(a.map { .string($0) })
        }
        _ = try req.params.bool("login_page", "enabled")
    }

    static func createConfiguration(_ req: inout APIRequest) throws -> JSONValue {
        var config = try PortalConfiguration.make(req.ledger, now: req.now, isDefault: false)
        try applyConfiguration(&req, to: &config)
        try req.store.insert(config, type: "billing_portal.configuration")
        try req.ledger.emit(.billingPortalConfigurationCreated, config)
        return config
    }

    static func retrieveConfiguration(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "billing_portal.configuration", noun: "billing portal configuration")
    }

    static func updateConfiguration(_ req: inout APIRequest) throws -> JSONValue {
        var config = try req.store.get(req.pathParam(), type: "billing_portal.configuration", noun: "billing portal configuration")
        let before = config
        try applyConfiguration(&req, to: &config)
        config["updated"] = .int(req.now)
        try req.store.update(config)
        try req.ledger.emitUpdate(.billingPortalConfigurationUpdated, before: before, after: config)
        return config
    }

    static func listConfigurations(_ req: inout APIRequest) throws -> JSONValue {
        _ = try defaultConfiguration(req.ledger, now: req.now)  // reading the list is what makes it exist in test mode
        var (page, filters) = try req.listPage(createdFilter: false)
        if let a = try req.params.bool("active") { filters.append(.field("active", equals: .bool(a))) }
        if let d = try req.params.bool("is_default") { filters.append(.field("is_default", equals: .bool(d))) }
        return try req.store.list(type: "billing_portal.configuration", filters: filters, page: page,
                                  url: "/v1/billing_portal/configurations", noun: "billing portal configuration")
    }

    static func createSession(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(try req.params.requiredString("customer"), req, param: "customer")
        let ledger = req.ledger
        let now = try ledger.now(for: customer)
        let config: JSONValue
        if let c = try req.params.nonEmpty("configuration") {
            config = try req.store.get(c, type: "billing_portal.configuration", noun: "billing portal configuration", param: "configuration")
        } else {
            config = try defaultConfiguration(ledger, now: now)
        }
        var flow: JSONValue = .null
        if let type = try req.params.choice("flow_data", "type", in: ["payment_method_update", "subscription_cancel", "subscription_update",
                                                                      "subscription_update_confirm"]) {
            var f: JSONValue = ["type": .string(type), "after_completion": ["type": "portal_homepage", "hosted_confirmation": nil, "redirect": nil],
                                "subscription_cancel": nil, "subscription_update": nil, "subscription_update_confirm": nil]
            if let after = try req.params.choice("flow_data", "after_completion", "type", in: ["hosted_confirmation", "portal_homepage", "redirect"]) {
                f["after_completion"]["type"] = .string(after)
                if let url = try req.params.nonEmpty("flow_data", "after_completion", "redirect", "return_url") {
                    f["after_completion"]["redirect"] = ["return_url": .string(url)]
                }
                if let msg = try req.params.nonEmpty("flow_data", "after_completion", "hosted_confirmation", "custom_message") {
                    f["after_completion"]["hosted_confirmation"] = ["custom_message": .string(msg)]
                }
            }
            if type != "payment_method_update" {
                guard let sub = try req.params.nonEmpty("flow_data", type, "subscription") else {
                    throw StripeError.missingParam("flow_data[\(type)][subscription]")
                }
                let s = try req.store.get(sub, type: "subscription", param: "flow_data[\(type)][subscription]")
                guard s["customer"] == customer["id"] else {
                    throw StripeError.invalidRequest("The subscription \(sub) does not belong to this customer.", param: "flow_data[\(type)][subscription]")
                }
                f[type] = ["subscription": .string(sub)]
                if type == "subscription_update_confirm" {
                    let n = try req.params.count("flow_data", type, "items")
                    var items: [JSONValue] = []
                    for i in 0..<n {
                        let base = ["flow_data", type, "items", String(i)]
                        items.append(["id": .from(try req.params.string(base + ["id"])), "price": .from(try req.params.string(base + ["price"])),
                                      "quantity": .from(try req.params.int(base + ["quantity"]))])
                    }
                    f[type]["items"] = .array(items)
                }
            }
            flow = f
        }
        let id = try req.newID("bps")
        let alias = try AccountAlias.register(ledger)
        let session: JSONValue = [
            "id": .string(id), "object": "billing_portal.session", "configuration": config["id"], "created": .int(now),
            "customer": customer["id"], "customer_account": nil, "flow": flow, "livemode": false,
            "locale": .from(try req.params.nonEmpty("locale")), "on_behalf_of": .from(try req.params.nonEmpty("on_behalf_of")),
            "return_url": .from(try req.params.nonEmpty("return_url") ?? config["default_return_url"].stringValue),
            "url": .string("\(req.settings.baseURL)/p/session/\(alias)/\(id)"),
        ]
        try req.store.insert(session, type: "billing_portal.session")
        try ledger.emit(.billingPortalSessionCreated, session)
        return session
    }
}
