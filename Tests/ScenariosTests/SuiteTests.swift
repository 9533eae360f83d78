import Foundation
import Testing
import StripeWire
@testable import Scenarios

@Suite struct SuiteTests {
    func scenario(_ name: String, tags: [String] = []) -> Scenario {
        Scenario(file: "\(name).json", name: name, description: nil, tags: tags,
                 given: Given(start: 0, orgs: [], users: [], plans: nil, seed: 0, dunning: [:]), steps: [], env: [])
    }

    @Test(arguments: [1, 2, 3, 4, 7])
    func shardsCoverEveryScenarioExactlyOnce(count: Int) {
        let suite = Suite(scenarios: (0..<60).map { scenario("scenario_\($0)") })
        var seen: [String] = []
        for i in 1...count { seen += suite.shard(i, of: count).scenarios.map(\.name) }
        #expect(seen.sorted() == suite.scenarios.map(\.name).sorted())
        #expect(Set(seen).count == seen.count)
    }

    @Test func aScenarioKeepsItsShardWhenOthersAreAdded() {
        let small = Suite(scenarios: (0..<10).map { scenario("s\($0)") })
        let big = Suite(scenarios: (0..<40).map { scenario("s\($0)") })
        for i in 1...3 {
            let before = Set(small.shard(i, of: 3).scenarios.map(\.name))
            #expect(before.isSubset(of: Set(big.shard(i, of: 3).scenarios.map(\.name))))
        }
    }

    @Test func selectionByNameGlobAndTag() {
        let suite = Suite(scenarios: [scenario("dunning_to_cancel", tags: ["dunning"]), scenario("dunning_to_unpaid", tags: ["dunning", "slow"]),
                                      scenario("checkout_3ds", tags: ["3ds"])])
        #expect(suite.selecting(name: "dunning*", tags: []).scenarios.map(\.name) == ["dunning_to_cancel", "dunning_to_unpaid"])
        #expect(suite.selecting(name: nil, tags: ["slow", "3ds"]).scenarios.map(\.name) == ["dunning_to_unpaid", "checkout_3ds"])
        #expect(suite.selecting(name: "*_3?s", tags: []).scenarios.map(\.name) == ["checkout_3ds"])
        #expect(Glob.matches("*", ""))
        #expect(!Glob.matches("a*b", "acd"))
    }

    @Test func timesAndOffsets() throws {
        #expect(ScenarioTime.parse("2027-01-01T00:00:00Z") == 1_798_761_600)
        #expect(ScenarioTime.parse("2027-01-01") == 1_798_761_600)
        #expect(ScenarioTime.parse("1798761600") == 1_798_761_600)
        #expect(ScenarioTime.parse("2027-02-29") == nil)
        #expect(ScenarioTime.parse("2027-01-01T24:00:00Z") == nil)
        #expect(ScenarioTime.offset(1_798_761_600 + 14 * 86400 + 3600, from: 1_798_761_600) == "+14d 01:00:00")
        #expect(ScenarioTime.offset(1_798_761_595, from: 1_798_761_600) == "-0d 00:00:05")
        #expect(ScenarioTime.iso(1_798_761_600 + 59) == "2027-01-01T00:00:59Z")
        #expect(References.timeOffset("+1mo2d")?.months == 1)
        #expect(try References.resolve("${.start:+1d}", outputs: [:], env: [:], times: (100, 500)) == .int(86500))
        #expect(try References.resolve("${.now:0}", outputs: [:], env: [:], times: (100, 500)) == .int(500))
    }

    @Test func normalizerMakesTimesAndURLsStable() {
        let n = Normalizer(start: 1_000_000_000, replacements: [("http://127.0.0.1:5555", "{stripe}"), ("http://127.0.0.1:6666", "{app}")])
        let v: JSONValue = ["created": 1_000_090_000, "amount": 9900, "url": "http://127.0.0.1:5555/c/pay/x",
                            "ret": "http://127.0.0.1:6666/dashboard", "token_hash": "abc", "exp_year": 2030]
        #expect(n.normalize(v) == ["created": "+1d 01:00:00", "amount": 9900, "url": "{stripe}/c/pay/x", "ret": "{app}/dashboard",
                                   "token_hash": "<redacted>", "exp_year": 2030])
    }
}

