import StripeEngine
import StripeWire

/// The console's pages for one signed-in session: each reads through ``ConsoleAPI``.
struct ConsoleView: Sendable {
    let console: Console
    let session: ConsoleSession
    let api: ConsoleAPI
    let flash: String?
    let error: String?

    static let nav: [(String, String)] = [("", "Overview")] + ConsoleList.all.map { ($0.slug, $0.heading) }
        + [("time", "Time"), ("faults", "Faults")]

    func render(status: Int = 200, title: String, template: String, nav current: String, _ context: [String: Any],
                error: String? = nil, refresh: Int? = nil) async -> APIResponse {
        let clock = await api.get("/_emulator/time")
        var body = context
        body["csrf"] = session.csrf
        let layout: [String: Any] = [
            "account": true, "accountLabel": session.label(exposed: console.exposed), "csrf": session.csrf,
            "clockText": ConsoleFormat.dateTime(clock.json["now"].intValue) + (clock.json["frozen"] == true ? " (frozen)" : ""),
            "nav": Self.nav.map { slug, label in ["href": "/console" + (slug.isEmpty ? "" : "/\(slug)"), "label": label, "current": slug == current] },
            "flash": flash ?? "", "error": error ?? self.error ?? "", "refresh": refresh.map(String.init) ?? "",
        ]
        return Console.page(status: status, title: title, body: Console.render(template, body), layout: layout)
    }

    func overview() async -> APIResponse {
        var counts: [[String: Any]] = []
        for list in ConsoleList.all {
            let page = await api.get(list.apiPath, list.query + [("limit", "100")])
            let n = page.json["data"].arrayValue?.count ?? 0
            let more = page.json["has_more"] == true
            counts.append(["href": "/console/\(list.slug)", "label": list.heading, "text": "\(n)\(more ? "+" : "") in this account"])
        }
        return await render(title: "Overview", template: "overview", nav: "", ["counts": counts])
    }

    /// One page of a list, newest first; `q` that is an id opens the object, other text keeps
    /// the rows of this page (of up to 100) whose JSON contains it.
    func list(_ list: ConsoleList, q: String?, after: String?) async -> APIResponse {
        if let q, ConsoleFormat.apiPath(for: q) != nil { return Console.redirect("/console/objects/\(q)") }
        var params = list.query + [("limit", q == nil ? "20" : "100")]
        if let after { params.append(("starting_after", after)) }
        let page = await api.get(list.apiPath, params)
        guard page.ok else {
            return await render(status: page.status, title: list.heading, template: "list", nav: list.slug,
                                ["heading": list.heading, "path": "/console/\(list.slug)"], error: page.message)
        }
        let objects = page.json["data"].arrayValue ?? []
        let needle = q?.lowercased()
        let shown = objects.filter { needle == nil || JSONWriter.string($0).lowercased().contains(needle!) }
        let rows = shown.map { ["cells": list.cells($0)] }
        var context: [String: Any] = [
            "heading": list.heading, "path": "/console/\(list.slug)", "q": q ?? "",
            "columns": list.columns.map { $0.0 }, "rows": rows, "hasRows": !rows.isEmpty,
        ]
        if page.json["has_more"] == true, let last = objects.last?["id"].stringValue {
            context["next"] = "/console/\(list.slug)?" + FormEncoder.encode([("starting_after", .string(last))]
                + (q.map { [("q", FormValue.string($0))] } ?? []))
        }
        if after != nil { context["first"] = "/console/\(list.slug)" + (q.map { "?q=" + FormEncoder.escape($0) } ?? "") }
        return await render(title: list.heading, template: "list", nav: list.slug, context)
    }

