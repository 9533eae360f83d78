import StripeWire

/// The console's buttons: each posts a form that becomes one control-route or API call (or, for
/// a resend, the resend and then the drain a test would make), then redirects back with what happened.
struct ConsoleActions: Sendable {
    let view: ConsoleView
    var api: ConsoleAPI { view.api }

    func perform(_ parts: [String], _ form: [String: FormValue]) async -> APIResponse {
        func field(_ name: String) -> String? { HostedPages.formString(form, name) }
        switch parts {
        case ["signout"]:
            var response = Console.redirect("/console")
            response.headers.append(("Set-Cookie", ConsoleSession.clearCookie))
            return response
        case let p where p.count == 3 && p[0] == "events" && p[2] == "resend":
            let event = p[1]
            var params: [(String, String)] = []
            if let endpoint = field("endpoint") { params.append(("endpoint", endpoint)) }
            let resent = await api.post("/_emulator/events/\(event)/resend", params)
            guard resent.ok else { return back("/console/objects/\(event)", error: resent.message) }
            let drained = await api.post("/_emulator/deliveries/drain")
            return back("/console/objects/\(event)", flash: "Resent \(event) to \(field("endpoint") ?? "its endpoints"); \(drained.json["attempted"].intValue ?? 0) delivery attempt(s) made.")
        case ["time", "advance"]:
            let by = field("by") ?? ""
            return await travel { now in (try? TimeSpan(parsing: by).after(now)) ?? now } move: { api in
                await api.post("/_emulator/time/advance", [("by", by)])
            }
        case ["time", "set"]:
            let to = field("to") ?? field("date").flatMap { ConsoleFormat.date($0) }.map { String($0) } ?? ""
            return await travel { now in Int(to) ?? now } move: { api in await api.post("/_emulator/time/set", [("to", to)]) }
        case let p where p.count == 3 && p[0] == "test_clocks" && p[2] == "advance":
            let clock = await api.get("/v1/test_helpers/test_clocks/\(p[1])")
            guard clock.ok, let now = clock.json["frozen_time"].intValue,
                  let target = try? TimeSpan(parsing: field("by") ?? "").after(now) else {
                return back("/console/time", error: clock.ok ? "Choose how far to advance." : clock.message)
            }
            let r = await api.post("/v1/test_helpers/test_clocks/\(p[1])/advance", [("frozen_time", String(target))])
            return r.ok ? back("/console/time", flash: "Test clock \(p[1]) is advancing to \(ConsoleFormat.dateTime(target)).")
                        : back("/console/time", error: r.message)
        case ["faults", "charges"]:
            let r = await api.post("/_emulator/faults/charges", [("customer", field("customer") ?? ""),
                                                                  ("decline_code", field("decline_code") ?? "generic_decline")])
            return r.ok ? back("/console/faults", flash: "Charges of \(field("customer") ?? "") now fail with \(r.json["decline_code"].stringValue ?? "").")
                        : back("/console/faults", error: r.message)
        case ["faults", "charges", "clear"]:
            let r = await api.post("/_emulator/faults/charges/clear", [("customer", field("customer") ?? "")])
            return r.ok ? back("/console/faults", flash: "Charges of \(field("customer") ?? "") succeed again.") : back("/console/faults", error: r.message)
        case ["faults", "api"]:
            var params = [("path", field("path") ?? ""), ("status", field("status") ?? "500"), ("count", field("count") ?? "1")]
            if let method = field("method") { params.append(("method", method)) }
            let r = await api.post("/_emulator/faults/api", params)
            return r.ok ? back("/console/faults", flash: "The next \(field("count") ?? "1") call(s) to \(field("path") ?? "") answer \(field("status") ?? "500").")
                        : back("/console/faults", error: r.message)
        case ["faults", "api", "clear"]:
            let r = await api.post("/_emulator/faults/api", [("clear", "true")])
            return r.ok ? back("/console/faults", flash: "Every API fault is cleared.") : back("/console/faults", error: r.message)
        case ["webhooks", "chaos"]:
            let params = ["clear", "fail_first", "duplicate_rate", "reorder_window"].compactMap { k in field(k).map { (k, $0) } }
            let r = await api.post("/_emulator/webhooks/chaos", params)
            return r.ok ? back("/console/faults", flash: field("clear") == "true" ? "Webhook chaos is off." : "Webhook chaos is on.")
                        : back("/console/faults", error: r.message)
        default:
            return HostedPages.notFound()
        }
    }

    /// Moves the account clock through ``ConsoleTravels``: the result when it is quick, else the progress page.
    func travel(target: (Int) -> Int, move: @escaping @Sendable (ConsoleAPI) async -> ConsoleAPI.Answer) async -> APIResponse {
        let now = await api.get("/_emulator/time").json["now"].intValue ?? 0
        let api = self.api
        switch await view.console.emulator.consoleTravels.start(account: api.account, from: now, target: target(now), { await move(api) }) {
        case .done(let answer): return moved(answer)
        case .running: return Console.redirect("/console/time/progress")
        case .busy: return back("/console/time/progress", error: "The clock is already moving; wait for that move to finish.")
        }
    }

    func moved(_ r: ConsoleAPI.Answer) -> APIResponse {
        guard r.ok else { return back("/console/time", error: r.message) }
        return back("/console/time", flash: "The clock is now \(ConsoleFormat.dateTime(r.json["now"].intValue)); \(r.json["ran"].intValue ?? 0) scheduled item(s) ran on the way.")
    }

    /// Post, redirect, get: the message travels in the query and is shown (escaped) once.
    func back(_ path: String, flash: String? = nil, error: String? = nil) -> APIResponse {
        var query: [(String, FormValue)] = []
        if let flash { query.append(("flash", .string(flash))) }
        if let error { query.append(("error", .string(error))) }
        return Console.redirect(query.isEmpty ? path : path + "?" + FormEncoder.encode(query))
    }
}
