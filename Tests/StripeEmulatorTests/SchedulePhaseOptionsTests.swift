import Testing
import StripeWire
@testable import StripeEmulator

/// A schedule phase's trial, discounts and `add_invoice_items`, applied when the phase starts
/// and billed to the cent.
@Suite struct SchedulePhaseOptionsTests {
    func oneTimePrice(_ s: TestStripe, _ amount: Int, name: String) async -> String {
        let product = await s.post("/v1/products", [("name", name)])
        return await s.post("/v1/prices", [("product", product.id), ("currency", "usd"), ("unit_amount", String(amount))]).id
    }

    func latestInvoice(_ s: TestStripe, _ subID: String) async -> JSONValue {
        await s.invoice(await s.subscription(subID)["latest_invoice"].stringValue!)
    }

    @Test func aTrialPhaseThenAPaidPhase() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][iterations]", "1"), ("phases[0][trial]", "true"),
            ("phases[1][items][0][price]", price), ("phases[1][iterations]", "1"),
        ])
        #expect(schedule.status == 200, "\(schedule.response.bodyString)")
        let phase0 = schedule.json["phases"][0]
        #expect(phase0["trial_end"] == phase0["end_date"])
        #expect(schedule.json["phases"][1]["trial_end"] == .null)
        let subID = schedule.json["subscription"].stringValue!
        let sub = await s.subscription(subID)
        #expect(sub["status"] == "trialing")
        #expect(sub["trial_end"] == phase0["end_date"])
        #expect(await latestInvoice(s, subID)["total"] == 0)
        _ = await s.advance("1mo2h")
        #expect(await s.subscription(subID)["status"] == "active")
        let paid = await latestInvoice(s, subID)
        #expect(paid["total"] == 1000)
        #expect(paid["amount_paid"] == 1000)
    }

    @Test func aLaterPhaseTrialsFromItsStart() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][iterations]", "1"),
            ("phases[1][items][0][price]", price), ("phases[1][iterations]", "2"), ("phases[1][trial]", "true"),
        ]).json
        let subID = schedule["subscription"].stringValue!
        let phase1 = schedule["phases"][1]
        #expect(phase1["trial_end"] == phase1["end_date"])
        _ = await s.advance("1mo2h")
        let trialing = await s.subscription(subID)
        #expect(trialing["status"] == "trialing")
        #expect(trialing["trial_end"] == phase1["end_date"])
        #expect(trialing["items"]["data"][0]["current_period_start"] == phase1["start_date"])
    }

    @Test func addInvoiceItemsAreBilledOnThePhasesFirstInvoice() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let setup = await oneTimePrice(s, 2500, name: "Setup")
        let upgrade = await oneTimePrice(s, 500, name: "Migration")
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][iterations]", "1"),
            ("phases[0][add_invoice_items][0][price]", setup),
            ("phases[1][items][0][price]", price), ("phases[1][iterations]", "1"),
            ("phases[1][add_invoice_items][0][price]", upgrade), ("phases[1][add_invoice_items][0][quantity]", "2"),
        ])
        #expect(schedule.status == 200, "\(schedule.response.bodyString)")
        #expect(schedule.json["phases"][0]["add_invoice_items"][0]["price"] == .string(setup))
        #expect(schedule.json["phases"][1]["add_invoice_items"][0]["quantity"] == 2)
        let subID = schedule.json["subscription"].stringValue!
        // 1000 + 2500 on the first invoice.
        let first = await latestInvoice(s, subID)
        #expect(first["total"] == 3500)
        _ = await s.advance("1mo2h")
        // 1000 + 2 x 500 on the second phase's first invoice, then never again.
        #expect(await latestInvoice(s, subID)["total"] == 2000)
        let oneTime = await s.post("/v1/subscription_schedules", [("customer", customer), ("phases[0][items][0][price]", setup)])
        #expect(oneTime.json["error"]["param"] == "phases[0][items][0][price]")
        let recurringAdd = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][add_invoice_items][0][price]", price),
        ])
        #expect(recurringAdd.json["error"]["param"] == "phases[0][add_invoice_items][0][price]")
    }

    @Test func phaseDiscountsApplyOnlyDuringTheirPhase() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let coupon = await s.post("/v1/coupons", [("percent_off", "25"), ("duration", "forever")]).id
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("phases[0][iterations]", "1"),
            ("phases[0][discounts][0][coupon]", coupon),
            ("phases[1][items][0][price]", price), ("phases[1][iterations]", "1"),
        ])
        #expect(schedule.status == 200, "\(schedule.response.bodyString)")
        #expect(schedule.json["phases"][0]["discounts"] == [["coupon": .string(coupon), "discount": nil, "promotion_code": nil]])
        #expect(schedule.json["phases"][1]["discounts"] == [])
        let subID = schedule.json["subscription"].stringValue!
        // 25% off 1000.
        #expect(await latestInvoice(s, subID)["total"] == 750)
        let events = await s.events { _ = await s.advance("1mo2h") }
        #expect(events.contains("customer.discount.deleted"))
        #expect(await latestInvoice(s, subID)["total"] == 1000)
        #expect(await s.subscription(subID)["discounts"] == [])
    }
}

extension SchedulePhaseOptionsTests {
    /// `default_settings[description]` and `[invoice_settings][days_until_due]` reach the
    /// subscription; `billing_cycle_anchor=phase_start` is refused by name.
    @Test func defaultSettingsReachTheSubscription() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer()
        let schedule = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("default_settings[collection_method]", "send_invoice"),
            ("default_settings[description]", "Annual plan, invoiced"), ("default_settings[invoice_settings][days_until_due]", "14"),
            ("default_settings[billing_cycle_anchor]", "automatic"),
        ])
        #expect(schedule.status == 200, "\(schedule.response.bodyString)")
        #expect(schedule.json["default_settings"]["description"] == "Annual plan, invoiced")
        #expect(schedule.json["default_settings"]["invoice_settings"]["days_until_due"] == 14)
        let sub = await s.subscription(schedule.json["subscription"].stringValue!)
        #expect(sub["description"] == "Annual plan, invoiced")
        #expect(sub["collection_method"] == "send_invoice")
        #expect(sub["days_until_due"] == 14)
        let anchor = await s.post("/v1/subscription_schedules", [
            ("customer", customer), ("phases[0][items][0][price]", price), ("default_settings[billing_cycle_anchor]", "phase_start"),
        ])
        #expect(anchor.json["error"]["param"] == "default_settings[billing_cycle_anchor]")
    }
}
