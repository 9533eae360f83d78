import Billing
import Foundation
import StripeWire

/// One scenario being run: its world, the responses of named steps (for references), user
/// tokens, the webhook deliveries seen so far, and the snapshots taken.
final class ScenarioRun {
    let scenario: Scenario
    let world: World
    let http: HTTP
    let env: [String: String]
    var outputs: [String: JSONValue] = [:]
    /// The headers each user's app steps carry (a session token for EFFINITY), by alias.
    var userHeaders: [String: [String: String]] = [:]
    /// Successful deliveries to the app, in order (event id, type); `webhookCursor` marks what
    /// the last `expect_webhooks` consumed.
    var delivered: [(event: String, type: String)] = []
    var deliverySeq = 0
    var webhookCursor = 0
    var snapshots: [(String, JSONValue)] = []
    /// Every delivery attempt to the app (failed ones too): event type and the status it answered;
    /// `attemptCursor` marks what the last `expect_deliveries` consumed.
    var attempts: [(type: String, status: Int?)] = []
    var attemptCursor = 0
    /// Failures of `soft` steps, reported together at the end.
    var softFailures: [String] = []
    /// Known failures met, and known failures that passed: reported, not fatal.
    var notes: [String] = []
    /// Test clock times by id and by the name of the step that created them (`${.clock:…}`).
    var clocks: [String: Int] = [:]
    let taker: SnapshotTaker
    /// The fake's clock as last read (at set-up and after each `advance`), for `${.now:…}`.
    var now: Int

    init(scenario: Scenario, world: World, env: [String: String]) {
        self.scenario = scenario
        self.world = world
        self.env = env
        now = world.start
        http = HTTP(stripeURL: world.stripeURL, appURL: world.appURL, key: world.key)
        taker = SnapshotTaker(http: http, app: world.app, normalizer: Normalizer(start: world.start, replacements: world.urlNames))
    }

    // MARK: given

    func setUp() async throws {
        let given = scenario.given
        if let version = given.stripeVersion {
            try await stripeOK("POST", "/_emulator/settings", body: "api_version=\(version)")
        }
        if !given.dunning.isEmpty {
            try await stripeOK("POST", "/_emulator/settings", body: FixtureForm.encode(["dunning": .object(given.dunning)]))
        }
        userHeaders = try await world.app.makeUsers(given)
        // The app's start (plans synced to the fake) is not the scenario's: expect_webhooks starts after it.
        try await drain()
        try await collectDeliveries()
        webhookCursor = delivered.count
        now = try await currentTime()
    }

    // MARK: steps

    func run(_ steps: [Step]) async throws {
        for step in steps {
            do {
                try await run(step)
                if let why = step.knownFailure {
                    notes.append("\(step.location)\(step.name.map { " '\($0)'" } ?? ""): marked known_failure (\(why)) but passed: remove the mark")
                }
            } catch let failure as StepFailure {
                try settle(failure, step)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try settle(StepFailure(step: step, message: "\(error)"), step)
            }
        }
    }

    /// A failed step ends the scenario, unless it is soft (recorded, the run goes on) or a known
    /// failure (reported as such).
    func settle(_ failure: StepFailure, _ step: Step) throws {
        if let why = step.knownFailure {
            notes.append("known failure (\(why)): \(failure)")
        } else if step.soft {
            softFailures.append("\(failure)")
        } else {
            throw failure
        }
    }

    func run(_ step: Step) async throws {
        if scenario.referencesClocks { try await readClocks() }
        switch step.kind {
        case .stripe(let call): try await stripeStep(call, step)
        case .app(let call): try await appStep(call, step)
        case .checkout(let c): try await checkout(c, step)
        case .portal(let p): try await portal(p, step)
        case .advance(let a): try await advance(a, step)
        case .expectWebhooks(let e): try await expectWebhooks(e, step)
        case .expectStripe(let e): try await expectStripe(e, step)
        case .expectEmails(let e): try await expectEmails(e, step)
        case .inject(let i): try await inject(i, step)
        case .repeatBlock(let times, let steps):
            for _ in 0..<times { try await run(steps) }
        case .snapshot(let name):
            try await snapshot(name)
        case .parallel(let steps): try await parallel(steps, step)
        case .payInvoice(let p): try await payInvoice(p, step)
        case .expectDeliveries(let e): try await expectDeliveries(e, step)
        case .restartApp:
            try await world.restartApp()
        case .deliverWebhooks:
            try await drain()
        case .expectMetrics(let samples):
            try await expectMetrics(samples, step)
        }
    }

