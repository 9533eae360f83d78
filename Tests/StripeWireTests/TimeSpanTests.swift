import Testing
@testable import StripeWire

@Suite struct TimeSpanTests {
    @Test(arguments: [
        ("3d", 0, 3 * 86400), ("1mo", 1, 0), ("2h30m", 0, 9000), ("1y2mo", 14, 0), ("1w", 0, 604_800),
        ("45s", 0, 45), ("1y1mo1w1d1h1m1s", 13, 604_800 + 86400 + 3600 + 60 + 1),
    ])
    func parses(text: String, months: Int, seconds: Int) throws {
        #expect(try TimeSpan(parsing: text) == TimeSpan(months: months, seconds: seconds))
    }

    @Test(arguments: ["", "d", "3", "3x", "3dd", "1d1d", "-1d", "1.5d", "99999999d", "3 d"])
    func rejects(text: String) {
        #expect(throws: TimeSpan.ParseError.self) { try TimeSpan(parsing: text) }
    }

    @Test func addsCalendarMonths() throws {
        // 2027-01-31 00:00 UTC + 1mo = 2027-02-28 00:00 UTC.
        let t = UTCCalendar.days(fromCivil: 2027, 1, 31) * 86400
        #expect(try TimeSpan(parsing: "1mo").after(t) == UTCCalendar.days(fromCivil: 2027, 2, 28) * 86400)
        #expect(try TimeSpan(parsing: "1y1d").after(t) == UTCCalendar.days(fromCivil: 2028, 2, 1) * 86400)
    }

    @Test func describesItself() throws {
        #expect(try TimeSpan(parsing: "1y2mo").description == "1y2mo")
        #expect(try TimeSpan(parsing: "2h30m").description == "2h30m")
    }
}
