import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct TestClockTests {
    @Test func customersOnAClockFollowIt() async throws {
        let s = try TestStripe()
        let clockStart = 1_900_000_000
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(clockStart)), ("name", "renewals")])
        #expect(clock.id.hasPrefix("clock_"))
        #expect(clock.json["status"] == "ready")
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(extra: [("test_clock", clock.id)])
        let c = await s.get("/v1/customers/\(customer)")
        #expect(c.json["test_clock"] == .string(clock.id))
        #expect(c.json["created"] == .int(clockStart))
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.json["test_clock"] == .string(clock.id))
        #expect(sub.json["start_date"] == .int(clockStart))
        // The account clock moving does not move the test clock's subscriptions.
        #expect(await s.events { await s.advance("3mo") } == [])
        let target = UTCCalendar.addMonths(clockStart, 2) + 3600
        var advanced = JSONValue.null
        let events = await s.events {
            advanced = await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance", [("frozen_time", String(target))]).json
        }
        #expect(advanced["status"] == "ready")
        #expect(advanced["frozen_time"] == .int(target))
        #expect(events == ["test_helpers.test_clock.advancing"] + renewalDraft + renewalPaid + renewalDraft + renewalPaid
                + ["test_helpers.test_clock.ready"])
        let objects = await s.eventObjects()
        let renewal = objects.first { $0["type"] == "invoice.created" && $0["data"]["object"]["billing_reason"] == "subscription_cycle" }!
        #expect(renewal["created"] == .int(UTCCalendar.addMonths(clockStart, 1)))
        #expect(renewal["request"]["id"] == .null)
        let back = await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance", [("frozen_time", String(clockStart))])
        #expect(back.status == 400)
        #expect(back.error["param"] == "frozen_time")
    }

    @Test func deleteRemovesTheClockAndItsCustomers() async throws {
        let s = try TestStripe()
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", "1900000000")])
        let customer = await s.customer(extra: [("test_clock", clock.id)])
        let d = await s.delete("/v1/test_helpers/test_clocks/\(clock.id)")
        #expect(d.json["deleted"] == true)
        #expect(await s.get("/v1/customers/\(customer)").json["deleted"] == true)
        #expect(await s.get("/v1/test_helpers/test_clocks/\(clock.id)").status == 404)
        let unknown = await s.post("/v1/customers", [("test_clock", "clock_nope")])
        #expect(unknown.status == 400)  // named by a parameter, not the path
        #expect(unknown.error["param"] == "test_clock")
    }

    @Test func strictClocksEnforceStripesCaps() async throws {
        let s = try TestStripe(strictClocks: true)
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", "1900000000")])
        let price = await s.monthlyPrice(2000)
        var customers: [String] = []
        for _ in 0..<3 { customers.append(await s.customer(extra: [("test_clock", clock.id)])) }
        let fourth = await s.post("/v1/customers", [("test_clock", clock.id)])
        #expect(fourth.status == 400)
        _ = await s.post("/v1/subscriptions", [("customer", customers[0]), ("items[0][price]", price)])
        let tooFar = await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance", [("frozen_time", String(1_900_000_000 + 90 * 86400))])
        #expect(tooFar.status == 400)
        let ok = await s.post("/v1/test_helpers/test_clocks/\(clock.id)/advance", [("frozen_time", String(1_900_000_000 + 60 * 86400))])
        #expect(ok.status == 200)
    }

    @Test func accountClockControl() async throws {
        let s = try TestStripe()
        let t = await s.get("/_emulator/time")
        #expect(t.json["now"] == .int(TestStripe.start))
        let moved = await s.post("/_emulator/time/advance", [("by", "2h30m")])
        #expect(moved.json["now"] == .int(TestStripe.start + 9000))
        let bad = await s.post("/_emulator/time/advance", [("by", "3 days")])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "by")
        let set = await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 86400))])
        #expect(set.json["now"] == .int(TestStripe.start + 86400))
        let backwards = await s.post("/_emulator/time/set", [("to", String(TestStripe.start))])
        #expect(backwards.status == 400)
        let c = await s.post("/v1/customers")
        #expect(c.json["created"] == .int(TestStripe.start + 86400))
    }
}