    /// An object's fields (ids linked), the objects it names, its raw JSON; an event adds its
    /// deliveries per endpoint.
    func detail(_ id: String) async -> APIResponse {
        guard let path = ConsoleFormat.apiPath(for: id) else { return HostedPages.notFound() }
        let answer = await api.get(path)
        guard answer.ok else {
            return await render(status: answer.status, title: id, template: "detail", nav: "", ["heading": id, "json": ""],
                                error: answer.message)
        }
        let object = answer.json
        var fields: [[String: Any]] = []
        var related: [[String: Any]] = []
        var links: [[String: Any]] = []
        if case .object(let o) = object {
            for (key, value) in o {
                switch value {
                case .object, .array: continue
                default:
                    let text = ConsoleList.text(value)
                    var field: [String: Any] = ["name": key, "text": key == "created" || key.hasSuffix("_at") || key.hasSuffix("_end")
                                                    || key.hasSuffix("_start") || key == "due_date"
                                                    ? (value.intValue.map { "\(ConsoleFormat.dateTime($0)) (\($0))" } ?? text) : text]
                    if key != "id", let href = ConsoleFormat.objectHref(text) { field["href"] = href }
                    if text.hasPrefix("http://") || text.hasPrefix("https://") { field["href"] = text }
                    fields.append(field)
                }
            }
        }
        Self.collectIDs(object, path: "", into: &related, skip: id)
        if let url = object["hosted_invoice_url"].stringValue { links.append(["href": url, "label": "Hosted invoice page"]) }
        if let url = object["invoice_pdf"].stringValue ?? object["pdf"].stringValue { links.append(["href": url, "label": "PDF"]) }
        var extra = ""
        if object["object"] == "event" { extra = await eventDeliveries(object) }
        let kind = object["object"].stringValue ?? "object"
        return await render(title: id, template: "detail", nav: "", [
            "heading": "\(kind) \(id)", "fields": fields, "json": ConsoleFormat.prettyJSON(object), "extra": extra,
            "related": related.isEmpty ? (false as Any) : (["items": related] as Any),
            "links": links.isEmpty ? (false as Any) : (["items": links] as Any),
        ])
    }

    /// Ids of other objects anywhere inside the value (its customer, its invoice's charges), once each.
    static func collectIDs(_ value: JSONValue, path: String, into out: inout [[String: Any]], skip: String) {
        switch value {
        case .string(let s):
            if s != skip, let href = ConsoleFormat.objectHref(s), !out.contains(where: { ($0["id"] as? String) == s }), out.count < 50 {
                out.append(["path": path, "id": s, "href": href])
            }
        case .object(let o):
            for (k, v) in o where k != "id" || !path.isEmpty { collectIDs(v, path: path.isEmpty ? k : "\(path).\(k)", into: &out, skip: skip) }
        case .array(let a):
            for (i, v) in a.enumerated() { collectIDs(v, path: "\(path).\(i)", into: &out, skip: skip) }
        default: break
        }
    }

    /// For each endpoint that listens to the event or was sent it: the payload at the endpoint's
    /// API version and every attempt (the request, the receiver's status and body, the time).
    func eventDeliveries(_ event: JSONValue) async -> String {
        let id = event["id"].stringValue ?? "", type = event["type"].stringValue ?? ""
        let endpoints = await api.get("/v1/webhook_endpoints", [("limit", "100")]).json["data"].arrayValue ?? []
        let attempts = await api.get("/_emulator/deliveries", [("event", id), ("limit", "1000")]).json["data"].arrayValue ?? []
        var rows: [[String: Any]] = []
        for endpoint in endpoints {
            let eid = endpoint["id"].stringValue ?? ""
            let mine = attempts.filter { $0["endpoint"].stringValue == eid }.reversed()
            guard WebhookOutbox.listens(endpoint, to: type) || !mine.isEmpty else { continue }
            let rendered = try? await console.emulator.reading(account: api.account) { ledger in
                try WebhookPayload.render(event: event, endpoint: endpoint, ledger)
            }
            let url = endpoint["url"].stringValue ?? ""
            rows.append([
                "id": eid, "url": url, "event": id, "version": rendered?.version.raw ?? "",
                "payload": rendered.map { ConsoleFormat.prettyJSON((try? JSONParser.parse($0.body)) ?? .null) } ?? "",
                "attempts": mine.map { a -> [String: Any] in
                    let code = a["status_code"].intValue
                    return ["attempt": a["attempt"].intValue ?? 0, "at": ConsoleFormat.dateTime(a["at"].intValue), "url": url,
                            "signedAt": a["signature_timestamp"].intValue ?? 0, "duplicate": a["duplicate"] == true,
                            "status": code.map(String.init) ?? "no answer", "class": a["outcome"] == "succeeded" ? "good" : "bad",
                            "error": a["error"].stringValue ?? "", "ms": a["duration_ms"].doubleValue.map { String(Int($0.rounded())) } ?? "",
                            "body": a["response_body"].stringValue ?? ""]
                },
                "hasAttempts": !mine.isEmpty, "csrf": session.csrf,
            ])
        }
        return Console.render("eventExtra", ["endpoints": rows, "type": type])
    }

