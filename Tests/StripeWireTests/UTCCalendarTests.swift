import Foundation
import Testing
@testable import StripeWire

/// `UTCCalendar.addMonths` is the expected value in the renewal, dunning and test-clock tests, so
/// it is checked here on its own: against dates written by hand, and against Foundation's
/// Gregorian calendar in UTC for many seeded random dates.
@Suite struct UTCCalendarTests {
    /// Unix seconds of an ISO 8601 UTC date, read by Foundation (not by the code under test).
    static func ts(_ iso: String) -> Int {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        guard let d = f.date(from: iso) else { fatalError("bad date literal \(iso)") }
        return Int(d.timeIntervalSince1970)
    }

    static func iso(_ t: Int) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    @Test(arguments: [
        // The day clamps to the month's length (Stripe's month arithmetic), the time of day stays.
        ("2023-01-31T10:20:30Z", 1, "2023-02-28T10:20:30Z"),
        ("2024-01-31T10:20:30Z", 1, "2024-02-29T10:20:30Z"),   // leap year
        ("2100-01-31T00:00:00Z", 1, "2100-02-28T00:00:00Z"),   // divisible by 100: not leap
        ("2000-01-31T00:00:00Z", 1, "2000-02-29T00:00:00Z"),   // divisible by 400: leap
        ("2024-02-29T12:00:00Z", 12, "2025-02-28T12:00:00Z"),
        ("2024-02-29T12:00:00Z", 48, "2028-02-29T12:00:00Z"),
        ("2025-03-31T00:00:00Z", 1, "2025-04-30T00:00:00Z"),
        ("2025-08-31T23:59:59Z", 1, "2025-09-30T23:59:59Z"),
        ("2025-01-15T08:00:00Z", 1, "2025-02-15T08:00:00Z"),
        // December into January, and across several years.
        ("2025-12-15T00:00:00Z", 1, "2026-01-15T00:00:00Z"),
        ("2025-12-31T00:00:00Z", 2, "2026-02-28T00:00:00Z"),
        ("2025-11-30T06:00:00Z", 3, "2026-02-28T06:00:00Z"),
        ("2025-12-31T00:00:00Z", 1, "2026-01-31T00:00:00Z"),
        ("2026-01-01T00:00:00Z", 25, "2028-02-01T00:00:00Z"),
        ("2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z"),
        // Backwards.
        ("2025-03-31T00:00:00Z", -1, "2025-02-28T00:00:00Z"),
        ("2024-03-31T00:00:00Z", -1, "2024-02-29T00:00:00Z"),
        ("2026-01-15T09:30:00Z", -1, "2025-12-15T09:30:00Z"),
        ("2026-01-31T00:00:00Z", -13, "2024-12-31T00:00:00Z"),
        ("2026-02-28T00:00:00Z", -12, "2025-02-28T00:00:00Z"),
        // Before 1970 (negative Unix seconds).
        ("1969-12-31T23:59:59Z", 1, "1970-01-31T23:59:59Z"),
        ("1960-01-31T01:02:03Z", 1, "1960-02-29T01:02:03Z"),
        ("1970-01-01T00:00:00Z", -1, "1969-12-01T00:00:00Z"),
    ])
    func addMonths(from: String, months: Int, to: String) {
        #expect(Self.iso(UTCCalendar.addMonths(Self.ts(from), months)) == to)
    }