@Suite struct PaymentIntentTests {
    @Test func succeedsAndFails() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        var ok = JSONValue.null
        let events = await s.events {
            ok = await s.post("/v1/payment_intents", [("amount", "1500"), ("currency", "usd"), ("customer", customer),
                                                      ("payment_method", "pm_card_visa"), ("confirm", "true")]).json
        }
        #expect(ok["status"] == "succeeded")
        #expect(ok["amount_received"] == 1500)
        #expect(events == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"])
        let charge = await s.get("/v1/charges/\(ok["latest_charge"].stringValue!)")
        #expect(charge.json["paid"] == true)
        #expect(charge.json["payment_method_details"]["card"]["last4"] == "4242")

        let declined = await s.post("/v1/payment_intents", [("amount", "1500"), ("currency", "usd"),
                                                            ("payment_method", "pm_card_visa_chargeDeclinedInsufficientFunds"), ("confirm", "true")])
        #expect(declined.status == 402)
        #expect(declined.error["decline_code"] == "insufficient_funds")
        let piID = try #require(declined.error["payment_intent"]["id"].stringValue)
        let pi = await s.get("/v1/payment_intents/\(piID)")
        #expect(pi.json["status"] == "requires_payment_method")
        #expect(pi.json["last_payment_error"]["code"] == "card_declined")
        let failedCharge = await s.get("/v1/charges", [("payment_intent", piID)])
        #expect(failedCharge.json["data"][0]["status"] == "failed")
        let retry = await s.post("/v1/payment_intents/\(piID)/confirm", [("payment_method", "pm_card_visa")])
        #expect(retry.json["status"] == "succeeded")
    }

    @Test func authenticationAndOffSession() async throws {
        let s = try TestStripe()
        let onSession = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"),
                                                             ("payment_method", "pm_card_authenticationRequired"), ("confirm", "true")])
        #expect(onSession.json["status"] == "requires_action")
        let offSession = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("off_session", "true"),
                                                              ("payment_method", "pm_card_authenticationRequired"), ("confirm", "true")])
        #expect(offSession.status == 402)
        #expect(offSession.error["code"] == "authentication_required")
        let failed = await s.post("/_emulator/payment_intents/\(onSession.id)/authenticate", [("outcome", "fail")])
        #expect(failed.json["status"] == "requires_payment_method")
        #expect(failed.json["last_payment_error"]["code"] == "payment_intent_authentication_failure")
    }

    @Test func cancelAndValidation() async throws {
        let s = try TestStripe()
        let pi = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd")])
        #expect(pi.json["status"] == "requires_payment_method")
        let canceled = await s.post("/v1/payment_intents/\(pi.id)/cancel", [("cancellation_reason", "abandoned")])
        #expect(canceled.json["status"] == "canceled")
        let again = await s.post("/v1/payment_intents/\(pi.id)/confirm", [("payment_method", "pm_card_visa")])
        #expect(again.status == 400)
        let small = await s.post("/v1/payment_intents", [("amount", "10"), ("currency", "usd")])
        #expect(small.error["code"] == "amount_too_small")
        let manual = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("capture_method", "manual")])
        #expect(manual.json["capture_method"] == "manual")
        let bogus = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("capture_method", "later")])
        #expect(bogus.status == 400)
        #expect(bogus.error["param"] == "capture_method")
    }
}

@Suite struct EventTests {
    @Test func filtersAndRequestInfo() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("email", "e@x.test")], idempotencyKey: "ik-1")
        _ = await s.post("/v1/customers/\(c.id)", [("name", "Eve")])
        let created = await s.get("/v1/events", [("type", "customer.created")])
        let event = created.json["data"][0]
        #expect(event["id"].stringValue?.hasPrefix("evt_") == true)
        #expect(event["api_version"] == .string(StripeAPIVersion.current))
        #expect(event["data"]["object"]["id"] == .string(c.id))
        #expect(event["request"]["idempotency_key"] == "ik-1")
        #expect(event["request"]["id"] == .string(c.response.header("Request-Id")!))
        let updated = await s.get("/v1/events", [("type", "customer.updated")])
        #expect(updated.json["data"][0]["data"]["previous_attributes"] == ["name": nil])
        let wildcard = await s.get("/v1/events", [("type", "customer.*")])
        #expect(wildcard.json["data"].arrayValue?.count == 2)
        let types = await s.get("/v1/events", [("types[]", "customer.updated"), ("types[]", "customer.deleted")])
        #expect(types.json["data"].arrayValue?.count == 1)
        let one = await s.get("/v1/events/\(event["id"].stringValue!)")
        #expect(one.json["type"] == "customer.created")
    }
}