@Suite struct DiffAndReportTests {
    @Test func diffNamesEachPathWithBothValues() {
        let golden: JSONValue = ["end": ["app": ["subscriptions": [["status": "active", "plan": "pro"]], "leads": [1, 2]]]]
        let actual: JSONValue = ["end": ["app": ["subscriptions": [["status": "past_due", "plan": "pro", "extra": true]], "leads": [1]]]]
        let changes = JSONDiff.changes(expected: golden, actual: actual)
        #expect(changes.map(\.path) == ["end.app.leads[1]", "end.app.subscriptions[0].extra", "end.app.subscriptions[0].status"])
        #expect(JSONDiff.render(changes, color: false) == [
            "end.app.leads[1]", "  - expected: 2", "  + actual:   (absent)",
            "end.app.subscriptions[0].extra", "  - expected: (absent)", "  + actual:   true",
            "end.app.subscriptions[0].status", "  - expected: \"active\"", "  + actual:   \"past_due\"",
        ])
        let colored = JSONDiff.render(changes, color: true)
        #expect(colored[1].contains("\u{1B}[31m") && colored[2].contains("\u{1B}[32m"))
        #expect(JSONDiff.changes(expected: golden, actual: golden).isEmpty)
    }

    /// Elements with ids are matched by id: one inserted element is one difference.
    @Test func listsWithIDsAreMatchedByID() {
        let golden: JSONValue = ["leads": [["id": "lead_1", "name": "Ann"], ["id": "lead_2", "name": "Bob"], ["id": "lead_3", "name": "Cy"]]]
        let actual: JSONValue = ["leads": [["id": "lead_1", "name": "Ann"], ["id": "lead_9", "name": "New"], ["id": "lead_2", "name": "Bob"],
                                           ["id": "lead_3", "name": "Cyd"]]]
        let changes = JSONDiff.changes(expected: golden, actual: actual)
        #expect(changes.map(\.path) == ["leads[id=lead_3].name", "leads[id=lead_9]"])
        let reordered: JSONValue = ["leads": [["id": "lead_2", "name": "Bob"], ["id": "lead_1", "name": "Ann"], ["id": "lead_3", "name": "Cy"]]]
        #expect(JSONDiff.changes(expected: golden, actual: reordered).map(\.path) == ["leads (order of ids)"])
        // Without ids (or with repeated ones) elements are compared by index.
        #expect(JSONDiff.changes(expected: ["a": [1, 2]], actual: ["a": [2]]).map(\.path) == ["a[0]", "a[1]"])
    }

    /// The JUnit classname is the file's path from the project root, however the runner was called.
    @Test func junitClassNamesAreStable() {
        let cwd = FileManager.default.currentDirectoryPath
        for file in ["scenarios/renewals/dunning.json", "./scenarios/renewals/dunning.json", cwd + "/scenarios/renewals/dunning.json",
                     "scenarios/../scenarios/renewals/dunning.json"] {
            #expect(Reports.className(file, root: ".") == "scenarios.renewals.dunning", "\(file)")
            #expect(Reports.className(file, root: cwd) == "scenarios.renewals.dunning", "\(file)")
        }
        #expect(Reports.className("/elsewhere/x.json", root: "/project") == "elsewhere.x")
    }

    @Test func junitAndSummary() {
        let results = [
            ScenarioResult(name: "a<b", file: "x.json", status: .passed, messages: [], seconds: 0.25, snapshots: [:], env: []),
            ScenarioResult(name: "c", file: "y.json", status: .failed, messages: ["fixtures[1]: \u{1B}[31m\"bad\" & worse\u{1B}[0m"],
                           seconds: 1.5, snapshots: [:], env: []),
        ]
        let xml = Reports.junit(results)
        #expect(xml.contains(#"<testsuites name="effinity scenarios" tests="2" failures="1" errors="0" skipped="0" time="1.750">"#))
        #expect(xml.contains(#"<testcase name="a&lt;b" classname="x" time="0.250"/>"#))
        #expect(xml.contains(#"<failure message="fixtures[1]: &quot;bad&quot; &amp; worse">"#))
        let summary = Reports.summary(results, wall: 1.5, color: false)
        #expect(summary.hasSuffix("1 passed, 1 failed, 2 scenarios in 1.500s"))
        #expect(summary.contains("FAILED   1.500s   c"))
        let json = try? JSONParser.parse(Reports.json(results))
        #expect(json?["failed"] == 1)
    }
}

@Suite struct MatcherTests {
    @Test func subsetsAndOperators() {
        let actual: JSONValue = ["data": [["id": "a", "n": 1], ["id": "b", "n": 2.0], ["id": "c", "n": 3]], "url": "x", "gone": nil]
        #expect(Matcher.mismatches(expected: ["data": [[:], ["n": 2], ["id": "c"]]], actual: actual).isEmpty)
        #expect(Matcher.mismatches(expected: ["data": [["id": "a"]]], actual: actual) == [#"data: expected 1 items, found 3: [{"id":"a","n":1},{"id":"b","n":2},{"id":"c","n":3}]"#])
        #expect(Matcher.mismatches(expected: ["data": ["$length": 3], "url": "$present"], actual: actual).isEmpty)
        #expect(Matcher.mismatches(expected: ["gone": "$present"], actual: actual) == ["gone: expected a value, found null or nothing"])
        #expect(Matcher.mismatches(expected: ["data": ["$contains": [["id": "a"], ["id": "c"]]]], actual: actual).isEmpty)
        #expect(Matcher.mismatches(expected: ["data": ["$contains": [["id": "c"], ["id": "a"]]]], actual: actual).count == 1)
        #expect(Matcher.mismatches(expected: ["url": "y"], actual: actual) == [#"url: expected "y", found "x""#])
        #expect(Matcher.mismatches(expected: ["missing": 1], actual: actual) == ["missing: expected 1, but it is missing"])
    }
}