    /// The account's test clocks, by id and by the name of a step whose answer is one.
    func readClocks() async throws {
        let reply = try await http.stripe("GET", "/v1/test_helpers/test_clocks", query: "limit=100")
        var found: [String: Int] = [:]
        for clock in reply.json["data"].arrayValue ?? [] {
            if let id = clock["id"].stringValue, let t = clock["frozen_time"].intValue { found[id] = t }
        }
        for (name, output) in outputs where output["object"] == "test_helpers.test_clock" {
            if let id = output["id"].stringValue, let t = found[id] { found[name] = t }
        }
        clocks = found
    }

    func snapshot(_ name: String) async throws {
        try await collectDeliveries()
        snapshots.append((name, try await taker.take(delivered: delivered.map(\.type))))
    }

    /// A request resolved and ready to send (so a `parallel` block can send several at once),
    /// and how to check its answer.
    struct Prepared: Sendable {
        let what: String
        let send: @Sendable () async throws -> HTTP.Reply
        let check: Check

        enum Check: Sendable {
            case stripe(expectedErrorTypes: [String]?, expect: Expectation?)
            case app(expect: Expectation?)
            case none
        }
    }

    func prepare(_ step: Step) throws -> Prepared {
        let http = self.http
        switch step.kind {
        case .stripe(let call):
            let path = try resolveText(call.path, step)
            let params = try resolve(call.params, step)
            var headers = try call.headers.mapValues { try resolveText($0, step) }
            if let key = call.idempotencyKey { headers["Idempotency-Key"] = try resolveText(key, step) }
            let form = FixtureForm.encode(params)
            let method = call.method, sendHeaders = headers
            return Prepared(what: "\(method) \(path)", send: {
                method == "GET" ? try await http.stripe("GET", path, query: form, headers: sendHeaders, caller: .step)
                                : try await http.stripe(method, path, body: form, headers: sendHeaders, caller: .step)
            }, check: .stripe(expectedErrorTypes: call.expectedErrorTypes, expect: call.expect))
        case .app(let call):
            let path = try resolveText(call.path, step)
            var headers = try call.headers.mapValues { try resolveText($0, step) }
            if let user = call.user { headers.merge(userHeaders[user] ?? [:]) { step, _ in step } }
            // The virtual time, for an app that follows it (docs/PROJECT.md).
            headers["Effinity-Clock-Now"] = String(now)
            if let key = call.idempotencyKey { headers["Idempotency-Key"] = try resolveText(key, step) }
            let body = try call.body.map { try resolve($0, step) }
            let method = call.method, sendHeaders = headers, appURL = world.appURL
            return Prepared(what: "\(method) \(path)", send: {
                try await http.app(method, path, body: body, headers: sendHeaders, appURL: appURL)
            }, check: .app(expect: call.expect))
        case .deliverWebhooks:
            return Prepared(what: "deliver webhooks", send: { try await http.stripe("POST", "/_emulator/deliveries/drain") }, check: .none)
        default:
            throw StepFailure(step: step, message: "a \(step.kindName) step cannot run inside parallel")
        }
    }

    func finish(_ prepared: Prepared, _ reply: HTTP.Reply, _ step: Step) throws {
        switch prepared.check {
        case .stripe(let types, let expect):
            try check(reply, expectedErrorTypes: types, successAllowed: true, expect: expect, step, what: prepared.what)
        case .app(let expect): try checkApp(reply, expect: expect, step, what: prepared.what)
        case .none:
            guard reply.status == 200 else { throw StepFailure(step: step, message: "\(prepared.what) answered \(reply.status): \(reply.text)") }
        }
        save(step, reply.json)
    }

    func stripeStep(_ call: StripeCall, _ step: Step) async throws {
        let prepared = try prepare(step)
        try finish(prepared, try await prepared.send(), step)
        try await drain()
    }

    func appStep(_ call: AppCall, _ step: Step) async throws {
        let prepared = try prepare(step)
        try finish(prepared, try await prepared.send(), step)
        try await drain()
    }

