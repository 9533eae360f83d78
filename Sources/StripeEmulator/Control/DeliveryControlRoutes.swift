import GRDB
import StripeEngine
import StripeWire

/// Control routes for webhook delivery: the attempt log, resending, chaos settings, secret rolls.
/// (`POST /_emulator/deliveries/drain` is in ``DirectControlRoutes``: it waits for the deliveries.)
enum DeliveryControlRoutes {
    static func register(_ r: inout APIRouter) {
        r.get("/_emulator/deliveries", deliveries)
        r.post("/_emulator/events/{id}/resend", resend)
        r.get("/_emulator/webhooks/chaos", chaos)
        r.post("/_emulator/webhooks/chaos", setChaos)
        r.post("/_emulator/webhook_endpoints/{id}/roll_secret", rollSecret)
    }

    /// Every attempt, newest first; filters `event_type`, `endpoint`, `event`, `outcome`, `after`
    /// (attempts whose `seq` is greater, to follow the log without missing any); `limit` up to 1000.
    static func deliveries(_ req: inout APIRequest) throws -> JSONValue {
        var filter = DeliveryQueue.AttemptFilter()
        filter.eventType = try req.params.nonEmpty("event_type")
        filter.endpoint = try req.params.nonEmpty("endpoint")
        filter.event = try req.params.nonEmpty("event")
        filter.outcome = try req.params.choice("outcome", in: ["succeeded", "failed"])
        filter.after = try req.params.int("after")
        filter.limit = try req.params.int("limit") ?? 100
        guard (1...1000).contains(filter.limit) else { throw StripeError.invalidRequest("limit must be between 1 and 1000.", param: "limit") }
        let queue = DeliveryQueue(db: req.db, account: req.account)
        let attempts = try queue.attempts(filter)
        return [
            "object": "list", "url": "/_emulator/deliveries", "has_more": .bool(attempts.count == filter.limit),
            "pending": .int(try queue.pendingCount()), "data": .array(attempts),
        ]
    }

    /// Queues the event again for one endpoint (`endpoint`) or for every endpoint listening to it.
    static func resend(_ req: inout APIRequest) throws -> JSONValue {
        let event = try req.store.get(req.pathParam(), type: "event", noun: "event")
        let type = event["type"].stringValue ?? ""
        var endpoints = try req.store.all(type: "webhook_endpoint", filters: [.field("status", equals: "enabled")])
        if let e = try req.params.nonEmpty("endpoint") {
            endpoints = [try req.store.get(e, type: "webhook_endpoint", noun: "webhook endpoint", param: "endpoint")]
        } else {
            endpoints = endpoints.filter { WebhookOutbox.listens($0, to: type) }
        }
        let now = try req.clock.now()
        for endpoint in endpoints {
            try WebhookOutbox.insert(req.ledger, eventID: event["id"].stringValue!, type: type, endpoint: endpoint["id"].stringValue!,
                                     due: now, now: now)
        }
        var updated = event
        updated["pending_webhooks"] = .int(try DeliveryQueue(db: req.db, account: req.account).endpointsNotAnswered(eventID: event["id"].stringValue!))
        try req.store.update(updated)
        return ["object": "emulator.resend", "event": event["id"], "endpoints": .array(endpoints.map { $0["id"] })]
    }

    static func chaos(_ req: inout APIRequest) throws -> JSONValue {
        if let e = try req.params.nonEmpty("endpoint") {
            _ = try WebhookEndpoints.get(e, req)
            return ["object": "emulator.webhook_chaos", "endpoint": .string(e),
                    "chaos": try DeliveryChaos.forEndpoint(e, req.ledger)?.json ?? .null]
        }
        return ["object": "emulator.webhook_chaos", "endpoint": nil, "chaos": try DeliveryChaos.tenant(req.ledger)?.json ?? .null]
    }

    /// Sets (or with `clear=true` removes) chaos for the tenant or one `endpoint`.
    static func setChaos(_ req: inout APIRequest) throws -> JSONValue {
        let endpoint = try req.params.nonEmpty("endpoint")
        if let endpoint { _ = try req.store.get(endpoint, type: "webhook_endpoint", noun: "webhook endpoint", param: "endpoint") }
        var c = DeliveryChaos()
        let clear = try req.params.bool("clear") ?? false
        c.seed = try req.params.int("seed") ?? 0
        if let rate = try req.params.string("duplicate_rate"), !rate.isEmpty {
            guard let r = Double(rate), (0...1).contains(r) else {
                throw StripeError.invalidRequest("duplicate_rate must be a number between 0 and 1.", param: "duplicate_rate")
            }
            c.duplicateRate = r
        }
        c.reorderWindow = try req.params.int("reorder_window") ?? 1
        guard (1...1000).contains(c.reorderWindow) else { throw StripeError.invalidRequest("reorder_window must be 1 to 1000.", param: "reorder_window") }
        c.delaySeconds = try req.params.int("delay_seconds") ?? 0
        guard c.delaySeconds >= 0 else { throw StripeError.invalidRequest("delay_seconds cannot be negative.", param: "delay_seconds") }
        c.failFirst = try req.params.int("fail_first") ?? 0
        guard c.failFirst >= 0 else { throw StripeError.invalidRequest("fail_first cannot be negative.", param: "fail_first") }
        c.signatureSkewSeconds = try req.params.int("signature_skew_seconds") ?? 0
        c.outageFrom = try req.params.int("outage_from")
        c.outageUntil = try req.params.int("outage_until")
        if (c.outageFrom == nil) != (c.outageUntil == nil) {
            throw StripeError.invalidRequest("An outage needs both outage_from and outage_until (Unix seconds on the account's clock).",
                                             param: c.outageFrom == nil ? "outage_from" : "outage_until")
        }
        if let from = c.outageFrom, let until = c.outageUntil, until <= from {
            throw StripeError.invalidRequest("outage_until must be after outage_from.", param: "outage_until")
        }
        if let endpoint {
            var hidden = try req.store.hidden(endpoint)
            hidden["chaos"] = clear ? .null : c.json
            try req.store.setHidden(endpoint, hidden)
        } else {
            try DeliveryChaos.saveTenant(clear ? nil : c, req.ledger)
        }
        return ["object": "emulator.webhook_chaos", "endpoint": .from(endpoint), "chaos": clear ? .null : c.json]
    }

    /// A new signing secret; the old one keeps signing too (two `v1` values) for `grace_period` seconds (default 24 h).
    static func rollSecret(_ req: inout APIRequest) throws -> JSONValue {
        let endpoint = try WebhookEndpoints.get(req.pathParam(), req)
        let id = endpoint["id"].stringValue!
        let grace = try req.params.int("grace_period") ?? 86400
        guard grace >= 0 else { throw StripeError.invalidRequest("grace_period cannot be negative.", param: "grace_period") }
        let now = try req.clock.now()
        var hidden = try req.store.hidden(id)
        let current = SigningSecrets.active(hidden, now: now)
        let secret = SigningSecrets.new(account: req.account, requestID: req.requestID, idMode: req.settings.idMode)
        var secrets: [JSONValue] = [["secret": .string(secret), "expires": nil]]
        if grace > 0 { secrets += current.map { ["secret": .string($0), "expires": .int(now + grace)] } }
        hidden["secrets"] = .array(secrets)
        try req.store.setHidden(id, hidden)
        return ["object": "emulator.secret_roll", "endpoint": .string(id), "secret": .string(secret),
                "previous_secret_expires": grace > 0 ? .int(now + grace) : nil]
    }
}