    /// A billing anchor on the 29th, 30th or 31st comes back in every month that has that day,
    /// and is clamped in the months that do not.
    @Test(arguments: [
        ("2025-02-28T00:00:00Z", 1, 31, "2025-03-31T00:00:00Z"),
        ("2025-02-28T00:00:00Z", 1, 30, "2025-03-30T00:00:00Z"),
        ("2025-02-28T00:00:00Z", 1, 29, "2025-03-29T00:00:00Z"),
        ("2025-04-30T00:00:00Z", 1, 31, "2025-05-31T00:00:00Z"),
        ("2025-05-31T00:00:00Z", 1, 31, "2025-06-30T00:00:00Z"),
        ("2024-01-29T00:00:00Z", 1, 29, "2024-02-29T00:00:00Z"),
        ("2025-01-29T00:00:00Z", 1, 29, "2025-02-28T00:00:00Z"),
        ("2025-01-30T00:00:00Z", 1, 30, "2025-02-28T00:00:00Z"),
        ("2024-02-29T18:00:00Z", 1, 30, "2024-03-30T18:00:00Z"),
        ("2025-11-30T00:00:00Z", 3, 31, "2026-02-28T00:00:00Z"),
        ("2026-02-28T00:00:00Z", 11, 31, "2027-01-31T00:00:00Z"),
        ("2025-04-30T00:00:00Z", -1, 31, "2025-03-31T00:00:00Z"),
    ])
    func addMonthsWithAnchor(from: String, months: Int, anchor: Int, to: String) {
        #expect(Self.iso(UTCCalendar.addMonths(Self.ts(from), months, anchorDay: anchor)) == to)
    }

    /// Foundation's Gregorian calendar in UTC, two ways: `date(byAdding: .month)` clamps the day as
    /// Stripe does (Jan 31 + 1 month = Feb 28/29), and "the same day (or the anchor day) of the
    /// month `months` away, or that month's last day" built from date components.
    ///
    /// `date(byAdding:)` is compared for forward steps only: going back it sometimes misses a
    /// leap day or overflows into March (e.g. 1978-08-31 - 30 months gives 1976-02-28, and
    /// 2208-08-30 - 126 months gives 2198-03-01, where 1976-02-29 and 2198-02-28 are right), so
    /// backward steps are checked against the component-built date alone.
    @Test func agreesWithFoundationsGregorianCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var rng = SplitMix(seed: 2026)
        // 1700-01-01 ... 2300-01-01, far from the Julian switch in 1582.
        let low = -8_520_336_000, high = 10_413_792_000
        var clamped = 0, backward = 0

        /// The day `day` (or the month's last day) of the month `months` from `date`'s, at its time of day.
        func foundationDate(_ date: Date, months: Int, day: Int) throws -> Int {
            var first = calendar.dateComponents([.year, .month, .hour, .minute, .second], from: date)
            first.day = 1
            let firstOfMonth = try #require(calendar.date(from: first))
            let monthStart = try #require(calendar.date(byAdding: .month, value: months, to: firstOfMonth))
            let length = try #require(calendar.range(of: .day, in: .month, for: monthStart)).count
            var target = calendar.dateComponents([.year, .month, .hour, .minute, .second], from: monthStart)
            target.day = min(day, length)
            if day > length { clamped += 1 }
            return Int(try #require(calendar.date(from: target)).timeIntervalSince1970)
        }

        for n in 0..<20_000 {
            let t = low + Int(rng.next() % UInt64(high - low))
            let months = Int(rng.next() % 481) - 240
            let date = Date(timeIntervalSince1970: TimeInterval(t))
            let got = UTCCalendar.addMonths(t, months)
            let expected = try foundationDate(date, months: months, day: calendar.component(.day, from: date))
            #expect(got == expected, "#\(n): \(Self.iso(t)) + \(months) months: \(Self.iso(got)), Foundation \(Self.iso(expected))")
            if months >= 0 {
                let added = Int(try #require(calendar.date(byAdding: .month, value: months, to: date)).timeIntervalSince1970)
                #expect(got == added, "#\(n): \(Self.iso(t)) + \(months) months: \(Self.iso(got)), Foundation adds \(Self.iso(added))")
            } else {
                backward += 1
            }

            let anchor = 28 + Int(rng.next() % 4)
            let anchored = try foundationDate(date, months: months, day: anchor)
            let gotAnchored = UTCCalendar.addMonths(t, months, anchorDay: anchor)
            #expect(gotAnchored == anchored,
                    "#\(n): \(Self.iso(t)) + \(months) months on the \(anchor)th: \(Self.iso(gotAnchored)), Foundation \(Self.iso(anchored))")
        }
        // Days 29-31 land on shorter months often enough for the clamp to be exercised.
        #expect(clamped > 1000)
        #expect(backward > 5000)
    }
}
