import GRDB
import StripeEngine
import StripeWire

/// Moving a tenant's clock forward (`POST /_emulator/time/advance`, `/_emulator/time/set`), and
/// the other control routes that wait for deliveries: draining and scripted API faults.
///
/// They run outside a single transaction: time travel steps through many (see
/// ``WorkRunner/travel(account:to:)``), and a drain waits for receivers.
enum DirectControlRoutes {
    static func register(_ r: inout APIRouter) {
        r.direct("/_emulator/time/advance", travel)
        r.direct("/_emulator/time/set", travel)
        r.direct("/_emulator/deliveries/drain") { emulator, _, account in
            ["object": "emulator.drain", "attempted": .int(try await emulator.drainDeliveries(account: account))]
        }
        r.direct("/_emulator/faults/api") { emulator, call, account in
            try emulator.apiFaults.configure(account: account, form: try FormDecoder().decodeForAPI(call))
        }
    }

    static func travel(_ emulator: StripeEmulator, _ call: APICall, account: String) async throws -> JSONValue {
        var params = Params(try FormDecoder().decodeForAPI(call))
        let settings = emulator.settings
        let now = try await emulator.database.writer.read { db in
            try AccountClock(db: db, account: account, wall: settings.wallClock).now()
        }
        let target: Int
        if call.path.hasSuffix("/set") {
            guard let to = try params.int("to") else { throw StripeError.missingParam("to") }
            target = to
        } else if let by = try params.nonEmpty("by") {
            do { target = try TimeSpan(parsing: by).after(now) } catch {
                throw StripeError.invalidRequest("\(error)", param: "by")
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
        guard target <= Scheduler.maxTimestamp else {
            throw StripeError.invalidRequest("Time cannot move past the end of the year 9999 (\(Scheduler.maxTimestamp)).",
                                             param: call.path.hasSuffix("/set") ? "to" : "by")
        }
        let ran: Int
        do {
            ran = try await emulator.runner.travel(account: account, to: target, limit: settings.workLimitPerRequest)
        } catch let e as Scheduler.WorkLimitExceeded {
            let now = try await emulator.database.writer.read { db in
                try AccountClock(db: db, account: account, wall: settings.wallClock).now()
            }
            throw StripeError.invalidRequest("\(e.description) The clock stopped at \(now), after the items before it ran.",
                                             param: call.path.hasSuffix("/set") ? "to" : "by")
        }
        return try await emulator.database.writer.read { db in
            let clock = AccountClock(db: db, account: account, wall: settings.wallClock)
            return ["object": "emulator.time", "now": .int(try clock.now()), "frozen": .bool(try clock.state().frozenTime != nil),
                    "ran": .int(ran)]
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