    /// Sends every step's request at once, waits for all answers, then checks them in file
    /// order (each with its own soft or known-failure mark), and delivers what is due.
    func parallel(_ steps: [Step], _ block: Step) async throws {
        let prepared = try steps.map { try prepare($0) }
        // Each step's answer or its transport error: one step's failure is that step's (soft or not).
        let answers = ParallelAnswers(count: prepared.count)
        await withTaskGroup(of: Void.self) { group in
            for (i, p) in prepared.enumerated() {
                group.addTask {
                    do { answers.keep(.success(try await p.send()), at: i) } catch { answers.keep(.failure(error), at: i) }
                }
            }
        }
        let replies = answers.all { i in .failure(StepFailure(step: steps[i], message: "the request got no answer")) }
        for (i, step) in steps.enumerated() {
            do {
                try finish(prepared[i], try replies[i].get(), step)
                if let why = step.knownFailure {
                    notes.append("\(step.location)\(step.name.map { " '\($0)'" } ?? ""): marked known_failure (\(why)) but passed: remove the mark")
                }
            } catch let failure as StepFailure {
                try settle(failure, step)
            } catch {
                try settle(StepFailure(step: step, message: "\(error)"), step)
            }
        }
        try await drain()
    }

    func checkout(_ c: Checkout, _ step: Step) async throws {
        let id = Self.lastComponent(try resolveText(c.session, step))
        var form: [(String, FormValue)] = []
        if let card = c.card { form.append(("card", .string(try resolveText(card, step)))) }
        if let a = c.authentication { form.append(("authentication", .string(a))) }
        if let e = c.email { form.append(("email", .string(try resolveText(e, step)))) }
        if let n = c.customerName { form.append(("name", .string(try resolveText(n, step)))) }
        let reply = try await http.stripe("POST", "/_emulator/checkout/\(id)/complete", body: FormEncoder.encode(form))
        try check(reply, expectedErrorTypes: c.expectedErrorTypes, expect: c.expect, step, what: "checkout \(id)")
        save(step, reply.json)
        try await drain()
    }

    func payInvoice(_ p: PayInvoice, _ step: Step) async throws {
        let id = Self.lastComponent(try resolveText(p.invoice, step))
        var form: [(String, FormValue)] = []
        if let card = p.card { form.append(("card", .string(try resolveText(card, step)))) }
        if let a = p.authentication { form.append(("authentication", .string(a))) }
        let reply = try await http.stripe("POST", "/_emulator/invoices/\(id)/pay", body: FormEncoder.encode(form))
        try check(reply, expectedErrorTypes: p.expectedErrorTypes, expect: p.expect, step, what: "pay invoice \(id)")
        save(step, reply.json)
        try await drain()
    }

    func portal(_ p: Portal, _ step: Step) async throws {
        let id = Self.lastComponent(try resolveText(p.session, step))
        var form: [(String, FormValue)] = [("action", .string(p.action))]
        if let plan = p.plan {
            let lookupKey: String
            do { lookupKey = try world.app.lookupKey(plan: plan) } catch { throw StepFailure(step: step, message: "\(error)") }
            let prices = try await http.stripe("GET", "/v1/prices", query: "lookup_keys[0]=\(lookupKey)")
            guard let price = prices.json["data"][0]["id"].stringValue else {
                throw StepFailure(step: step, message: "the fake has no price with lookup_key \(lookupKey)")
            }
            form.append(("price", .string(price)))
        }
        if let card = p.card { form.append(("card", .string(try resolveText(card, step)))) }
        if let reason = p.reason { form.append(("reason", .string(reason))) }
        if let a = p.authentication { form.append(("authentication", .string(a))) }
        let reply = try await http.stripe("POST", "/_emulator/portal/\(id)/actions", body: FormEncoder.encode(form))
        try check(reply, expectedErrorTypes: p.expectedErrorTypes, expect: p.expect, step, what: "portal \(p.action)")
        save(step, reply.json)
        try await drain()
    }

    func advance(_ a: Advance, _ step: Step) async throws {
        let now = try await currentTime()
        let target: Int
        switch a {
        case .by(let span): target = span.after(now)
        case .to(let t): target = t
        case .toOffset(let span): target = span.after(world.start)
        }
        guard target >= now else {
            throw StepFailure(step: step, message: "cannot move time back to \(ScenarioTime.iso(target)): it is already \(ScenarioTime.iso(now))")
        }
        try await stripeOK("POST", "/_emulator/time/set", body: "to=\(target)")
        try await drain()
        self.now = target
        save(step, ["now": .int(target)])
    }

