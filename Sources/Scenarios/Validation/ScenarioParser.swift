import Billing
import Foundation
import StripeEmulator
import StripeWire

/// Turns a scenario file into a ``Scenario``, or into every ``ScenarioError`` it contains:
/// unknown keys (with the nearest valid one), wrong types, bad durations and times, references
/// to steps that do not exist (yet), to unknown users or orgs. Nothing runs until a file passes.
public enum ScenarioParser {
    static let stepKinds = ["stripe", "app", "checkout", "portal", "advance", "expect_webhooks", "expect_stripe",
                            "expect_emails", "inject", "repeat", "snapshot", "parallel", "pay_invoice", "expect_deliveries",
                            "restart_app", "deliver_webhooks", "expect_metrics"]
    /// The kinds a `parallel` block may hold: requests whose outcomes are checked after all answered.
    static let parallelKinds = ["stripe", "app", "deliver_webhooks"]

    public static func load(path: String) throws(ScenarioErrors) -> Scenario {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ScenarioErrors(errors: [ScenarioError(file: path, path: "", message: "cannot read the file (\(error.localizedDescription))")])
        }
        return try parse(Array(data), file: path)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(ScenarioErrors) -> Scenario {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            throw ScenarioErrors(errors: [ScenarioError(file: file, path: "", message: "not valid JSON: \(error)")])
        }
        let sink = ErrorSink(file: file)
        let scenario = Builder(sink: sink, file: file).scenario(Node(value: json, path: "", sink: sink))
        guard sink.errors.isEmpty, let scenario else { throw ScenarioErrors(errors: sink.errors) }
        return scenario
    }

    /// The default name of a scenario: its file name without directories and `.json`.
    static func defaultName(_ file: String) -> String {
        var base = file.split(separator: "/").last.map(String.init) ?? file
        if base.hasSuffix(".json") { base.removeLast(5) }
        return base
    }
}

/// One validation pass over one file; remembers the names that later steps may reference.
private final class Builder {
    let sink: ErrorSink
    let file: String
    var stepNames: [String] = []
    var users: [String] = []
    var orgs: [String] = []
    var snapshots: Set<String> = []
    var fixtureStepNames: Set<String> = []
    var referencesClocks = false

    init(sink: ErrorSink, file: String) {
        self.sink = sink
        self.file = file
    }

    func scenario(_ root: Node) -> Scenario? {
        guard root.object(allowed: ["_meta", "fixtures", "env", "given"], required: ["_meta", "fixtures"]) != nil else { return nil }
        var name = ScenarioParser.defaultName(file), description: String? = nil, tags: [String] = []
        if let meta = root.child("_meta") {
            meta.object(allowed: ["template_version", "exclude_metadata", "aliases", "name", "description", "tags"])
            if let v = meta.int("template_version"), v != 0 {
                meta.child("template_version")!.fail("only template_version 0 exists (the Stripe CLI refuses higher), found \(v)")
            }
            _ = meta.bool("exclude_metadata")
            _ = meta.strings("aliases")
            if let n = meta.string("name") {
                if n.isEmpty || n.contains("/") || n.hasPrefix(".") { meta.child("name")!.fail("must be a non-empty file-safe name") } else { name = n }
            }
            description = meta.string("description")
            tags = meta.strings("tags") ?? []
        }
        let given = self.given(root.child("given"))
        var steps: [Step] = []
        if let fixtures = root.child("fixtures") {
            if case .array(let list) = fixtures.value {
                if list.isEmpty { fixtures.fail("has no steps") }
                steps = self.steps(list, at: fixtures)
            } else {
                fixtures.fail("expected an array of steps, found \(Node.typeName(fixtures.value))")
            }
        }
        var env: [(String, String)] = []
        if let e = root.child("env"), let map = root.stringMap("env") {
            for key in map.keys.sorted() {
                checkReferences(in: .string(map[key]!), at: e.child(key)!)
                env.append((key, map[key]!))
            }
        }
        var scenario = Scenario(file: file, name: name, description: description, tags: tags, given: given, steps: steps, env: env)
        scenario.referencesClocks = referencesClocks
        return scenario
    }

    // MARK: given

