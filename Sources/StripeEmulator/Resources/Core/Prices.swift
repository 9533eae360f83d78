import StripeEngine
import StripeWire

/// `/v1/prices`: one-time and recurring prices, `product_data`, `lookup_key` (unique per account,
/// moved with `transfer_lookup_key`), list filters including `lookup_keys[]`. Prices cannot be deleted.
enum Prices {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/prices") { req in try createRoute(&req) }
        r.read("/v1/prices", list)
        r.read("/v1/prices/search", search)
        r.read("/v1/prices/{price}", retrieve)
        r.post("/v1/prices/{price}", update)
    }

    /// `id`: a chosen id (plans take one; prices do not).
    static func createRoute(_ req: inout APIRequest, id: String? = nil) throws -> JSONValue {
        let product: String
        if let p = try req.params.nonEmpty("product") {
            _ = try req.store.get(p, type: "product", param: "product")
            product = p
        } else if req.params.has("product_data") {
            let name = try req.params.requiredString("product_data", "name")
            var prod = Products.make(id: try req.params.nonEmpty("product_data", "id") ?? req.newID("prod"), name: name, now: req.now)
            if let a = try req.params.bool("product_data", "active") { prod["active"] = .bool(a) }
            for f in ["statement_descriptor", "unit_label", "tax_code"] {
                if let v = try req.params.nonEmpty("product_data", f) { prod[f] = .string(v) }
            }
            prod["metadata"] = try Metadata.apply(&req.params, to: [:], path: ["product_data", "metadata"])
            try req.store.insert(prod, type: "product")
            try req.ledger.emit(.productCreated, prod)
            product = prod["id"].stringValue!
        } else {
            throw StripeError.invalidRequest("You must specify either `product` or `product_data` when creating a price.",
                                             param: "product", code: "parameter_missing")
        }
        return try create(from: &req, path: [], product: product, id: id)
    }

    /// Builds and stores a price from params under `path` (top level, or `default_price_data`).
    static func create(from req: inout APIRequest, path: [String], product: String, id chosen: String? = nil) throws -> JSONValue {
        func p(_ f: String...) -> [String] { path + f }
        let name = { (f: String...) in Params.name(path + f) }
        guard let rawCurrency = try req.params.string(p("currency")), !rawCurrency.isEmpty else { throw StripeError.missingParam(name("currency")) }
        let currency = try Currencies.check(rawCurrency, param: name("currency"))
        let scheme = try req.params.string(p("billing_scheme")).flatMap { $0.isEmpty ? nil : $0 } ?? "per_unit"
        guard ["per_unit", "tiered"].contains(scheme) else {
            throw StripeError.invalidValue(name("billing_scheme"), "must be per_unit or tiered")
        }
        var unitAmount = try req.params.int(p("unit_amount"))
        var decimal: String? = nil
        if let d = try req.params.string(p("unit_amount_decimal")), !d.isEmpty {
            guard let v = Double(d), v >= 0 else { throw StripeError.invalidValue(name("unit_amount_decimal"), "must be a decimal number") }
            guard v.isFinite, v <= Double(IntegerLimits.maxAmount) else {
                throw StripeError.invalidRequest("Amount must be no more than 99999999 (in the currency's smallest unit): \(name("unit_amount_decimal")) was \(d).",
                                                 param: name("unit_amount_decimal"), code: "amount_too_large")
            }
            decimal = d
            if unitAmount == nil, v == v.rounded() { unitAmount = Int(v) }
        }
        if let u = unitAmount {
            guard u >= 0, u <= 99_999_999 else {
                throw StripeError.invalidRequest("Invalid integer: \(u). unit_amount must be between 0 and 99999999.", param: name("unit_amount"))
            }
        }
        var tiers: JSONValue = .null
        var tiersMode: JSONValue = .null
        if scheme == "tiered" {
            guard let mode = try req.params.string(p("tiers_mode")), ["graduated", "volume"].contains(mode) else {
                throw StripeError.invalidRequest("Tiered prices need tiers_mode (graduated or volume).", param: name("tiers_mode"))
            }
            tiersMode = .string(mode)
            let n = try req.params.count(p("tiers"))
            guard n > 0 else {
                throw StripeError.invalidRequest("Tiered prices need `tiers` and `tiers_mode`.", param: name("tiers"))
            }
            var list: [JSONValue] = []
            for i in 0..<n {
                let t = p("tiers", String(i))
                let upTo = try req.params.string(t + ["up_to"])
                list.append([
                    "flat_amount": .from(try req.params.int(t + ["flat_amount"])),
                    "flat_amount_decimal": .from(try req.params.string(t + ["flat_amount_decimal"])),
                    "unit_amount": .from(try req.params.int(t + ["unit_amount"])),
                    "unit_amount_decimal": .from(try req.params.string(t + ["unit_amount_decimal"])),
                    "up_to": upTo == "inf" || upTo == nil ? .null : .from(Int(upTo!)),
                ])
            }
            tiers = .array(list)
        } else if unitAmount == nil && !req.params.has("custom_unit_amount") {
            throw StripeError.invalidRequest("Missing required param: \(name("unit_amount")). Prices with billing_scheme=per_unit need unit_amount or unit_amount_decimal.",
                                             param: name("unit_amount"), code: "parameter_missing")
        }
        var recurring: JSONValue = .null
        if req.params.has(p("recurring")) {
            guard let interval = try req.params.string(p("recurring", "interval")), !interval.isEmpty else {
                throw StripeError.missingParam(name("recurring", "interval"))
            }
            guard ["day", "week", "month", "year"].contains(interval) else {
                throw StripeError.invalidValue(name("recurring", "interval"), "must be one of day, week, month or year")
            }
            let count = try req.params.int(p("recurring", "interval_count")) ?? 1
            let maxCount = ["day": 1095, "week": 156, "month": 36, "year": 3][interval]!
            guard count >= 1, count <= maxCount else {
                throw StripeError.invalidRequest("Invalid recurring[interval_count]: the maximum billing period is 3 years (\(maxCount) \(interval)s).",
                                                 param: name("recurring", "interval_count"))
            }
            let usage = try req.params.string(p("recurring", "usage_type")).flatMap { $0.isEmpty ? nil : $0 } ?? "licensed"
            guard ["licensed", "metered"].contains(usage) else { throw StripeError.invalidValue(name("recurring", "usage_type"), "must be licensed or metered") }
            let meter = try meterParam(&req, path: p("recurring"), usage: usage)
            recurring = ["interval": .string(interval), "interval_count": .int(count),
                         "meter": .from(meter), "usage_type": .string(usage),
                         "trial_period_days": nil]
            if usage == "metered", meter == nil {
                // Legacy usage-based billing (usage records), before 2025-03-31.basil only.
                recurring["aggregate_usage"] = .string(try req.params.choice(p("recurring", "aggregate_usage"),
                                                                            in: ["sum", "last_during_period", "last_ever", "max"]) ?? "sum")
            }
            if let trial = try req.params.int(p("recurring", "trial_period_days")) { recurring["trial_period_days"] = .int(trial) }
        }
        let id = try chosen ?? req.newID("price")
        var price: JSONValue = [
            "id": .string(id), "object": "price", "active": true, "billing_scheme": .string(scheme),
            "created": .int(req.now), "currency": .string(currency.lowercased()), "currency_options": nil,
            "custom_unit_amount": nil, "livemode": false, "lookup_key": nil, "metadata": [:], "nickname": nil,
            "product": .string(product), "recurring": recurring, "tax_behavior": "unspecified", "tiers_mode": tiersMode,
            "transform_quantity": nil, "type": recurring.isNull ? "one_time" : "recurring",
            "unit_amount": .from(unitAmount), "unit_amount_decimal": .from(decimal ?? unitAmount.map(String.init)),
        ]
        if !tiers.isNull { price["tiers"] = tiers }
        if req.params.has(p("custom_unit_amount")) {
            price["custom_unit_amount"] = ["maximum": .from(try req.params.int(p("custom_unit_amount", "maximum"))),
                                           "minimum": .from(try req.params.int(p("custom_unit_amount", "minimum"))),
                                           "preset": .from(try req.params.int(p("custom_unit_amount", "preset")))]
            _ = try req.params.bool(p("custom_unit_amount", "enabled"))
        }
        if let tb = try req.params.string(p("tax_behavior")), !tb.isEmpty {
            guard ["exclusive", "inclusive", "unspecified"].contains(tb) else { throw StripeError.invalidValue(name("tax_behavior"), "must be exclusive, inclusive or unspecified") }
            price["tax_behavior"] = .string(tb)
        }
        if path.isEmpty {
            try price.setBool("active", from: &req.params)
            try price.setString("nickname", from: &req.params)
            price["metadata"] = try Metadata.apply(&req.params, to: [:])
            if req.params.has("transform_quantity") {
                guard let divide = try req.params.int("transform_quantity", "divide_by") else { throw StripeError.missingParam("transform_quantity[divide_by]") }
                guard divide >= 1 else {
                    throw StripeError.invalidRequest("transform_quantity[divide_by] must be at least 1.", param: "transform_quantity[divide_by]")
                }
                guard let round = try req.params.choice("transform_quantity", "round", in: ["up", "down"]) else {
                    throw StripeError.missingParam("transform_quantity[round]")
                }
                guard scheme == "per_unit" else {
                    throw StripeError.invalidRequest("transform_quantity cannot be combined with billing_scheme=tiered.", param: "transform_quantity")
                }
                price["transform_quantity"] = ["divide_by": .int(divide), "round": .string(round)]
            }
            if let key = try req.params.nonEmpty("lookup_key") {
                try claimLookupKey(key, for: id, transfer: try req.params.bool("transfer_lookup_key") ?? false, &req)
                price["lookup_key"] = .string(key)
            } else {
                _ = try req.params.bool("transfer_lookup_key")
            }
        } else {
            price["metadata"] = try Metadata.apply(&req.params, to: [:], path: path + ["metadata"])
        }
        try req.store.insert(price, type: "price")
        try req.ledger.emit(.priceCreated, price)
        return price
    }

    /// `recurring[meter]`: an active meter, on a metered price. From 2025-03-31.basil a metered
    /// price needs one (legacy usage records are gone); before, `recurring[aggregate_usage]`
    /// makes a legacy metered price instead.
    static func meterParam(_ req: inout APIRequest, path: [String], usage: String) throws -> String? {
        let name = Params.name(path + ["meter"])
        let meter = try req.params.nonEmptyPath(path + ["meter"])
        let basil = req.version >= BasilInvoicingAndPeriods.version
        if basil, req.params.has(path + ["aggregate_usage"]) { throw StripeError.unknownParam(Params.name(path + ["aggregate_usage"])) }
        if let meter {
            guard usage == "metered" else {
                throw StripeError.invalidRequest("`\(name)` can only be set when `\(Params.name(path + ["usage_type"]))` is `metered`.", param: name)
            }
            let m = try req.store.get(meter, type: "billing.meter", noun: "billing meter", param: name)
            guard m["status"] == "active" else {
                throw StripeError.invalidRequest("The meter `\(meter)` is inactive: a deactivated meter cannot be attached to a price.", param: name)
            }
            if req.params.has(path + ["aggregate_usage"]) {
                throw StripeError.invalidRequest("`\(Params.name(path + ["aggregate_usage"]))` cannot be set on a price with a meter: the meter's `default_aggregation` applies.",
                                                 param: Params.name(path + ["aggregate_usage"]))
            }
        } else if usage == "metered", basil {
            throw StripeError.invalidRequest("Metered prices require a meter: pass `\(name)` (usage records were removed in API version 2025-03-31.basil).",
                                             param: name, code: "parameter_missing")
        }
        return meter
    }

    /// Lookup keys are unique per account; `transfer_lookup_key` takes one from the price holding it.
    static func claimLookupKey(_ key: String, for id: String, transfer: Bool, _ req: inout APIRequest) throws {
        guard key.count <= 200 else { throw StripeError.invalidRequest("lookup_key can have at most 200 characters.", param: "lookup_key") }
        let holders = try req.store.all(type: "price", filters: [.field("lookup_key", equals: .string(key))])
        for var holder in holders where holder["id"].stringValue != id {
            guard transfer else {
                throw StripeError.invalidRequest(
                    "A price (`\(holder["id"].stringValue!)`) already uses that lookup key. Pass transfer_lookup_key=true to move it to this price.",
                    param: "lookup_key", code: "lookup_key_already_used")
            }
            let before = holder
            holder["lookup_key"] = nil
            try req.store.update(holder)
            try req.ledger.emitUpdate(.priceUpdated, before: before, after: holder)
        }
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "price")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var price = try req.store.get(req.pathParam(), type: "price")
        let before = price
        try price.setBool("active", from: &req.params)
        try price.setString("nickname", from: &req.params)
        price["metadata"] = try Metadata.apply(&req.params, to: price["metadata"])
        if let tb = try req.params.choice("tax_behavior", in: ["exclusive", "inclusive", "unspecified"]) {
            guard price["tax_behavior"].stringValue == "unspecified" || price["tax_behavior"].stringValue == tb else {
                throw StripeError.invalidRequest("tax_behavior cannot be changed once it is set to inclusive or exclusive.", param: "tax_behavior")
            }
            price["tax_behavior"] = .string(tb)
        }
        let transfer = try req.params.bool("transfer_lookup_key") ?? false
        if let key = try req.params.string("lookup_key") {
            if key.isEmpty {
                price["lookup_key"] = nil
            } else {
                try claimLookupKey(key, for: price["id"].stringValue!, transfer: transfer, &req)
                price["lookup_key"] = .string(key)
            }
        }
        try req.store.update(price)
        try req.ledger.emitUpdate(.priceUpdated, before: before, after: price)
        return price
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let active = try req.params.bool("active") { filters.append(.field("active", equals: .bool(active))) }
        if let c = try req.params.currency("currency") { filters.append(.field("currency", equals: .string(c))) }
        if let p = try req.params.nonEmpty("product") { filters.append(.field("product", equals: .string(p))) }
        if let t = try req.params.choice("type", in: ["one_time", "recurring"]) { filters.append(.field("type", equals: .string(t))) }
        if let keys = try req.params.strings("lookup_keys"), !keys.isEmpty {
            guard keys.count <= 10 else { throw StripeError.invalidRequest("You can pass at most 10 lookup_keys.", param: "lookup_keys") }
            filters.append(.field("lookup_key", in: keys))
        }
        if let i = try req.params.nonEmpty("recurring", "interval") { filters.append(.field("recurring.interval", equals: .string(i))) }
        if let u = try req.params.nonEmpty("recurring", "usage_type") { filters.append(.field("recurring.usage_type", equals: .string(u))) }
        if let m = try req.params.nonEmpty("recurring", "meter") { filters.append(.field("recurring.meter", equals: .string(m))) }
        return try req.store.list(type: "price", filters: filters, page: page, url: "/v1/prices", noun: "price")
    }

    static func search(_ req: inout APIRequest) throws -> JSONValue {
        try req.search(type: "price", url: "/v1/prices/search")
    }
}
