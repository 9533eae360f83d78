import Testing
import StripeWire
@testable import StripeEmulator

/// Subscription schedules on the clock: phases applied before the renewal that bills them,
/// completion by end behavior.
@Suite struct ScheduleTests {
    @Test func secondPhaseIsBilledAtTheBoundaryThenTheScheduleCompletes() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1200)
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][items][0][quantity]", "1"),
            ("phases[0][iterations]", "1"), ("phases[1][items][0][price]", price), ("phases[1][items][0][quantity]", "3"),
            ("phases[1][iterations]", "1"), ("end_behavior", "cancel"),
        ]).json
        #expect(schedule["status"] == "active")
        let subID = schedule["subscription"].stringValue!
        #expect(await s.invoice(await s.subscription(subID)["latest_invoice"].stringValue!)["total"] == 1200)
        _ = await s.advance("1mo2h")
        // Phase two: 3 x 1200 = 3600 at the first renewal.
        #expect(await s.invoice(await s.subscription(subID)["latest_invoice"].stringValue!)["total"] == 3600)
        let events = await s.events(during: { _ = await s.advance("1mo") })
        #expect(events.contains("subscription_schedule.completed"))
        #expect(await s.subscription(subID)["status"] == "canceled")
        #expect(await s.get("/v1/subscription_schedules/\(schedule["id"].stringValue!)").json["status"] == "completed")
    }

    @Test func releasedScheduleLeavesTheSubscriptionAsItIs() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(900)
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][iterations]", "1"),
            ("phases[1][items][0][price]", price), ("phases[1][items][0][quantity]", "5"),
        ]).json
        let id = schedule["id"].stringValue!, subID = schedule["subscription"].stringValue!
        let released = await s.post("/v1/subscription_schedules/\(id)/release", []).json
        #expect(released["status"] == "released")
        #expect(released["released_subscription"].stringValue == subID)
        _ = await s.advance("1mo2h")
        // No second phase after the release: quantity 1 renews.
        #expect(await s.invoice(await s.subscription(subID)["latest_invoice"].stringValue!)["total"] == 900)
    }
}
