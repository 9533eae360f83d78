import Billing
import Foundation
import Testing
import StripeWire
@testable import Scenarios

/// The project file (`effinity.json`) and what the runner does with an app it did not build.
@Suite struct ProjectTests {
    func parse(_ json: String) -> Result<Project, ScenarioErrors> {
        do throws(ScenarioErrors) {
            return .success(try ProjectParser.parse(Array(json.utf8), file: "effinity.json", root: "/app"))
        } catch { return .failure(error) }
    }

    func errors(_ json: String) -> [String] {
        if case .failure(let e) = parse(json) { return e.errors.map(\.description) }
        return []
    }

    static let minimal = """
        {"app": {"command": ["python3", "app.py"]}, "stripe": {"webhook_path": "/hooks"}, "database": {"kind": "sqlite"}}
        """

    @Test func aMinimalProjectTakesTheDefaults() throws {
        let p = try parse(Self.minimal).get()
        #expect(p.scenarios == "/app/scenarios")
        #expect(p.goldens == "/app/goldens")
        #expect(p.app.readyPath == "/")
        #expect(p.app.stopSignal == SIGTERM)
        #expect(p.stripe.signatureTime == "real")
        #expect(p.stripe.events == ["*"])
        #expect(p.timeoutSeconds == 300)
    }

    @Test func everyProblemIsReportedWithItsPath() {
        let e = errors("""
            {"app": {"command": [], "env": {"A": "${stripe.urll}"}, "stop": {"signal": "HUP"}},
             "stripe": {"webhook_path": "hooks", "api_version": "2099-01-01", "signature_tme": "real"},
             "database": {"kind": "mysql"}, "timeout_seconds": 0, "userz": {}}
            """)
        #expect(e.contains("effinity.json: app.command: expected [program, arguments…], found an empty command"))
        #expect(e.contains("effinity.json: app.env.A: unknown template '${stripe.urll}' (did you mean 'stripe.url'?)"))
        #expect(e.contains("effinity.json: app.stop.signal: must be one of 'TERM', 'INT', 'KILL', found 'HUP'"))
        #expect(e.contains("effinity.json: stripe.webhook_path: must start with /, found 'hooks'"))
        #expect(e.contains { $0.hasPrefix("effinity.json: stripe.api_version: unknown API version '2099-01-01'") })
        #expect(e.contains("effinity.json: stripe.signature_tme: unknown key 'signature_tme' (did you mean 'signature_time'?)"))
        #expect(e.contains { $0.hasPrefix("effinity.json: database.kind: must be one of 'sqlite', 'postgres', found 'mysql'") })
        #expect(e.contains("effinity.json: timeout_seconds: must be between 1 and 86400, found 0"))
        #expect(e.contains("effinity.json: userz: unknown key 'userz' (did you mean 'users'?)"))
    }

    @Test func usersNeedAWayToPresentTheCredential() {
        let e = errors("""
            {"app": {"command": ["x"]}, "stripe": {"webhook_path": "/h"}, "database": {"kind": "sqlite", "ignore_columns": ["nodot"]},
             "users": {"create": {"http": {"path": "/u", "body": {"e": "${user.mail}"}, "credential": "token"}}}}
            """)
        #expect(e.contains("effinity.json: users: users.create needs users.present (the headers or cookies that carry ${credential})"))
        #expect(e.contains("effinity.json: users.create.http.body.e: unknown template '${user.mail}' (did you mean 'user.email'?)"))
        #expect(e.contains("effinity.json: database.ignore_columns[0]: expected table.column (or *.column), found 'nodot'"))
    }

    @Test func orgsSettleAndMetricsAreRead() throws {
        let p = try parse("""
            {"app": {"command": ["x"], "settle": {"path": "/_test/drain"}, "metrics": {"path": "/metrics", "headers": {"Authorization": "Bearer m"}}},
             "stripe": {"webhook_path": "/h"}, "database": {"kind": "sqlite"},
             "orgs": {"create": {"http": {"path": "/orgs", "body": {"id": "${org.id}", "name": "${org.name}"}}}}}
            """).get()
        #expect(p.app.settle?.method == "POST")
        #expect(p.app.settle?.path == "/_test/drain")
        #expect(p.app.metrics?.headers == ["Authorization": "Bearer m"])
        #expect(p.orgs?.path == "/orgs")
        let e = errors("""
            {"app": {"command": ["x"], "settle": {"path": "drain"}}, "stripe": {"webhook_path": "/h"}, "database": {"kind": "sqlite"},
             "orgs": {"create": {"http": {"path": "/orgs", "body": {"id": "${user.email}"}}}}}
            """)
        #expect(e.contains("effinity.json: app.settle.path: must start with /, found 'drain'"))
        #expect(e.contains { $0.hasPrefix("effinity.json: orgs.create.http.body.id: unknown template '${user.email}'") })
    }