    func expectWebhooks(_ e: ExpectWebhooks, _ step: Step) async throws {
        try await collectDeliveries()
        var seen = Array(delivered[webhookCursor...])
        if e.consume { webhookCursor = delivered.count }
        if let object = e.object {
            let id = try resolveText(object, step)
            var kept: [(event: String, type: String)] = []
            for d in seen {
                let o = try await http.stripe("GET", "/v1/events/\(d.event)").json["data"]["object"]
                if o["id"].stringValue == id || o["customer"].stringValue == id || o["subscription"].stringValue == id
                    || o["parent"]["subscription_details"]["subscription"].stringValue == id {
                    kept.append(d)
                }
            }
            seen = kept
        }
        let types = seen.map(\.type)
        switch e.mode {
        case .exact:
            guard types == e.types else {
                throw StepFailure(step: step, message: "expected exactly these webhooks, in order:\n    \(e.types.joined(separator: ", "))\n  delivered:\n    \(types.isEmpty ? "(none)" : types.joined(separator: ", "))")
            }
        case .contains:
            var i = 0
            for t in types where i < e.types.count && t == e.types[i] { i += 1 }
            guard i == e.types.count else {
                throw StepFailure(step: step, message: "expected these webhooks in this order among the delivered ones; '\(e.types[i])' is missing\(i > 0 ? " after '\(e.types[i - 1])'" : "")\n  delivered:\n    \(types.isEmpty ? "(none)" : types.joined(separator: ", "))")
            }
        case .anyOrder:
            var left = types
            let missing = e.types.filter { t in
                guard let i = left.firstIndex(of: t) else { return true }
                left.remove(at: i)
                return false
            }
            guard missing.isEmpty else {
                throw StepFailure(step: step, message: "expected all of these webhooks, in any order; missing: \(missing.joined(separator: ", "))\n  delivered:\n    \(types.isEmpty ? "(none)" : types.joined(separator: ", "))")
            }
        }
        save(step, ["delivered": .array(types.map { .string($0) })])
    }

    func expectDeliveries(_ e: ExpectDeliveries, _ step: Step) async throws {
        try await collectDeliveries()
        let seen = Array(attempts[attemptCursor...])
        if e.consume { attemptCursor = attempts.count }
        func matches(_ item: ExpectDeliveries.Item, _ a: (type: String, status: Int?)) -> Bool {
            item.type == a.type && (item.statuses.map { s in a.status.map { s.contains($0) } ?? false } ?? true)
        }
        let describe = seen.isEmpty ? "(none)" : seen.map { "\($0.type) → \($0.status.map(String.init) ?? "no answer")" }.joined(separator: "\n    ")
        func show(_ item: ExpectDeliveries.Item) -> String {
            item.type + (item.statuses.map { " → " + $0.map(String.init).joined(separator: " or ") } ?? "")
        }
        switch e.mode {
        case .exact:
            guard seen.count == e.items.count, zip(e.items, seen).allSatisfy({ matches($0, $1) }) else {
                throw StepFailure(step: step, message: "expected exactly these deliveries:\n    \(e.items.map(show).joined(separator: "\n    "))\n  the app answered:\n    \(describe)")
            }
        case .contains, .anyOrder:
            var i = 0
            for a in seen where i < e.items.count && matches(e.items[i], a) { i += 1 }
            guard i == e.items.count else {
                throw StepFailure(step: step, message: "no delivery matches \(show(e.items[i]))\(i > 0 ? " after the earlier ones" : "")\n  the app answered:\n    \(describe)")
            }
        }
        save(step, ["deliveries": .array(seen.map { ["type": .string($0.type), "status": .from($0.status)] })])
    }

