import StripeEngine
import StripeWire

/// `/v1/billing/meters`, `/v1/billing/meter_events`, `/v1/billing/meter_event_adjustments` and a
/// meter's `event_summaries`: usage-based billing. Meters are objects; their events are rows of
/// the `meter_events` table (see ``MeterEvents``), aggregated when an invoice or a summary needs them.
enum Meters {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/billing/meters", create)
        r.read("/v1/billing/meters", list)
        r.read("/v1/billing/meters/{id}", retrieve)
        r.post("/v1/billing/meters/{id}", update)
        r.post("/v1/billing/meters/{id}/deactivate") { req in try setStatus(&req, active: false) }
        r.post("/v1/billing/meters/{id}/reactivate") { req in try setStatus(&req, active: true) }
        r.get("/v1/billing/meters/{id}/event_summaries", summaries)
        r.post("/v1/billing/meter_events", createEvent)
        r.post("/v1/billing/meter_event_adjustments", createAdjustment)
    }

    static let type = "billing.meter"

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: type, noun: "billing meter")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let displayName = try req.params.requiredString("display_name")
        guard !displayName.isEmpty else { throw StripeError.missingParam("display_name") }
        guard displayName.count <= 250 else { throw StripeError.invalidRequest("display_name can have at most 250 characters.", param: "display_name") }
        let eventName = try req.params.requiredString("event_name")
        guard !eventName.isEmpty else { throw StripeError.missingParam("event_name") }
        guard eventName.count <= 100 else { throw StripeError.invalidRequest("event_name can have at most 100 characters.", param: "event_name") }
        guard let formula = try req.params.choice("default_aggregation", "formula", in: ["count", "last", "sum"]) else {
            throw StripeError.missingParam("default_aggregation[formula]")
        }
        var customerKey = "stripe_customer_id"
        if req.params.has("customer_mapping") {
            guard let key = try req.params.nonEmpty("customer_mapping", "event_payload_key") else {
                throw StripeError.missingParam("customer_mapping[event_payload_key]")
            }
            guard try req.params.choice("customer_mapping", "type", in: ["by_id"]) != nil else {
                throw StripeError.missingParam("customer_mapping[type]")
            }
            customerKey = key
        }
        var valueKey = "value"
        if req.params.has("value_settings") {
            guard let key = try req.params.nonEmpty("value_settings", "event_payload_key") else {
                throw StripeError.missingParam("value_settings[event_payload_key]")
            }
            valueKey = key
        }
        guard customerKey != valueKey else {
            throw StripeError.invalidRequest("customer_mapping[event_payload_key] and value_settings[event_payload_key] must differ.",
                                             param: "value_settings[event_payload_key]")
        }
        let window = try req.params.choice("event_time_window", in: ["day", "hour"])
        if let taken = try activeMeter(eventName, req) {
            throw StripeError.invalidRequest(
                "An active meter (`\(taken["id"].stringValue ?? "")`) already uses the event_name `\(eventName)`. Event names must be unique among active meters.",
                param: "event_name")
        }
        let meter: JSONValue = [
            "id": .string(try req.newID("mtr")), "object": "billing.meter", "created": .int(req.now),
            "customer_mapping": ["event_payload_key": .string(customerKey), "type": "by_id"],
            "default_aggregation": ["formula": .string(formula)], "display_name": .string(displayName),
            "event_name": .string(eventName), "event_time_window": .from(window), "livemode": false, "status": "active",
            "status_transitions": ["deactivated_at": nil], "updated": .int(req.now),
            "value_settings": ["event_payload_key": .string(valueKey)],
        ]
        try req.store.insert(meter, type: type)
        try req.ledger.emit(.billingMeterCreated, meter)
        return meter
    }

    static func activeMeter(_ eventName: String, _ req: APIRequest) throws -> JSONValue? {
        try req.store.all(type: type, filters: [.field("event_name", equals: .string(eventName)), .field("status", equals: "active")]).first
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var meter = try get(req.pathParam(), req)
        let before = meter
        if let name = try req.params.string("display_name") {
            guard !name.isEmpty else { throw StripeError.invalidRequest("display_name cannot be empty.", param: "display_name") }
            meter["display_name"] = .string(name)
        }
        guard meter != before else { return meter }
        meter["updated"] = .int(req.now)
        try req.store.update(meter)
        try req.ledger.emitUpdate(.billingMeterUpdated, before: before, after: meter)
        return meter
    }

    static func setStatus(_ req: inout APIRequest, active: Bool) throws -> JSONValue {
        var meter = try get(req.pathParam(), req)
        let id = meter["id"].stringValue!
        guard (meter["status"] == "active") != active else {
            throw StripeError.invalidRequest(active ? "The meter `\(id)` is already active." : "The meter `\(id)` is already inactive.")
        }
        if active, let taken = try activeMeter(meter["event_name"].stringValue ?? "", req) {
            throw StripeError.invalidRequest(
                "An active meter (`\(taken["id"].stringValue ?? "")`) already uses the event_name `\(meter["event_name"].stringValue ?? "")`.")
        }
        meter["status"] = active ? "active" : "inactive"
        meter["status_transitions"]["deactivated_at"] = active ? nil : .int(req.now)
        meter["updated"] = .int(req.now)
        try req.store.update(meter)
        try req.ledger.emit(active ? .billingMeterReactivated : .billingMeterDeactivated, meter)
        return meter
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage(createdFilter: false)
        if let s = try req.params.choice("status", in: ["active", "inactive"]) { filters.append(.field("status", equals: .string(s))) }
        return try req.store.list(type: type, filters: filters, page: page, url: "/v1/billing/meters", noun: "billing meter")
    }

    // MARK: Meter events

    static let maxAge = 35 * 86400, maxAhead = 5 * 60

    static func createEvent(_ req: inout APIRequest) throws -> JSONValue {
        let eventName = try req.params.requiredString("event_name")
        guard !eventName.isEmpty else { throw StripeError.missingParam("event_name") }
        guard eventName.count <= 100 else { throw StripeError.invalidRequest("event_name can have at most 100 characters.", param: "event_name") }
        guard case .dict(let raw)? = req.params.raw(["payload"]) else { throw StripeError.missingParam("payload") }
        var payload: [String: JSONValue] = [:]
        for key in raw.keys.sorted() {
            guard let v = try req.params.string(["payload", key]) else { continue }
            payload[key] = .string(v)
        }
        let meter = try activeMeter(eventName, req)
        if meter == nil, let inactive = try req.store.all(type: type, filters: [.field("event_name", equals: .string(eventName))]).first {
            throw StripeError.invalidRequest("The meter `\(inactive["id"].stringValue ?? "")` for event_name `\(eventName)` is inactive and accepts no meter events.",
                                             param: "event_name")
        }
        let customerKey = meter?["customer_mapping"]["event_payload_key"].stringValue ?? "stripe_customer_id"
        let valueKey = meter?["value_settings"]["event_payload_key"].stringValue ?? "value"
        guard let customer = payload[customerKey]?.stringValue, !customer.isEmpty else {
            throw StripeError.invalidRequest("Missing required param: payload[\(customerKey)]. The payload must name the customer in the meter's customer_mapping key.",
                                             param: "payload[\(customerKey)]", code: "parameter_missing")
        }
        var value = 1
        if meter?["default_aggregation"]["formula"] != "count" || payload[valueKey] != nil {
            guard let text = payload[valueKey]?.stringValue else {
                throw StripeError.invalidRequest("Missing required param: payload[\(valueKey)].", param: "payload[\(valueKey)]", code: "parameter_missing")
            }
            guard let v = Int(text) else {
                throw StripeError.invalidRequest("Invalid payload[\(valueKey)]: must be a whole number (it was `\(text)`).",
                                                 param: "payload[\(valueKey)]", code: "parameter_invalid_integer")
            }
            value = v
        }
        // Timestamps are checked against the customer's clock (a test clock's frozen time).
        let customerObject = try req.store.find(customer).flatMap { $0.type == "customer" ? $0.object : nil }
        let now = try customerObject.map { try req.ledger.now(for: $0) } ?? req.now
        let timestamp = try req.params.int("timestamp") ?? now
        guard timestamp >= now - maxAge else {
            throw StripeError.invalidRequest("Timestamp must be within the past 35 calendar days: \(timestamp) is before \(now - maxAge).",
                                             param: "timestamp", code: "timestamp_too_far_in_past")
        }
        guard timestamp <= now + maxAhead else {
            throw StripeError.invalidRequest("Timestamp must be no more than 5 minutes in the future: \(timestamp) is after \(now + maxAhead).",
                                             param: "timestamp", code: "timestamp_in_future")
        }
        let identifier: String
        if let given = try req.params.nonEmpty("identifier") {
            guard given.count <= 100 else { throw StripeError.invalidRequest("identifier can have at most 100 characters.", param: "identifier") }
            guard try !MeterEvents.seen(req.db, account: req.account, identifier: given, now: req.now) else {
                throw StripeError.invalidRequest(
                    "A meter event with the identifier `\(given)` was already received in the last 24 hours. Identifiers must be unique.",
                    param: "identifier", code: "duplicate_meter_event")
            }
            identifier = given
        } else {
            identifier = try req.newID("mev")
        }
        try MeterEvents.insert(req.db, account: req.account, eventName: eventName, customer: customer, timestamp: timestamp, value: value,
                               identifier: identifier, created: req.now)
        if customerObject != nil { try Usage.checkThresholds(customer: customer, now: now, req.ledger) }
        // `created` is when the event was received (the account's clock); `timestamp` is on the customer's.
        return ["object": "billing.meter_event", "created": .int(req.now), "event_name": .string(eventName), "identifier": .string(identifier),
                "livemode": false, "payload": .object(payload), "timestamp": .int(timestamp)]
    }

    static func createAdjustment(_ req: inout APIRequest) throws -> JSONValue {
        let eventName = try req.params.requiredString("event_name")
        guard !eventName.isEmpty else { throw StripeError.missingParam("event_name") }
        let kind = try req.params.choice("type", in: ["cancel"]) ?? "cancel"
        guard let identifier = try req.params.nonEmpty("cancel", "identifier") else { throw StripeError.missingParam("cancel[identifier]") }
        guard try MeterEvents.seen(req.db, account: req.account, identifier: identifier, now: req.now) else {
            throw StripeError.invalidRequest(
                "No meter event with the identifier `\(identifier)` was received in the last 24 hours: only those can be canceled.",
                param: "cancel[identifier]", code: "resource_missing")
        }
        guard try MeterEvents.cancel(req.db, account: req.account, eventName: eventName, identifier: identifier) else {
            throw StripeError.invalidRequest("The meter event `\(identifier)` of `\(eventName)` is already canceled or has another event_name.",
                                             param: "cancel[identifier]")
        }
        return ["object": "billing.meter_event_adjustment", "cancel": ["identifier": .string(identifier)], "event_name": .string(eventName),
                "livemode": false, "status": "complete", "type": .string(kind)]
    }

    // MARK: Summaries

    static func summaries(_ req: inout APIRequest) throws -> JSONValue {
        let meter = try get(req.pathParam(), req)
        let customer = try req.params.requiredString("customer")
        _ = try req.store.get(customer, type: "customer", param: "customer")
        guard let start = try req.params.int("start_time") else { throw StripeError.missingParam("start_time") }
        guard let end = try req.params.int("end_time") else { throw StripeError.missingParam("end_time") }
        let window = try req.params.choice("value_grouping_window", in: ["day", "hour"])
        let step = window == "day" ? 86400 : window == "hour" ? 3600 : 60
        for (name, t) in [("start_time", start), ("end_time", end)] where t % step != 0 {
            let unit = window ?? "minute"
            throw StripeError.invalidRequest("\(name) must be aligned to \(unit) boundaries (a multiple of \(step) seconds).", param: name)
        }
        guard end > start else { throw StripeError.invalidRequest("end_time must be after start_time.", param: "end_time") }
        let (page, _) = try req.listPage(createdFilter: false)
        let id = meter["id"].stringValue!
        let suffix = id.split(separator: "_").last.map(String.init) ?? id
        func summaryID(_ s: Int) -> String { "mtrusg_\(suffix)_\(s)" }
        var bounds: [(Int, Int)] = []
        if window == nil {
            bounds = [(start, end)]
        } else {
            guard (end - start) / step <= 24 * 366 else {
                throw StripeError.invalidRequest("The range from start_time to end_time has too many \(window!) windows.", param: "end_time")
            }
            var s = start
            while s < end { bounds.append((s, min(s + step, end))); s += step }
        }
        if let after = page.startingAfter, let i = bounds.firstIndex(where: { summaryID($0.0) == after }) { bounds = Array(bounds[(i + 1)...]) }
        if let before = page.endingBefore, let i = bounds.firstIndex(where: { summaryID($0.0) == before }) {
            bounds = Array(bounds[..<i].suffix(page.limit))
        }
        let shown = bounds.prefix(page.limit)
        let formula = meter["default_aggregation"]["formula"].stringValue ?? "sum"
        let eventName = meter["event_name"].stringValue ?? ""
        let data: [JSONValue] = try shown.map { b in
            let total = try MeterEvents.aggregate(req.db, account: req.account, eventName: eventName, customer: customer, formula: formula,
                                                  start: b.0, end: b.1)
            return ["id": .string(summaryID(b.0)), "object": "billing.meter_event_summary", "aggregated_value": .int(total),
                    "end_time": .int(b.1), "livemode": false, "meter": .string(id), "start_time": .int(b.0)]
        }
        return ["object": "list", "data": .array(data), "has_more": .bool(bounds.count > shown.count),
                "url": .string("/v1/billing/meters/\(id)/event_summaries")]
    }
}