    func given(_ node: Node?) -> Given {
        var g = Given(start: Given.defaultStart, orgs: [], users: [], plans: nil, seed: 0, dunning: [:])
        guard let node else { return g }
        node.object(allowed: ["start", "orgs", "users", "plans", "seed", "dunning", "stripe_version"])
        if let v = node.string("stripe_version") {
            if APIVersion(v) == nil {
                node.child("stripe_version")!.fail("unknown API version '\(v)': from \(APIVersion.known.first!) to \(APIVersion.known.last!)\(NearestName.hint(v, among: APIVersion.known))")
            } else { g.stripeVersion = v }
        }
        if let s = node.child("start") {
            switch s.value {
            case .int(let t): g.start = t
            case .string(let text):
                if let t = ScenarioTime.parse(text) { g.start = t } else {
                    s.fail("expected a time like 2027-01-01T00:00:00Z, 2027-01-01 or Unix seconds, found '\(text)'")
                }
            default: s.fail("expected a time like 2027-01-01T00:00:00Z or Unix seconds, found \(Node.typeName(s.value))")
            }
            // The fake's clocks stop at the end of the year 9999 (and start at 1970).
            if !(0...253_402_300_799).contains(g.start) {
                s.fail("the start must be between 1970-01-01 and 9999-12-31 (Unix seconds 0 to 253402300799), found \(g.start)")
            }
        }
        g.seed = node.int("seed") ?? 0
        if let orgs = node.child("orgs") {
            if case .array(let list) = orgs.value {
                for (i, v) in list.enumerated() {
                    let n = orgs.element(i, v)
                    var org: Given.Org? = nil
                    if case .string(let id) = v { org = Given.Org(id: id, name: id) } else if n.object(allowed: ["id", "name"], required: ["id"]) != nil,
                                                                                         let id = n.string("id") {
                        org = Given.Org(id: id, name: n.string("name") ?? id)
                    }
                    guard let org else { continue }
                    if org.id.isEmpty { n.fail("an org id cannot be empty") }
                    if self.orgs.contains(org.id) { n.fail("org '\(org.id)' is listed twice") }
                    self.orgs.append(org.id)
                    g.orgs.append(org)
                }
            } else { orgs.fail("expected an array of orgs, found \(Node.typeName(orgs.value))") }
        }
        if let users = node.child("users") {
            if case .array(let list) = users.value {
                for (i, v) in list.enumerated() {
                    let n = users.element(i, v)
                    guard n.object(allowed: ["email", "org", "role", "as"], required: ["email", "org"]) != nil,
                          let email = n.string("email"), let org = n.string("org") else { continue }
                    if !email.contains("@") { n.child("email")!.fail("must be an email address, found '\(email)'") }
                    if !orgs.contains(org) {
                        n.child("org")!.fail("no org '\(org)' in given.orgs\(NearestName.hint(org, among: orgs))")
                    }
                    let role = n.choice("role", ["owner", "admin", "member"]) ?? "owner"
                    let alias = n.string("as") ?? email
                    if self.users.contains(alias) { n.fail("user '\(alias)' is listed twice") }
                    self.users.append(alias)
                    g.users.append(Given.User(alias: alias, email: email, org: org, role: role))
                }
            } else { users.fail("expected an array of users, found \(Node.typeName(users.value))") }
        }
        if let plans = node.child("plans") {
            let catalog: JSONValue = ["plans": plans.value]
            do { _ = try PlanCatalog(json: Data(JSONWriter.data(catalog))) } catch {
                plans.fail("not a valid plan catalog: \(error)")
            }
            g.plans = catalog
        }
        if let d = node.child("dunning"), let o = d.object(allowed: ["retry_days", "subscription_end", "invoice_end"]) {
            if let days = d.child("retry_days") {
                if case .array(let a) = days.value, a.allSatisfy({ ($0.intValue ?? 0) >= 1 && ($0.intValue ?? 0) <= 60 }) {} else {
                    days.fail("expected an array of whole days between 1 and 60")
                }
            }
            _ = d.choice("subscription_end", ["cancel", "unpaid", "past_due"])
            _ = d.choice("invoice_end", ["open", "uncollectible"])
            g.dunning = o
        }
        return g
    }

    // MARK: steps

    func steps(_ list: [JSONValue], at parent: Node) -> [Step] {
        var out: [Step] = []
        for (i, v) in list.enumerated() {
            if let step = step(parent.element(i, v)) { out.append(step) }
        }
        return out
    }

