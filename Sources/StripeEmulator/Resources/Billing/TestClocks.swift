import StripeEngine
import StripeWire

/// `/v1/test_helpers/test_clocks`: Stripe's test clocks. An advance runs every piece of due work
/// on the clock in time order before it answers, so the clock is `ready` at once.
enum TestClocks {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/test_helpers/test_clocks", create)
        r.read("/v1/test_helpers/test_clocks", list)
        r.read("/v1/test_helpers/test_clocks/{id}", retrieve)
        r.delete("/v1/test_helpers/test_clocks/{id}", delete)
        r.post("/v1/test_helpers/test_clocks/{id}/advance", settles: true, advance)
    }

    static func get(_ id: String, _ req: APIRequest) throws -> JSONValue {
        try req.store.get(id, type: "test_helpers.test_clock", noun: "test clock", param: "test_clock")
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        guard let frozen = try req.params.int("frozen_time") else { throw StripeError.missingParam("frozen_time") }
        let name = try req.params.nonEmpty("name")
        if let name, name.count > 300 { throw StripeError.invalidRequest("name can have at most 300 characters.", param: "name") }
        let clock: JSONValue = [
            "id": .string(try req.newID("clock")), "object": "test_helpers.test_clock", "created": .int(req.now),
            "deletes_after": .int(req.now + 30 * 86400), "frozen_time": .int(frozen), "livemode": false,
            "name": .from(name), "status": "ready", "status_details": [:],
        ]
        try req.store.insert(clock, type: "test_helpers.test_clock")
        try req.ledger.emit(.testHelpersTestClockCreated, clock)
        return clock
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req.pathParam(), req) }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let (page, filters) = try req.listPage(createdFilter: false)
        return try req.store.list(type: "test_helpers.test_clock", filters: filters, page: page,
                                  url: "/v1/test_helpers/test_clocks", noun: "test clock")
    }

    static func advance(_ req: inout APIRequest) throws -> JSONValue {
        var clock = try get(req.pathParam(), req)
        let id = clock["id"].stringValue!
        guard let target = try req.params.int("frozen_time") else { throw StripeError.missingParam("frozen_time") }
        let current = clock["frozen_time"].intValue ?? 0
        guard target > current else {
            throw StripeError.invalidRequest("The frozen_time must be after the current frozen_time of the test clock (\(current)).",
                                             param: "frozen_time")
        }
        if req.settings.strictClocks { try checkCap(clock: id, from: current, to: target, req) }
        let ledger = req.ledger
        var advancing = clock
        advancing["status"] = "advancing"
        advancing["status_details"] = ["advancing": ["target_frozen_time": .int(target)]]
        try req.store.update(advancing)
        try ledger.emit(.testHelpersTestClockAdvancing, advancing)
        try ledger.runDueInRequest(clock: id, until: target, param: "frozen_time")
        clock = try get(id, req)
        clock["frozen_time"] = .int(target)
        clock["status"] = "ready"
        clock["status_details"] = [:]
        try req.store.update(clock)
        try ledger.emit(.testHelpersTestClockReady, clock)
        return clock
    }

    /// Real Stripe's caps: at most two intervals of the shortest subscription on the clock (two years without any).
    static func checkCap(clock: String, from: Int, to: Int, _ req: APIRequest) throws {
        let subs = try req.store.all(type: "subscription", filters: [.field("test_clock", equals: .string(clock))])
            .filter { SubscriptionEngine.live.contains($0["status"].stringValue ?? "") }
        let shortest = subs.compactMap { SubscriptionEngine.items($0).first?["price"]["recurring"] }
            .map { PriceMath.approximateIntervalSeconds($0) }.min()
        let cap = shortest.map { 2 * $0 } ?? 2 * 366 * 86400
        guard to - from <= cap else {
            throw StripeError.invalidRequest(
                "Cannot advance more than two intervals of the shortest subscription on this test clock (strict clocks are on).",
                param: "frozen_time")
        }
    }

    static func delete(_ req: inout APIRequest) throws -> JSONValue {
        let clock = try get(req.pathParam(), req)
        let id = clock["id"].stringValue!
        let account = req.account
        for customer in try req.store.all(type: "customer", filters: [.field("test_clock", equals: .string(id))]) {
            try req.store.markDeleted(customer["id"].stringValue!)
        }
        for sub in try req.store.all(type: "subscription", filters: [.field("test_clock", equals: .string(id))]) {
            try req.store.markDeleted(sub["id"].stringValue!)
        }
        try Scheduler.deleteClock(req.db, account: account, clock: id)
        try req.store.markDeleted(id)
        try req.ledger.emit(.testHelpersTestClockDeleted, clock)
        return deletedStub(id, "test_helpers.test_clock")
    }
}
