import Testing
import StripeWire
@testable import StripeEmulator

/// `subscription_schedule.expiring`: Stripe sends it seven days before a schedule that cancels
/// its subscription ends, and not before. The dates are those of the Stripe CLI's
/// `subscription_schedule.expiring` trigger, whose last step stops nine days before the end
/// (see scripts/stripe-cli-triggers.sh).
@Suite struct ScheduleExpiringTests {
    static let start = 1577836800       // 2020-01-01T00:00Z
    static let end = 1580256000         // 2020-01-29T00:00Z
    static let fileStops = 1579478400   // 2020-01-20T00:00Z, nine days before the end
    static let sevenDaysBefore = end - 7 * 86400  // 2020-01-22T00:00Z

    @Test func expiringComesSevenDaysBeforeTheEndAndNotAtNineDays() async throws {
        let s = try TestStripe()
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(Self.start))]).id
        let customer = await s.customer(extra: [("test_clock", clock)])
        let price = await s.monthlyPrice(1500)
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("start_date", String(Self.start)), ("end_behavior", "cancel"),
            ("phases[0][items][0][price]", price), ("phases[0][items][0][quantity]", "1"), ("phases[0][end_date]", String(Self.end)),
        ])
        #expect(schedule.json["status"] == "active", "\(schedule.response.bodyString)")
        func advance(to t: Int) async -> [String] {
            await s.events {
                let r = await s.post("/v1/test_helpers/test_clocks/\(clock)/advance", [("frozen_time", String(t))])
                precondition(r.status == 200, r.response.bodyString)
            }
        }
        #expect(!(await advance(to: Self.fileStops)).contains("subscription_schedule.expiring"))
        #expect(!(await advance(to: Self.sevenDaysBefore - 1)).contains("subscription_schedule.expiring"))
        #expect((await advance(to: Self.sevenDaysBefore)).filter { $0 == "subscription_schedule.expiring" }.count == 1)
        let expiring = await s.allEvents().first { $0["type"] == "subscription_schedule.expiring" }!
        #expect(expiring["created"] == .int(Self.sevenDaysBefore))
        #expect(expiring["data"]["object"]["id"] == schedule.json["id"])
        let ended = await advance(to: Self.end)
        #expect(ended.contains("subscription_schedule.completed"))
        #expect(!ended.contains("subscription_schedule.expiring"))
    }
}