    static let common = ["name", "kind", "comment", "soft", "known_failure"]

    func step(_ n: Node) -> Step? {
        guard case .object = n.value else { n.fail("expected a step object, found \(Node.typeName(n.value))"); return nil }
        var kindName = "stripe"
        if let k = n.child("kind") {
            guard case .string(let s) = k.value else { k.fail("expected a string, found \(Node.typeName(k.value))"); return nil }
            guard ScenarioParser.stepKinds.contains(s) else {
                k.fail("unknown step kind '\(s)'\(NearestName.hint(s, among: ScenarioParser.stepKinds))")
                return nil
            }
            kindName = s
        }
        let name = n.string("name", required: kindName == "stripe" || kindName == "snapshot")
        if let name, name.isEmpty { n.child("name")!.fail("a step name cannot be empty") }
        // Everything in the step may reference earlier steps (not itself).
        if kindName != "repeat" && kindName != "parallel" {
            checkReferences(in: n.value, at: n, skipping: ["name", "kind", "comment", "known_failure"])
        }
        let kind: Step.Kind?
        switch kindName {
        case "stripe": kind = stripe(n)
        case "app": kind = app(n)
        case "checkout":
            n.object(allowed: Self.common + ["session", "card", "authentication", "email", "name_on_card", "expected_error_type", "expect"],
                     required: ["session"])
            // `"card": null` completes without a card (a trial that collects none).
            let noCard = n.child("card")?.value == .null
            kind = .checkout(Checkout(session: n.string("session") ?? "", card: noCard ? nil : (n.string("card") ?? "4242424242424242"),
                                      authentication: n.choice("authentication", ["complete", "fail"]), email: n.string("email"),
                                      customerName: n.string("name_on_card"), expectedErrorTypes: errorTypes(n), expect: expectation(n)))
        case "portal":
            n.object(allowed: Self.common + ["session", "action", "plan", "card", "reason", "authentication", "expected_error_type", "expect"],
                     required: ["session", "action"])
            let action = n.choice("action", ["cancel", "undo_cancel", "switch_plan", "update_card"])
            if action == "switch_plan", n.child("plan") == nil { n.fail("switch_plan needs 'plan' (a plan id of the app)") }
            if action == "update_card", n.child("card") == nil { n.fail("update_card needs 'card'") }
            kind = .portal(Portal(session: n.string("session") ?? "", action: action ?? "", plan: n.string("plan"), card: n.string("card"),
                                  reason: n.string("reason"), authentication: n.choice("authentication", ["complete", "fail"]),
                                  expectedErrorTypes: errorTypes(n), expect: expectation(n)))
        case "advance": kind = advance(n)
        case "expect_webhooks":
            n.object(allowed: Self.common + ["exact", "contains", "any_order", "object", "consume"])
            let (mode, list) = exactOrContains(n, anyOrder: true)
            let types = list.compactMap(\.stringValue)
            if types.count != list.count { n.fail("webhook lists hold event types (strings)") }
            kind = .expectWebhooks(ExpectWebhooks(mode: mode, types: types, object: n.string("object"), consume: n.bool("consume") ?? true))
        case "expect_stripe":
            n.object(allowed: Self.common + ["path", "match"], required: ["path", "match"])
            if let p = n.string("path"), !p.hasPrefix("/v1/") { n.child("path")!.fail("must be an API path starting with /v1/, found '\(p)'") }
            kind = .expectStripe(ExpectStripe(path: n.string("path") ?? "", match: n.child("match")?.value ?? .null))
        case "expect_emails":
            n.object(allowed: Self.common + ["org", "exact", "contains"], required: ["org"])
            let org = n.string("org") ?? ""
            if n.child("org") != nil, !orgs.contains(org) { n.child("org")!.fail("no org '\(org)' in given.orgs\(NearestName.hint(org, among: orgs))") }
            let (mode, list) = exactOrContains(n)
            for (i, e) in list.enumerated() {
                switch e {
                case .string: break
                case .object(let o):
                    for key in o.keys.sorted() where !["kind", "to", "subject", "body"].contains(key) {
                        n.fail("unknown email field '\(key)' in item \(i)\(NearestName.hint(key, among: ["kind", "to", "subject", "body"]))")
                    }
                default: n.fail("each email is a kind (string) or an object with kind, to, subject, body")
                }
            }
            kind = .expectEmails(ExpectEmails(org: org, mode: mode, emails: list))
        case "inject": kind = inject(n)
        case "repeat":
            n.object(allowed: Self.common + ["times", "steps"], required: ["times", "steps"])
            let times = n.int("times", in: 1...1000) ?? 1
            var inner: [Step] = []
            if let s = n.child("steps") {
                if case .array(let list) = s.value, !list.isEmpty { inner = steps(list, at: s) } else { s.fail("expected a non-empty array of steps") }
            }
            kind = .repeatBlock(times: times, steps: inner)
        case "snapshot":
            n.object(allowed: Self.common)
            if let name {
                if snapshots.contains(name) { n.child("name")!.fail("snapshot '\(name)' is taken twice") }
                snapshots.insert(name)
            }
            kind = .snapshot(name ?? "")
        case "parallel":
            n.object(allowed: Self.common + ["steps"], required: ["steps"])
            var inner: [Step] = []
            if let s = n.child("steps") {
                if case .array(let list) = s.value, list.count >= 2 {
                    for (i, v) in list.enumerated() {
                        let child = s.element(i, v)
                        let k = child.child("kind")?.value.stringValue ?? "stripe"
                        if !ScenarioParser.parallelKinds.contains(k) {
                            child.fail("a parallel block holds \(ScenarioParser.parallelKinds.joined(separator: ", ")) steps, not '\(k)'")
                            continue
                        }
                        if let step = step(child) { inner.append(step) }
                    }
                } else { s.fail("expected an array of at least two steps") }
            }
            kind = .parallel(inner)
        case "pay_invoice":
            n.object(allowed: Self.common + ["invoice", "card", "authentication", "expected_error_type", "expect"], required: ["invoice"])
            kind = .payInvoice(PayInvoice(invoice: n.string("invoice") ?? "", card: n.string("card"),
                                          authentication: n.choice("authentication", ["complete", "fail"]),
                                          expectedErrorTypes: errorTypes(n), expect: expectation(n)))
        case "expect_deliveries":
            n.object(allowed: Self.common + ["exact", "contains", "consume"])
            let (mode, list) = exactOrContains(n)
            var items: [ExpectDeliveries.Item] = []
            for (i, v) in list.enumerated() {
                let item = n.child(mode == .exact ? "exact" : "contains")!.element(i, v)
                guard item.object(allowed: ["type", "status"], required: ["type"]) != nil else { continue }
                items.append(ExpectDeliveries.Item(type: item.string("type") ?? "", statuses: statuses(item, "status")))
            }
            kind = .expectDeliveries(ExpectDeliveries(mode: mode, items: items, consume: n.bool("consume") ?? true))
        case "restart_app":
            n.object(allowed: Self.common)
            kind = .restartApp
        case "deliver_webhooks":
            n.object(allowed: Self.common)
            kind = .deliverWebhooks
        case "expect_metrics":
            n.object(allowed: Self.common + ["samples"], required: ["samples"])
            var samples: [String: Double] = [:]
            if let s = n.child("samples") {
                if case .object(let o) = s.value, !o.isEmpty {
                    for (series, value) in o {
                        let number: Double? = switch value {
                        case .int(let i): Double(i)
                        case .double(let d): d
                        default: nil
                        }
                        guard let number else { s.fail("the value of '\(series)' must be a number"); continue }
                        guard series.first?.isLetter == true, !series.contains(" ") else {
                            s.fail("'\(series)' is not a sample name: a metric name with its labels, as /metrics prints it")
                            continue
                        }
                        samples[series] = number
                    }
                } else { s.fail("expected an object of sample names (with labels) and numbers") }
            }
            kind = .expectMetrics(samples)
        default: kind = nil
        }
        if let name, kindName != "snapshot" {
            // As the Stripe CLI does, a later fixture step with the same name replaces the
            // earlier one's response; any other kind must be named once.
            if stepNames.contains(name), !(kindName == "stripe" && fixtureStepNames.contains(name)) {
                n.child("name")!.fail("step name '\(name)' is used twice")
            }
            stepNames.append(name)
            if kindName == "stripe" { fixtureStepNames.insert(name) }
        }
        guard let kind else { return nil }
        let soft = n.bool("soft") ?? false
        let known = n.string("known_failure")
        if soft, known != nil { n.fail("a step is either soft or a known_failure, not both") }
        if let known, known.isEmpty { n.child("known_failure")!.fail("say why it is known to fail") }
        return Step(name: kindName == "snapshot" ? nil : name, location: n.path, kind: kind, soft: soft, knownFailure: known)
    }

