import Foundation
import Testing
import StripeWire
@testable import Scenarios

/// The runner end to end, in process: a fresh fake and app per run, goldens in a temporary folder.
/// Its calls go over loopback sockets, hence the time limit.
@Suite(.timeLimit(.minutes(1))) struct RunnerTests {
    static let text = #"""
    {
      "_meta": { "template_version": 0, "name": "tiny", "tags": ["t"] },
      "given": { "orgs": ["acme"], "users": [{ "email": "owner@acme.test", "org": "acme", "as": "owner" }] },
      "fixtures": [
        { "name": "lead", "kind": "app", "as": "owner", "method": "post", "path": "/api/leads", "body": { "name": "Ann" },
          "expect": { "status": 201, "json": { "name": "Ann" } } },
        { "name": "cus", "path": "/v1/customers", "params": { "email": "x@y.test", "metadata": { "lead": "${lead:id}" } } },
        { "kind": "expect_stripe", "path": "/v1/customers/${cus:id}", "match": { "metadata": { "lead": "lead_000001" } } },
        { "kind": "snapshot", "name": "one" },
        { "kind": "advance", "by": "2d" },
        { "kind": "expect_webhooks", "exact": ["customer.created"] }
      ]
    }
    """#

    func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("goldens-\(UUID().uuidString)").path
        return dir
    }

    func runner(_ dir: String, update: Bool = false, env: [String: String] = [:]) -> ScenarioRunner {
        ScenarioRunner(options: .init(goldens: Goldens(directory: dir), update: update, environment: env))
    }

    @Test func updateWritesGoldensThenRunsCompareThem() async throws {
        let scenario = try ScenarioParser.parse(Array(Self.text.utf8), file: "tiny.json")
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let missing = await runner(dir).run(scenario)
        #expect(missing.status == .failed)
        #expect(missing.messages == ["no golden file \(dir)/tiny.json (run with --update to create it)"])

        // CI=true never writes, even with --update.
        let inCI = await runner(dir, update: true, env: ["CI": "true"]).run(scenario)
        #expect(inCI.status == .failed)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/tiny.json"))

        let written = await runner(dir, update: true).run(scenario)
        #expect(written.status == .updated, "\(written.messages)")
        let golden = try #require(try Goldens(directory: dir).read("tiny"))
        #expect(golden["one"]["app"]["leads"][0]["id"] == "lead_000001")
        #expect(golden["one"]["app"]["leads"][0]["created_at"] == "+0d 00:00:00")
        #expect(golden["end"]["stripe"]["customers"][0]["created"] == "+0d 00:00:00")
        #expect(golden["end"]["webhooks_delivered"].arrayValue?.last == "customer.created")

        // Deterministic: a second run matches the golden byte for byte.
        let again = await runner(dir).run(scenario)
        #expect(again.status == .passed, "\(again.messages)")
        #expect(Goldens.encode(again.snapshots) == Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/tiny.json"))))

        // A changed golden fails with a diff naming the path.
        var edited = golden
        edited["one"] = ["app": ["leads": []]]
        try Goldens(directory: dir).write("tiny", edited)
        let differs = await runner(dir).run(scenario)
        #expect(differs.status == .failed)
        #expect(differs.messages.first?.hasPrefix("differs from \(dir)/tiny.json in ") == true)
        #expect(differs.messages.contains("one.app.leads[0]"))
    }

    @Test func aFailedStepSaysWhereAndWhy() async throws {
        let text = Self.text.replacingOccurrences(of: #""exact": ["customer.created"]"#, with: #""exact": ["customer.updated"]"#)
        let scenario = try ScenarioParser.parse(Array(text.utf8), file: "tiny.json")
        let result = await runner(tempDir()).run(scenario)
        #expect(result.status == .failed)
        #expect(result.messages.count == 1)
        #expect(result.messages[0].hasPrefix("fixtures[5]: expected exactly these webhooks, in order:"))
        #expect(result.messages[0].contains("customer.created"))
    }

    @Test func injectedAPIErrorsAreRetriedByTheApp() async throws {
        let text = #"""
        {
          "_meta": { "template_version": 0, "name": "faults" },
          "given": { "orgs": ["acme"], "users": [{ "email": "owner@acme.test", "org": "acme", "as": "owner" }] },
          "fixtures": [
            { "kind": "inject", "api_error": { "path": "/v1/checkout/sessions", "method": "post", "status": 500, "count": 2 } },
            { "name": "ok", "kind": "app", "as": "owner", "method": "post", "path": "/api/billing/subscription", "body": { "plan": "pro" } },
            { "kind": "inject", "api_error": { "path": "/v1/checkout/*", "status": 429, "count": 5 } },
            { "kind": "app", "as": "owner", "method": "post", "path": "/api/billing/subscription", "body": { "plan": "pro" },
              "expect": { "status": 502, "json": { "error": { "code": "stripe_unavailable" } } } }
          ]
        }
        """#
        let scenario = try ScenarioParser.parse(Array(text.utf8), file: "faults.json")
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = await runner(dir, update: true).run(scenario)
        #expect(result.status == .updated, "\(result.messages)")
    }

    /// Soft steps let the run go on and are all reported; a known failure is reported, not
    /// fatal, and a known_failure mark on a step that passes is reported too.
    @Test func softStepsAndKnownFailures() async throws {
        let text = #"""
        {
          "_meta": { "template_version": 0, "name": "soft" },
          "fixtures": [
            { "name": "a", "path": "/v1/customers", "params": { "email": "a@x.test" }, "soft": true, "expect": { "json": { "email": "wrong@x.test" } } },
            { "name": "b", "path": "/v1/customers", "params": { "email": "b@x.test" }, "soft": true, "expect": { "status": [400, 402] } },
            { "name": "c", "path": "/v1/customers", "params": { "email": "c@x.test" } }
          ]
        }
        """#
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let soft = try ScenarioParser.parse(Array(text.utf8), file: "soft.json")
        let failed = await runner(dir, update: true).run(soft)
        #expect(failed.status == .failed)
        let message = failed.messages.first ?? ""
        #expect(message.hasPrefix("2 soft steps failed:"))
        #expect(message.contains("fixtures[0] 'a'") && message.contains("fixtures[1] 'b'") && message.contains("expected status 400 or 402, got 200"))
        // The run went on past both: step c ran, so the snapshot has three customers.
        #expect(failed.snapshots["end"]["stripe"]["customers"].arrayValue?.count == 3)

        let known = text.replacingOccurrences(of: #""soft": true, "expect": { "json""#, with: #""known_failure": "bug 12", "expect": { "json""#)
            .replacingOccurrences(of: #""soft": true, "expect": { "status""#, with: #""known_failure": "fixed already", "expect": { "status": 200 }, "x": { "status""#)
            .replacingOccurrences(of: #", "x": { "status": [400, 402] }"#, with: "")
        let marked = try ScenarioParser.parse(Array(known.utf8), file: "soft.json")
        let passed = await runner(dir, update: true).run(marked)
        #expect(passed.passed, "\(passed.messages)")
        #expect(passed.messages.count == 2)
        #expect(passed.messages.contains { $0.hasPrefix("known failure (bug 12): fixtures[0] 'a'") })
        #expect(passed.messages.contains { $0.contains("fixtures[1] 'b': marked known_failure (fixed already) but passed") })
    }

    /// A parallel block sends its requests at once and checks each in file order; header
    /// expectations and status alternatives apply to each.
    @Test func parallelStepsAndHeaderExpectations() async throws {
        let text = #"""
        {
          "_meta": { "template_version": 0, "name": "par" },
          "fixtures": [
            { "kind": "parallel", "steps": [
              { "name": "one", "path": "/v1/customers", "params": { "email": "one@x.test" }, "idempotency_key": "k-1",
                "expect": { "status": [200, 409] } },
              { "name": "two", "path": "/v1/customers", "params": { "email": "one@x.test" }, "idempotency_key": "k-1",
                "expect": { "status": [200, 409] } }
            ] },
            { "name": "again", "path": "/v1/customers", "params": { "email": "one@x.test" }, "idempotency_key": "k-1",
              "expect": { "status": 200, "headers": { "Idempotent-Replayed": "true", "Request-Id": "$present" } } },
            { "kind": "expect_stripe", "path": "/v1/customers", "match": { "data": { "$length": 1 } } }
          ]
        }
        """#
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = await runner(dir, update: true).run(try ScenarioParser.parse(Array(text.utf8), file: "par.json"))
        #expect(result.passed, "\(result.messages)")
    }

    /// `--stripe-version`: the app pins an old API version (its calls and its webhook endpoint)
    /// and still mirrors the subscription (the period from the subscription, as before basil);
    /// `given.stripe_version` sets what fixture steps read.
    @Test func anAppPinnedToAnOldVersionReadsItsShape() async throws {
        let text = #"""
        {
          "_meta": { "template_version": 0, "name": "pinned" },
          "given": { "orgs": ["acme"], "users": [{ "email": "owner@acme.test", "org": "acme", "as": "owner" }], "stripe_version": "2024-06-20" },
          "fixtures": [
            { "name": "subscribe", "kind": "app", "as": "owner", "method": "post", "path": "/api/billing/subscription", "body": { "plan": "pro" } },
            { "kind": "checkout", "session": "${subscribe:url}" },
            { "name": "endpoints", "method": "get", "path": "/v1/webhook_endpoints", "expect": { "json": { "data": [{ "api_version": "2024-06-20" }] } } },
            { "name": "app_sub", "kind": "app", "as": "owner", "path": "/api/billing/subscription", "expect": { "json": { "status": "trialing" } } },
            { "name": "sub", "method": "get", "path": "/v1/subscriptions/${app_sub:stripe_subscription_id}",
              "expect": { "json": { "current_period_end": "$present" } } }
          ]
        }
        """#
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = try ScenarioParser.parse(Array(text.utf8), file: "pinned.json")
        let result = await ScenarioRunner(options: .init(goldens: Goldens(directory: dir), update: true, environment: [:],
                                                         stripeVersion: "2024-06-20")).run(scenario)
        #expect(result.passed, "\(result.messages)")
        let row = result.snapshots["end"]["app"]["subscriptions"][0]
        #expect(row["current_period_end"].isNull == false, "\(row)")
    }
}
