import Testing
@testable import Scenarios

@Suite struct ScenarioDurationTests {
    @Test(arguments: [
        ("3d", 0, 3 * 86400), ("1mo", 1, 0), ("2h30m", 0, 9000), ("1y2mo", 14, 0), ("1w", 0, 604_800),
        ("45s", 0, 45), ("1y1mo1w1d1h1m1s", 13, 604_800 + 86400 + 3600 + 60 + 1),
    ])
    func parses(text: String, months: Int, seconds: Int) throws {
        #expect(try ScenarioDuration(parsing: text) == ScenarioDuration(months: months, seconds: seconds))
    }

    @Test(arguments: ["", "d", "3", "3x", "3dd", "1d1d", "-1d", "1.5d", "99999999d", "3 d"])
    func rejects(text: String) {
        #expect(throws: ScenarioDuration.ParseError.self) { try ScenarioDuration(parsing: text) }
    }

    @Test func describesItself() throws {
        #expect(try ScenarioDuration(parsing: "1y2mo").description == "1y2mo")
        #expect(try ScenarioDuration(parsing: "2h30m").description == "2h30m")
    }
}