    func stripe(_ n: Node) -> Step.Kind? {
        n.object(allowed: Self.common + ["path", "method", "params", "expected_error_type", "idempotency_key", "headers", "context",
                                         "api_base", "expect"], required: ["path"])
        let path = n.string("path") ?? ""
        if n.child("path") != nil, !(path.hasPrefix("/v1/") || path.hasPrefix("/v2/") || path.hasPrefix("/_emulator/")) {
            n.child("path")!.fail("must start with /v1/, /v2/ or /_emulator/, found '\(path)'")
        }
        let method = (n.string("method") ?? "post").lowercased()
        if !["get", "post", "delete"].contains(method) { n.child("method")!.fail("must be get, post or delete, found '\(method)'") }
        var params: JSONValue = [:]
        if let p = n.child("params") {
            if case .object = p.value { params = p.value } else { p.fail("expected an object, found \(Node.typeName(p.value))") }
        }
        var headers = n.stringMap("headers") ?? [:]
        if let context = n.string("context") { headers["Stripe-Context"] = context }
        _ = n.string("api_base")
        return .stripe(StripeCall(method: method.uppercased(), path: path, params: params, expectedErrorTypes: errorTypes(n),
                                  idempotencyKey: n.string("idempotency_key"), headers: headers, expect: expectation(n)))
    }