    func expectStripe(_ e: ExpectStripe, _ step: Step) async throws {
        let path = try resolveText(e.path, step)
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let reply = try await http.stripe("GET", parts[0], query: parts.count > 1 ? parts[1] : "")
        guard reply.status == 200 else { throw StepFailure(step: step, message: "GET \(path) answered \(reply.status): \(reply.text)") }
        let expected = try resolve(e.match, step)
        let diffs = Matcher.mismatches(expected: expected, actual: reply.json)
        guard diffs.isEmpty else { throw StepFailure(step: step, message: "GET \(path) does not match:\n    " + diffs.joined(separator: "\n    ")) }
        save(step, reply.json)
    }

    func expectEmails(_ e: ExpectEmails, _ step: Step) async throws {
        guard let outbox = try await world.app.tables().first(where: { $0.table == "email_outbox" })?.rows else {
            throw StepFailure(step: step, message: "the app has no email_outbox table: expect_emails reads EFFINITY's email outbox (kind, to_email, subject, body, org_id)")
        }
        let emails = outbox.filter { $0["org_id"].stringValue == world.org(e.org) }
        func matches(_ expected: JSONValue, _ email: JSONValue) -> Bool {
            if case .string(let kind) = expected { return email["kind"].stringValue == kind }
            let o = expected.objectValue ?? [:]
            if let kind = o["kind"]?.stringValue, email["kind"].stringValue != kind { return false }
            if let to = o["to"]?.stringValue, email["to_email"].stringValue != to { return false }
            if let s = o["subject"]?.stringValue, email["subject"].stringValue?.contains(s) != true { return false }
            if let b = o["body"]?.stringValue, email["body"].stringValue?.contains(b) != true { return false }
            return true
        }
        let kinds = emails.map { $0["kind"].stringValue ?? "?" }
        let describe = "\n  the outbox of '\(e.org)' holds: \(kinds.isEmpty ? "(nothing)" : kinds.joined(separator: ", "))"
        switch e.mode {
        case .exact:
            guard emails.count == e.emails.count, zip(e.emails, emails).allSatisfy({ matches($0, $1) }) else {
                throw StepFailure(step: step, message: "expected exactly \(e.emails.map { JSONWriter.string($0) }.joined(separator: ", "))\(describe)")
            }
        case .contains, .anyOrder:
            var i = 0
            for email in emails where i < e.emails.count && matches(e.emails[i], email) { i += 1 }
            guard i == e.emails.count else {
                throw StepFailure(step: step, message: "no email matches \(JSONWriter.string(e.emails[i]))\(describe)")
            }
        }
        save(step, ["emails": .array(emails)])
    }