    static let spans: [(by: String, label: String)] = [("1h", "an hour"), ("1d", "a day"), ("7d", "a week"), ("1mo", "a month")]

    func time() async -> APIResponse {
        let clock = await api.get("/_emulator/time")
        let now = clock.json["now"].intValue ?? 0
        var context: [String: Any] = [
            "now": ConsoleFormat.dateTime(now), "frozen": clock.json["frozen"] == true,
            "nextDue": ConsoleFormat.dateTime(clock.json["next_due"].intValue),
            "spans": Self.spans.map { ["by": $0.by, "label": $0.label, "csrf": session.csrf] },
            "today": ConsoleFormat.isoDate(now),
        ]
        if let renewal = await nextRenewal(after: now) {
            context["renewal"] = ["to": renewal.to, "text": ConsoleFormat.dateTime(renewal.at), "csrf": session.csrf]
        }
        let clocks = await api.get("/v1/test_helpers/test_clocks", [("limit", "100")]).json["data"].arrayValue ?? []
        context["clocks"] = clocks.map { c -> [String: Any] in
            let id = c["id"].stringValue ?? ""
            return ["id": id, "name": c["name"].stringValue ?? id, "status": c["status"].stringValue ?? "",
                    "now": ConsoleFormat.dateTime(c["frozen_time"].intValue),
                    "spans": Self.spans.map { ["by": $0.by, "label": $0.label, "clock": id, "csrf": session.csrf] }]
        }
        return await render(title: "Time", template: "time", nav: "time", context)
    }

    /// The earliest end of a live subscription's period (or trial) on the account clock; the
    /// move goes an hour and a minute past it, so the renewal invoice is finalized and charged.
    func nextRenewal(after now: Int) async -> (at: Int, to: Int)? {
        let subs = await api.get("/v1/subscriptions", [("limit", "100")]).json["data"].arrayValue ?? []
        let ends = subs.filter { $0["test_clock"].isNull && $0["status"] != "canceled" && $0["status"] != "incomplete_expired" }
            .compactMap { sub -> Int? in
                if let trialEnd = sub["trial_end"].intValue, trialEnd > now { return trialEnd }
                return sub["items"]["data"][0]["current_period_end"].intValue
            }
            .filter { $0 > now }
        guard let at = ends.min() else { return nil }
        return (at, at + 3660)
    }

    /// A clock move still running: how far the account clock has got; reloads every second, and
    /// once the move has answered goes back to the time page with its result.
    func progress() async -> APIResponse {
        let travels = console.emulator.consoleTravels
        if let answer = travels.take(api.account) { return ConsoleActions(view: self).moved(answer) }
        guard let travel = travels.current(api.account) else { return Console.redirect("/console/time") }
        let now = await api.get("/_emulator/time").json["now"].intValue ?? travel.from
        let span = max(1, travel.target - travel.from)
        let percent = min(100, max(0, (now - travel.from) * 100 / span))
        return await render(title: "Moving the clock", template: "progress", nav: "time", [
            "from": ConsoleFormat.dateTime(travel.from), "target": ConsoleFormat.dateTime(travel.target),
            "now": ConsoleFormat.dateTime(now), "percent": percent,
        ], refresh: 1)
    }

    func faults() async -> APIResponse {
        let chaos = await api.get("/_emulator/webhooks/chaos")
        let c = chaos.json["chaos"]
        let text = c.isNull ? "off" : "on (fail first \(c["fail_first"].intValue ?? 0), duplicate rate \(c["duplicate_rate"].doubleValue ?? 0), reorder window \(c["reorder_window"].intValue ?? 1))"
        return await render(title: "Faults", template: "faults", nav: "faults", [
            "chaosText": text,
            "declineCodes": ["insufficient_funds", "generic_decline", "card_declined", "expired_card", "incorrect_cvc",
                             "processing_error", "lost_card", "stolen_card", "do_not_honor", "authentication_required"],
        ])
    }
}