    func app(_ n: Node) -> Step.Kind? {
        n.object(allowed: Self.common + ["as", "method", "path", "body", "headers", "idempotency_key", "expect"], required: ["path"])
        let user = n.string("as")
        if let user, !users.contains(user) {
            n.child("as")!.fail("no user '\(user)' in given.users\(NearestName.hint(user, among: users))")
        }
        let path = n.string("path") ?? ""
        if n.child("path") != nil, !path.hasPrefix("/") { n.child("path")!.fail("must be an app path starting with /, found '\(path)'") }
        let method = (n.string("method") ?? "get").uppercased()
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) { n.child("method")!.fail("must be get, post, put, patch or delete") }
        return .app(AppCall(user: user, method: method, path: path, body: n.child("body")?.value, headers: n.stringMap("headers") ?? [:],
                            idempotencyKey: n.string("idempotency_key"), expect: expectation(n)))
    }

    func advance(_ n: Node) -> Step.Kind? {
        n.object(allowed: Self.common + ["by", "to"])
        switch (n.string("by"), n.child("to")) {
        case (let by?, nil):
            do { return .advance(.by(try TimeSpan(parsing: by))) } catch {
                n.child("by")!.fail("\(error)")
                return nil
            }
        case (nil, let to?):
            if case .int(let t) = to.value { return .advance(.to(t)) }
            guard case .string(let text) = to.value else { to.fail("expected a time or +duration, found \(Node.typeName(to.value))"); return nil }
            if text.hasPrefix("+") {
                do { return .advance(.toOffset(try TimeSpan(parsing: String(text.dropFirst())))) } catch {
                    to.fail("\(error)")
                    return nil
                }
            }
            guard let t = ScenarioTime.parse(text) else {
                to.fail("expected +duration (from the start), 2027-02-01T00:00:00Z or Unix seconds, found '\(text)'")
                return nil
            }
            return .advance(.to(t))
        case (nil, nil):
            if n.child("by") == nil { n.fail("advance needs 'by' (like 3d, 1mo, 2h30m) or 'to'") }
            return nil
        default:
            n.fail("advance takes 'by' or 'to', not both")
            return nil
        }
    }

    func inject(_ n: Node) -> Step.Kind? {
        let options = ["charge_failure", "api_error", "webhook_chaos", "webhook_outage"]
        guard let o = n.object(allowed: Self.common + options) else { return nil }
        let given = options.filter { o[$0] != nil }
        guard given.count == 1 else {
            n.fail("inject takes exactly one of \(options.joined(separator: ", "))")
            return nil
        }
        let f = n.child(given[0])!
        switch given[0] {
        case "charge_failure":
            f.object(allowed: ["customer", "org", "payment_method", "card", "from_attempt", "decline_code", "clear"])
            let targets: [(String, (String) -> Inject.ChargeTarget)] = [
                ("customer", { .customer($0) }), ("org", { .org($0) }), ("payment_method", { .paymentMethod($0) }), ("card", { .card($0) }),
            ]
            let named = targets.compactMap { key, make in f.string(key).map(make) }
            guard named.count == 1, let target = named.first else {
                f.fail("name whose charges fail with exactly one of customer, org, payment_method or card")
                return nil
            }
            if case .org(let org) = target, !orgs.contains(org) {
                f.child("org")!.fail("no org '\(org)' in given.orgs\(NearestName.hint(org, among: orgs))")
            }
            if f.bool("clear") == true {
                if f.child("from_attempt") != nil || f.child("decline_code") != nil { f.fail("clear takes no from_attempt or decline_code") }
                return .inject(.clearChargeFailure(target))
            }
            return .inject(.chargeFailure(target, fromAttempt: f.int("from_attempt", in: 1...1000) ?? 1,
                                          declineCode: f.string("decline_code") ?? "generic_decline"))
        case "api_error":
            f.object(allowed: ["path", "method", "status", "count", "after_commit", "scope"], required: ["path"])
            let path = f.string("path") ?? ""
            if f.child("path") != nil, !path.hasPrefix("/v1/") { f.child("path")!.fail("must start with /v1/ (end it with * for a prefix)") }
            let status = f.int("status") ?? 500
            if status != 429, !(500...599).contains(status) { f.child("status")?.fail("must be 429 or between 500 and 599") }
            return .inject(.apiError(path: path, method: f.choice("method", ["get", "post", "delete"])?.uppercased(), status: status,
                                     count: f.int("count", in: 1...1000) ?? 1, afterCommit: f.bool("after_commit") ?? false,
                                     scope: f.choice("scope", ["app", "all"]) ?? "all"))
        case "webhook_outage":
            f.object(allowed: ["from", "until", "for"])
            let from = f.child("from").flatMap { instant($0) } ?? .afterNow(TimeSpan())
            var until: ScenarioInstant? = nil
            switch (f.child("until"), f.string("for")) {
            case (let u?, nil): until = instant(u)
            case (nil, let d?):
                do {
                    let span = try TimeSpan(parsing: d)
                    switch from {
                    case .afterNow(let s) where s == TimeSpan(): until = .afterNow(span)
                    default: f.child("for")!.fail("'for' counts from now: give 'until' when 'from' is set")
                    }
                } catch { f.child("for")!.fail("\(error)") }
            default: f.fail("an outage needs 'until' (a time) or 'for' (a duration from now), one of them")
            }
            guard let until else { return nil }
            return .inject(.webhookOutage(from: from, until: until))
        default:
            let allowed = ["duplicate_rate", "reorder_window", "delay_seconds", "fail_first", "signature_skew_seconds", "seed", "clear"]
            guard let c = f.object(allowed: allowed) else { return nil }
            return .inject(.webhookChaos(c))
        }
    }

    /// A moment: Unix seconds, an ISO time, `+duration` from the start, or `now+duration`.
    func instant(_ n: Node) -> ScenarioInstant? {
        if case .int(let t) = n.value { return .at(t) }
        guard case .string(let text) = n.value else { n.fail("expected a time, found \(Node.typeName(n.value))"); return nil }
        do {
            if text == "now" { return .afterNow(TimeSpan()) }
            if text.hasPrefix("now+") { return .afterNow(try TimeSpan(parsing: String(text.dropFirst(4)))) }
            if text.hasPrefix("+") { return .afterStart(try TimeSpan(parsing: String(text.dropFirst()))) }
        } catch {
            n.fail("\(error)")
            return nil
        }
        guard let t = ScenarioTime.parse(text) else {
            n.fail("expected now, now+duration, +duration (from the start), 2027-02-01T00:00:00Z or Unix seconds, found '\(text)'")
            return nil
        }
        return .at(t)
    }

    // MARK: shared pieces

    static let errorTypeNames = ["api_error", "card_error", "idempotency_error", "invalid_request_error"]

    /// `expected_error_type`: one type, or an array of alternatives.
    func errorTypes(_ n: Node) -> [String]? {
        guard let node = n.child("expected_error_type") else { return nil }
        let list: [JSONValue]
        switch node.value {
        case .string: list = [node.value]
        case .array(let a) where !a.isEmpty: list = a
        default:
            node.fail("expected an error type or an array of them, found \(Node.typeName(node.value))")
            return nil
        }
        var out: [String] = []
        for (i, v) in list.enumerated() {
            guard let t = v.stringValue, Self.errorTypeNames.contains(t) else {
                let at = node.value.stringValue != nil ? node : node.element(i, v)
                at.fail("must be one of \(Self.errorTypeNames.map { "'\($0)'" }.joined(separator: ", ")), found \(v.stringValue.map { "'\($0)'" } ?? JSONWriter.string(v))\(NearestName.hint(v.stringValue ?? "", among: Self.errorTypeNames))")
                continue
            }
            out.append(t)
        }
        return out
    }

    /// A status code, or an array of alternatives.
    func statuses(_ n: Node, _ key: String) -> [Int]? {
        guard let node = n.child(key) else { return nil }
        let list: [JSONValue]
        switch node.value {
        case .int: list = [node.value]
        case .array(let a) where !a.isEmpty: list = a
        default:
            node.fail("expected a status code or an array of them, found \(Node.typeName(node.value))")
            return nil
        }
        let codes = list.compactMap(\.intValue).filter { (100...599).contains($0) }
        if codes.count != list.count { node.fail("status codes are whole numbers from 100 to 599") }
        return codes
    }

    func expectation(_ n: Node) -> Expectation? {
        guard let e = n.child("expect") else { return nil }
        e.object(allowed: ["status", "json", "headers"])
        return Expectation(statuses: statuses(e, "status"), json: e.child("json")?.value, headers: e.stringMap("headers") ?? [:])
    }

    func exactOrContains(_ n: Node, anyOrder: Bool = false) -> (ExpectWebhooks.Mode, [JSONValue]) {
        let modes: [(String, ExpectWebhooks.Mode)] = [("exact", .exact), ("contains", .contains)] + (anyOrder ? [("any_order", .anyOrder)] : [])
        let given = modes.filter { n.child($0.0) != nil }
        guard given.count == 1 else {
            n.fail("give either 'exact' (the whole ordered list) or 'contains' (these, in this order, among others)"
                   + (anyOrder ? " or 'any_order' (all of these, in any order, among others)" : ""))
            return (.exact, [])
        }
        let node = n.child(given[0].0)!
        guard case .array(let list) = node.value else { node.fail("expected an array, found \(Node.typeName(node.value))"); return (.exact, []) }
        return (given[0].1, list)
    }

    /// Every `${…}` in `value` must parse and name `.env`, `.start`/`.now` with a duration, or a
    /// step defined earlier in the file.
    func checkReferences(in value: JSONValue, at node: Node, skipping: Set<String> = []) {
        switch value {
        case .string(let s):
            guard s.contains("${") else { return }
            let refs: [References.Reference]
            do { refs = try References.parse(s) } catch {
                node.fail("\(error)")
                return
            }
            for ref in refs {
                switch ref.name {
                case ".env", "generate-uuid", "time-now-RFC3339": continue
                case ".clock":
                    referencesClocks = true
                    let (clock, offset) = References.clockReference(ref.path)
                    if !stepNames.contains(clock), !clock.hasPrefix("clock_") {
                        node.fail("${.clock:\(ref.path)} names no earlier step or test clock id\(NearestName.hint(clock, among: stepNames))")
                    }
                    if offset == nil { node.fail("bad time expression ${.clock:\(ref.path)}: expected a duration like +8d after the clock") }
                case ".start", ".now":
                    if References.timeOffset(ref.path) == nil {
                        node.fail("bad time expression ${\(ref.name):\(ref.path)}: expected a duration like +8d or +1h30m")
                    }
                default:
                    if !stepNames.contains(ref.name), ref.fallback == nil {
                        let known = stepNames + [".env", ".start", ".now"]
                        node.fail("reference ${\(ref.name):\(ref.path)} names no earlier step\(NearestName.hint(ref.name, among: known))")
                    }
                }
            }
        case .array(let a):
            for (i, v) in a.enumerated() { checkReferences(in: v, at: node.element(i, v)) }
        case .object(let o):
            for k in o.keys.sorted() where !skipping.contains(k) { checkReferences(in: o[k]!, at: node.child(k)!) }
        default: return
        }
    }
}