    /// A world whose picked port was taken before it bound it is made again; other failures are the scenario's.
    @Test func aLostPortIsRetriedAndNothingElse() {
        #expect(World.lostItsPort(ScenarioFailure("the app exited with code 1 before http://127.0.0.1:40615/health answered\n  | Error: bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)")))
        #expect(World.lostItsPort(ScenarioFailure("the effinity-stripe server did not start on 127.0.0.1:5: bind: address already in use")))
        #expect(!World.lostItsPort(ScenarioFailure("the app exited with code 1 before http://127.0.0.1:40615/health answered\n  | ImportError: no module named stripe")))
    }

    @Test func tableRulesIgnoreRedactAliasAndReadISOTimes() {
        var spec = try! parse(Self.minimal).get().database
        spec.ignoreColumns = ["*.updated_at"]
        spec.redactColumns = ["users.password"]
        spec.aliases = ["uuid"]
        let a = "0b9a8f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", b = "ffffffff-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
        let dumps = [
            TableDump(table: "users", rows: [["id": .string(b), "password": "hunter2", "updated_at": 5, "seen": "2027-01-02 03:04:05"]]),
            TableDump(table: "teams", rows: [["id": .string(a), "owner": .string(b), "created": "2027-01-01T00:00:00.123+01:00"]]),
        ]
        let out = ProjectTableRules(spec).apply(dumps)
        // Tables in name order: teams first, so its id is <id 1> and the owner (users' id) <id 2>.
        #expect(out.map(\.table) == ["teams", "users"])
        #expect(out[0].rows[0] == ["id": "<id 1>", "owner": "<id 2>", "created": .int(1_798_761_600 - 3600)])
        #expect(out[1].rows[0] == ["id": "<id 2>", "password": "<redacted>", "seen": .int(1_798_761_600 + 86400 + 3 * 3600 + 4 * 60 + 5)])
        #expect(ProjectTableRules.isoTime("2027-01-01") == nil)
        #expect(ProjectTableRules.isoTime("2027-13-01T00:00:00Z") == nil)
    }

    @Test func givenPlansNeedAnAppThatTakesThem() throws {
        let json = """
            {"_meta": {"template_version": 0, "name": "p"}, "given": {"orgs": ["a"], "plans": [{"id": "free", "name": "Free", "monthlyPriceCents": 0, "currency": "usd", "trialDays": 0,
                                                          "limits": {"leadsPerPeriod": 25, "properties": 3, "seats": 1}}]},
             "fixtures": [{"kind": "expect_emails", "org": "a", "contains": ["welcome"]},
                          {"kind": "inject", "charge_failure": {"org": "a"}}]}
            """
        let scenario: Scenario
        do throws(ScenarioErrors) { scenario = try ScenarioParser.parse(Array(json.utf8), file: "p.json") } catch {
            Issue.record("\(error)"); return
        }
        do throws(ScenarioErrors) {
            try Suite(scenarios: [scenario]).checkForProject(try parse(Self.minimal).get())
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.path) == ["given.plans"])
        }
        let takes = Self.minimal.replacingOccurrences(of: #""app.py"]"#, with: #""app.py", "--plans", "${scenario.plans}"]"#)
        do throws(ScenarioErrors) { try Suite(scenarios: [scenario]).checkForProject(try parse(takes).get()) } catch {
            Issue.record("refused: \(error)")
        }
    }

    /// The fixture app (Python, standard library) through a whole world: users, webhooks verified
    /// on real-time signatures after a 400-day jump, virtual time by URL and header, a restart,
    /// and its golden.
    @Test func theFixtureAppPassesItsGolden() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("project-fixture").path
        let project: Project
        do throws(ScenarioErrors) { project = try ProjectParser.load(path: root) } catch { Issue.record("\(error)"); return }
        let suite: Suite
        do throws(ScenarioErrors) { suite = try Suite.load(paths: [project.scenarios]) } catch { Issue.record("\(error)"); return }
        let runner = ScenarioRunner(options: .init(goldens: Goldens(directory: project.goldens), environment: [:], project: project))
        for scenario in suite.scenarios {
            let result = await runner.run(scenario)
            #expect(result.status == .passed, "\(result.messages.joined(separator: "\n"))")
        }
    }
}