    /// Reads the app's `/metrics` and compares each named sample's value exactly. Only on the
    /// in-process app: a shared app's counters also count other runs.
    func expectMetrics(_ samples: [String: Double], _ step: Step) async throws {
        guard let (path, headers) = world.app.metricsEndpoint else {
            throw StepFailure(step: step, message: "expect_metrics needs an app of the scenario's own: the in-process app, or a project whose effinity.json names app.metrics (a shared app's counters count other runs too)")
        }
        let (status, text) = try await http.appText(path, headers: headers)
        guard status == 200 else { throw StepFailure(step: step, message: "GET /metrics answered \(status)") }
        var found: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            found[String(line[..<space])] = value
        }
        var problems: [String] = []
        for (series, expected) in samples.sorted(by: { $0.key < $1.key }) {
            guard let actual = found[series] else { problems.append("\(series): not in /metrics"); continue }
            if actual != expected { problems.append("\(series)\n  - expected: \(expected)\n  + actual:   \(actual)") }
        }
        guard problems.isEmpty else { throw StepFailure(step: step, message: "/metrics does not match:\n    " + problems.joined(separator: "\n    ")) }
        save(step, .object(Dictionary(uniqueKeysWithValues: samples.keys.map { ($0, JSONValue.double(found[$0] ?? 0)) })))
    }

    func inject(_ i: Inject, _ step: Step) async throws {
        switch i {
        case .chargeFailure(let target, let from, let code):
            var form = try await chargeTarget(target, step)
            form += [("from_attempt", .string(String(from))), ("decline_code", .string(code))]
            try await stripeOK("POST", "/_emulator/faults/charges", body: FormEncoder.encode(form))
        case .clearChargeFailure(let target):
            try await stripeOK("POST", "/_emulator/faults/charges/clear", body: FormEncoder.encode(try await chargeTarget(target, step)))
        case .apiError(let path, let method, let status, let count, let afterCommit, let scope):
            var form: [(String, FormValue)] = [("path", .string(path)), ("status", .string(String(status))), ("count", .string(String(count))),
                                               ("after_commit", .string(afterCommit ? "true" : "false")), ("scope", .string(scope))]
            if let method { form.append(("method", .string(method))) }
            try await stripeOK("POST", "/_emulator/faults/api", body: FormEncoder.encode(form))
        case .webhookChaos(let params):
            var p = params
            p["endpoint"] = .string(world.endpointID)
            if p["seed"] == nil { p["seed"] = .int(scenario.given.seed) }
            try await stripeOK("POST", "/_emulator/webhooks/chaos", body: FixtureForm.encode(.object(p)))
        case .webhookOutage(let from, let until):
            let now = try await currentTime()
            let start = from.resolve(start: world.start, now: now), end = until.resolve(start: world.start, now: now)
            guard end > start else {
                throw StepFailure(step: step, message: "the outage ends (\(ScenarioTime.iso(end))) before it starts (\(ScenarioTime.iso(start)))")
            }
            try await stripeOK("POST", "/_emulator/webhooks/chaos", body: FormEncoder.encode([
                ("endpoint", .string(world.endpointID)), ("seed", .string(String(scenario.given.seed))),
                ("outage_from", .string(String(start))), ("outage_until", .string(String(end))),
            ]))
        }
    }

    /// The fake's name for whose charges fail.
    func chargeTarget(_ target: Inject.ChargeTarget, _ step: Step) async throws -> [(String, FormValue)] {
        switch target {
        case .customer(let c): return [("customer", .string(try resolveText(c, step)))]
        case .paymentMethod(let pm): return [("payment_method", .string(try resolveText(pm, step)))]
        case .card(let number): return [("card", .string(try resolveText(number, step)))]
        case .org(let org):
            guard let subs = try await world.app.tables().first(where: { $0.table == "subscriptions" })?.rows else {
                throw StepFailure(step: step, message: "the app has no subscriptions table: inject by org reads EFFINITY's (org_id, stripe_customer_id); name the customer instead")
            }
            guard let id = subs.first(where: { $0["org_id"].stringValue == world.org(org) })?["stripe_customer_id"].stringValue else {
                throw StepFailure(step: step, message: "org '\(org)' has no Stripe customer yet (subscribe it first)")
            }
            return [("customer", .string(id))]
        }
    }

    // MARK: plumbing

    /// Sends every webhook delivery that is due and runs the app's jobs that are due, so the
    /// app has applied them before the next step.
    func drain() async throws {
        try await stripeOK("POST", "/_emulator/deliveries/drain")
        try await world.drainJobs(now: try await currentTime())
    }

    func collectDeliveries() async throws {
        while true {
            let reply = try await http.stripe("GET", "/_emulator/deliveries",
                                              query: "limit=1000&after=\(deliverySeq)&endpoint=\(world.endpointID)")
            guard reply.status == 200, let rows = reply.json["data"].arrayValue else {
                throw ScenarioFailure("GET /_emulator/deliveries answered \(reply.status): \(reply.text)")
            }
            for row in rows.reversed() {
                deliverySeq = max(deliverySeq, row["seq"].intValue ?? 0)
                if let t = row["event_type"].stringValue { attempts.append((t, row["status_code"].intValue)) }
                if row["outcome"] == "succeeded", let e = row["event"].stringValue, let t = row["event_type"].stringValue {
                    delivered.append((e, t))
                }
            }
            if rows.count < 1000 { return }
        }
    }

    func currentTime() async throws -> Int {
        let reply = try await http.stripe("GET", "/_emulator/time")
        guard let now = reply.json["now"].intValue else { throw ScenarioFailure("GET /_emulator/time answered \(reply.status): \(reply.text)") }
        return now
    }

    @discardableResult
    func stripeOK(_ method: String, _ path: String, body: String = "") async throws -> JSONValue {
        let reply = try await http.stripe(method, path, body: body)
        guard reply.status == 200 else {
            throw ScenarioFailure("\(method) \(path) answered \(reply.status): \(reply.json["error"]["message"].stringValue ?? reply.text)")
        }
        return reply.json
    }

    /// `successAllowed`: a Stripe step's `expected_error_type` is the Stripe CLI's (its runner's
    /// `errWasExpected`): an error of that type does not stop the run, and neither does a success
    /// (the CLI's own fixtures mark calls that fail on accounts without a payment method type
    /// this way); `expect.status` asserts a failure. On `checkout`, `portal` and `pay_invoice`
    /// steps, which are this runner's own, it asserts that the step fails with that type.
    func check(_ reply: HTTP.Reply, expectedErrorTypes: [String]?, successAllowed: Bool = false, expect: Expectation?, _ step: Step,
               what: String) throws {
        let ok = (200..<300).contains(reply.status)
        if let expectedErrorTypes, !(ok && successAllowed) {
            let wanted = expectedErrorTypes.joined(separator: " or ")
            guard !ok else { throw StepFailure(step: step, message: "\(what) succeeded, but a \(wanted) was expected") }
            let type = reply.json["error"]["type"].stringValue ?? "?"
            guard expectedErrorTypes.contains(type) else {
                throw StepFailure(step: step, message: "\(what) failed with a \(type) (\(reply.json["error"]["message"].stringValue ?? "")), but a \(wanted) was expected")
            }
        } else if expect?.statuses == nil, !ok {
            throw StepFailure(step: step, message: "\(what) answered \(reply.status): \(reply.json["error"]["message"].stringValue ?? reply.text)")
        }
        try match(reply, expect, step, what: what)
    }

    func checkApp(_ reply: HTTP.Reply, expect: Expectation?, _ step: Step, what: String) throws {
        if expect?.statuses == nil, !(200..<300).contains(reply.status) {
            throw StepFailure(step: step, message: "\(what) answered \(reply.status): \(reply.text)")
        }
        try match(reply, expect, step, what: what)
    }

    func match(_ reply: HTTP.Reply, _ expect: Expectation?, _ step: Step, what: String) throws {
        guard let expect else { return }
        if let statuses = expect.statuses, !statuses.contains(reply.status) {
            throw StepFailure(step: step, message: "\(what): expected status \(statuses.map(String.init).joined(separator: " or ")), got \(reply.status): \(reply.text)")
        }
        for (name, value) in expect.headers.sorted(by: { $0.key < $1.key }) {
            let wanted = try resolveText(value, step)
            guard let actual = reply.header(name) else {
                throw StepFailure(step: step, message: "\(what): expected the header \(name), but the response has none")
            }
            if wanted != "$present", actual != wanted {
                throw StepFailure(step: step, message: "\(what): expected the header \(name): \(wanted), got \(actual)")
            }
        }
        if let json = expect.json {
            let diffs = Matcher.mismatches(expected: try resolve(json, step), actual: reply.json)
            if !diffs.isEmpty { throw StepFailure(step: step, message: "\(what): the response does not match:\n    " + diffs.joined(separator: "\n    ")) }
        }
    }

    func save(_ step: Step, _ value: JSONValue) {
        if let name = step.name { outputs[name] = value }
    }

    var times: (start: Int, now: Int) { (world.start, now) }

    func resolveText(_ text: String, _ step: Step) throws -> String {
        do {
            let v = try References.resolve(text, outputs: outputs, env: env, times: times, clocks: clocks)
            if case .string(let s) = v { return s }
            return JSONWriter.string(v)
        } catch { throw StepFailure(step: step, message: "\(error)") }
    }

    func resolve(_ value: JSONValue, _ step: Step) throws -> JSONValue {
        switch value {
        case .string(let s) where s.contains("${"):
            do { return try References.resolve(s, outputs: outputs, env: env, times: times, clocks: clocks) } catch {
                throw StepFailure(step: step, message: "\(error)")
            }
        case .array(let a): return .array(try a.map { try resolve($0, step) })
        case .object(let o): return .object(try o.mapValues { try resolve($0, step) })
        default: return value
        }
    }

    static func lastComponent(_ s: String) -> String {
        let path = s.split(separator: "?").first.map(String.init) ?? s
        return path.split(separator: "/").last.map(String.init) ?? s
    }
}

/// A step that did not do what the scenario says, with where it is.
struct StepFailure: Error, CustomStringConvertible {
    let location: String
    let name: String?
    let message: String

    init(step: Step, message: String) {
        location = step.location
        name = step.name
        self.message = message
    }

    var description: String { "\(location)\(name.map { " '\($0)'" } ?? ""): \(message)" }
}
