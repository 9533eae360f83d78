import GRDB
import StripeWire

/// Moving a tenant's clock forward (`POST /_emulator/time/advance`, `/_emulator/time/set`).
///
/// Due work runs in time order, each item at its own moment. When the tenant has webhook
/// endpoints, time moves in steps (to each due item and each due delivery) and deliveries are
/// attempted at every step, so webhook retries happen at their simulated times too. Answered
/// outside a single transaction because it waits for deliveries.
extension StripeEmulator {
    static let timeTravelPaths: Set<String> = ["/_emulator/time/advance", "/_emulator/time/set"]

    func timeTravel(_ call: APICall, account: String) async throws -> JSONValue {
        var params = Params(try FormDecoder().decodeForAPI(call))
        let settings = self.settings
        let now = try await database.writer.read { db in
            try AccountClock(db: db, account: account, wall: settings.wallClock).now()
        }
        let target: Int
        if call.path.hasSuffix("/set") {
            guard let to = try params.int("to") else { throw StripeError.missingParam("to") }
            target = to
        } else if let by = try params.nonEmpty("by") {
            do { target = try TimeSpan(parsing: by).after(now) } catch {
                throw StripeError.invalidRequest(error.description, param: "by")
            }
        } else if let seconds = try params.int("seconds") {
            target = now + seconds
        } else {
            throw StripeError.invalidRequest("Pass `by` (e.g. 3d, 1mo, 2h30m) or `seconds`.", param: "by", code: "parameter_missing")
        }
        try params.finish()
        guard target >= now else {
            throw StripeError.invalidRequest("Time only moves forward (now is \(now)).", param: call.path.hasSuffix("/set") ? "to" : "by")
        }
        let ran = try await travel(account: account, to: target)
        return try await database.writer.read { db in
            let clock = AccountClock(db: db, account: account, wall: settings.wallClock)
            return ["object": "emulator.time", "now": .int(try clock.now()), "frozen": .bool(try clock.state().frozenTime != nil),
                    "ran": .int(ran)]
        }
    }

    /// Moves the tenant's clock to `target`, running due work and deliveries on the way; returns
    /// how many work items ran.
    @discardableResult
    public func travel(account: String, to target: Int) async throws -> Int {
        let settings = self.settings
        var ran = 0
        while true {
            let stop: Int = try await database.writer.read { db in
                let clock = AccountClock(db: db, account: account, wall: settings.wallClock)
                let now = try clock.now()
                let hasEndpoints = try Int.fetchOne(db.cachedStatement(sql: """
                    SELECT COUNT(*) FROM objects WHERE account = ? AND type = 'webhook_endpoint' AND deleted = 0
                    """), arguments: [account]) ?? 0 > 0
                guard hasEndpoints else { return target }
                let nextDelivery = try Int.fetchOne(db.cachedStatement(sql: """
                    SELECT MIN(due) FROM webhook_deliveries WHERE account = ? AND state = 'pending' AND due > ?
                    """), arguments: [account, now])
                let nextWork = try Int.fetchOne(db.cachedStatement(sql: "SELECT MIN(due) FROM due_work WHERE account = ? AND clock = '' AND due > ?"),
                                                arguments: [account, now])
                return min(target, nextDelivery ?? target, nextWork ?? target)
            }
            ran += try await database.writer.write { db in
                let ledger = Ledger(db: db, account: account, ids: IDMinter(mode: settings.idMode, db: db, account: account),
                                    settings: settings, request: .automatic)
                let n = try Scheduler.run(ledger, clock: "", until: stop)
                var state = try ledger.accountClock.state()
                if state.frozenTime != nil { state.frozenTime = stop } else { state.offset = stop - settings.wallClock.now() }
                try ledger.accountClock.set(state)
                return n
            }
            try await drainDeliveries(account: account)
            if stop >= target { return ran }
        }
    }
}

extension FormDecoder {
    /// The parameters of a call: the query string, plus the body of a POST.
    func decodeForAPI(_ call: APICall) throws -> [String: FormValue] {
        do {
            var form: [String: FormValue] = [:]
            if let q = call.query, !q.isEmpty { form = try decode(q) }
            if call.method == "POST", !call.body.isEmpty {
                for (k, v) in try decode(call.body) { form[k] = v }
            }
            return form
        } catch {
            throw StripeError.invalidRequest(error.message, param: error.param)
        }
    }
}
