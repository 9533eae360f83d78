import Testing
import StripeWire
@testable import StripeEmulator

/// Subscription lifecycles on a frozen clock, each with its exact event sequence.
@Suite struct SubscriptionFlowTests {
    @Test func trialThenActive() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        var sub = JSONValue.null
        let created = await s.events {
            sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "14")]).json
        }
        #expect(sub["status"] == "trialing")
        #expect(sub["trial_end"] == .int(TestStripe.start + 14 * 86400))
        #expect(sub["items"]["data"][0]["current_period_end"] == .int(TestStripe.start + 14 * 86400))
        #expect(created == ["customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"])
        let firstInvoice = await s.invoice(sub["latest_invoice"].stringValue!)
        #expect(firstInvoice["amount_due"] == 0)
        #expect(firstInvoice["status"] == "paid")
        #expect(firstInvoice["billing_reason"] == "subscription_create")
        #expect(firstInvoice["lines"]["data"][0]["description"] == "Trial period for Pro")
        #expect(firstInvoice["parent"]["subscription_details"]["subscription"] == sub["id"])

        #expect(await s.events { await s.advance("11d") } == ["customer.subscription.trial_will_end"])
        #expect(await s.events { await s.advance("3d") } == renewalDraft)
        let active = await s.subscription(sub["id"].stringValue!)
        #expect(active["status"] == "active")
        let draft = await s.invoice(active["latest_invoice"].stringValue!)
        #expect(draft["status"] == "draft")
        #expect(draft["billing_reason"] == "subscription_cycle")
        #expect(draft["amount_due"] == 2000)
        #expect(draft["automatically_finalizes_at"] == .int(TestStripe.start + 14 * 86400 + 3600))
        #expect(await s.events { await s.advance("1h") } == renewalPaid)
        let paid = await s.invoice(draft["id"].stringValue!)
        #expect(paid["status"] == "paid")
        #expect(paid["amount_paid"] == 2000)
        #expect(paid["number"].stringValue?.hasSuffix("-0002") == true)
        #expect(paid["payments"]["data"][0]["status"] == "paid")
    }

    @Test func trialEndsWithoutCardAndCancels() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: nil)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "3"),
                                                     ("trial_settings[end_behavior][missing_payment_method]", "cancel")])
        #expect(sub.json["status"] == "trialing")
        // Three days or less of trial: trial_will_end is immediate.
        #expect(await s.eventTypes().suffix(1) == ["customer.subscription.trial_will_end"])
        #expect(await s.events { await s.advance("3d") } == ["customer.subscription.deleted"])
        let ended = await s.subscription(sub.id)
        #expect(ended["status"] == "canceled")
        #expect(ended["ended_at"] == .int(TestStripe.start + 3 * 86400))
    }

    @Test func trialEndsWithoutCardAndPausesThenResumes() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: nil)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "7"),
                                                     ("trial_settings[end_behavior][missing_payment_method]", "pause")])
        #expect(await s.events { await s.advance("7d") } == ["customer.subscription.trial_will_end", "customer.subscription.updated", "customer.subscription.paused"])
        #expect(await s.subscription(sub.id)["status"] == "paused")
        #expect(await s.events { await s.advance("2mo") } == [])
        let pm = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", customer)])
        _ = await s.post("/v1/customers/\(customer)", [("invoice_settings[default_payment_method]", pm.id)])
        let resumed = await s.events {
            let r = await s.post("/v1/subscriptions/\(sub.id)/resume")
            #expect(r.json["status"] == "active")
        }
        #expect(resumed == ["customer.subscription.resumed"] + renewalDraft + renewalPaid)
    }

    @Test func trialEndsWithoutCardAndInvoices() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: nil)
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "7")])
        _ = await s.advance("4d")
        #expect(await s.events { await s.advance("3d") } == renewalDraft)
        #expect(await s.events { await s.advance("1h") } == ["invoice.finalized", "invoice.payment_failed", "invoice.updated", "customer.subscription.updated"])
        let pastDue = await s.subscription(sub.id)
        #expect(pastDue["status"] == "past_due")
        let invoice = await s.invoice(pastDue["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        #expect(invoice["attempt_count"] == 1)
        #expect(invoice["next_payment_attempt"] == .int(TestStripe.start + 7 * 86400 + 3600 + 3 * 86400))
    }

    @Test func twelveMonthlyRenewals() async throws {
        // Every event of the year is read back at its end: none may expire (see EventRetentionTests).
        let s = try TestStripe(eventRetentionDays: 0)
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        var sub = JSONValue.null
        #expect(await s.events {
            sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        } == paidAtCreation)
        #expect(sub["status"] == "active")
        let renewals = await s.events { await s.advance("1y1h") }
        #expect(renewals == Array(repeating: renewalDraft + renewalPaid, count: 12).flatMap { $0 })
        let invoices = await s.get("/v1/invoices", [("subscription", sub["id"].stringValue!), ("limit", "100")])
        let list = invoices.json["data"].arrayValue ?? []
        #expect(list.count == 13)
        #expect(list.allSatisfy { $0["status"] == "paid" && $0["amount_paid"] == 2000 })
        let periods = list.reversed().dropFirst().map { $0["lines"]["data"][0]["period"]["start"].intValue! }
        let expected = (1...12).map { UTCCalendar.addMonths(TestStripe.start, $0) }
        #expect(periods == expected)
        let now = await s.subscription(sub["id"].stringValue!)
        #expect(now["items"]["data"][0]["current_period_end"] == .int(UTCCalendar.addMonths(TestStripe.start, 13)))
    }

    @Test func cancelNowAndAtPeriodEnd() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let a = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let now = await s.events {
            let r = await s.delete("/v1/subscriptions/\(a.id)")
            #expect(r.json["status"] == "canceled")
            #expect(r.json["cancellation_details"]["reason"] == "cancellation_requested")
        }
        #expect(now == ["customer.subscription.deleted"])
        let again = await s.delete("/v1/subscriptions/\(a.id)")
        #expect(again.status == 404)

        let b = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let scheduled = await s.events {
            let r = await s.post("/v1/subscriptions/\(b.id)", [("cancel_at_period_end", "true")])
            #expect(r.json["cancel_at_period_end"] == true)
            #expect(r.json["cancel_at"] == r.json["items"]["data"][0]["current_period_end"])
            #expect(r.json["status"] == "active")
        }
        #expect(scheduled == ["customer.subscription.updated"])
        let updated = await s.eventObjects().last!
        #expect(updated["data"]["previous_attributes"]["cancel_at_period_end"] == false)
        #expect(await s.events { await s.advance("1mo") } == ["customer.subscription.deleted"])
        #expect(await s.subscription(b.id)["status"] == "canceled")
        let listed = await s.get("/v1/subscriptions", [("customer", customer)])
        #expect(listed.json["data"] == [])
        let all = await s.get("/v1/subscriptions", [("customer", customer), ("status", "all")])
        #expect(all.json["data"].arrayValue?.count == 2)
    }

    @Test func undoCancelAtPeriodEnd() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("cancel_at_period_end", "true")])
        _ = await s.post("/v1/subscriptions/\(sub.id)", [("cancel_at_period_end", "false")])
        #expect(await s.events { await s.advance("1mo1h") } == renewalDraft + renewalPaid)
    }

    @Test func incompleteExpires() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: "pm_card_chargeCustomerFail")
        var sub = JSONValue.null
        let created = await s.events {
            let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
            #expect(r.status == 200)
            sub = r.json
        }
        #expect(sub["status"] == "incomplete")
        #expect(created == ["customer.subscription.created", "invoice.created", "invoice.finalized", "payment_intent.created",
                            "charge.failed", "payment_intent.payment_failed", "invoice.payment_failed", "invoice.updated"])
        #expect(await s.events { await s.advance("22h") } == [])
        #expect(await s.events { await s.advance("1h") } == ["payment_intent.canceled", "invoice.voided", "invoice.updated", "customer.subscription.updated"])
        #expect(await s.subscription(sub["id"].stringValue!)["status"] == "incomplete_expired")
        #expect(await s.invoice(sub["latest_invoice"].stringValue!)["status"] == "void")
    }

    @Test func incompletePaidLaterBecomesActive() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: "pm_card_chargeCustomerFail")
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let pm = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", customer)])
        let paid = await s.post("/v1/invoices/\(sub.json["latest_invoice"].stringValue!)/pay", [("payment_method", pm.id)])
        #expect(paid.json["status"] == "paid")
        #expect(await s.subscription(sub.id)["status"] == "active")
        #expect(await s.events { await s.advance("1d") } == [])
    }

    @Test func errorIfIncompleteLeavesNothing() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: "pm_card_chargeCustomerFail")
        let before = await s.eventTypes().count
        let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("payment_behavior", "error_if_incomplete")])
        #expect(r.status == 402)
        #expect(r.error["type"] == "card_error")
        #expect(r.error["decline_code"] == "generic_decline")
        #expect(await s.get("/v1/subscriptions", [("status", "all")]).json["data"] == [])
        #expect(await s.eventTypes().count == before)
    }

    @Test func defaultIncompleteWaitsForConfirmation() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: nil)
        let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("payment_behavior", "default_incomplete"),
                                                   ("expand[]", "latest_invoice")])
        #expect(r.json["status"] == "incomplete")
        #expect(r.json["latest_invoice"]["status"] == "open")
        let piID = try #require(r.json["latest_invoice"]["payments"]["data"][0]["payment"]["payment_intent"].stringValue)
        let confirmed = await s.post("/v1/payment_intents/\(piID)/confirm", [("payment_method", "pm_card_visa")])
        #expect(confirmed.json["status"] == "succeeded")
    }

    @Test func noPaymentMethodIsAClearError() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: nil)
        let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(r.status == 400)
        #expect(r.error["message"].stringValue?.contains("no attached payment source or default payment method") == true)
    }

    @Test func threeDSecureCardRequiresAction() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer(card: "pm_card_authenticationRequired")
        var sub = JSONValue.null
        let created = await s.events {
            sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)]).json
        }
        #expect(sub["status"] == "incomplete")
        #expect(created == ["customer.subscription.created", "invoice.created", "invoice.finalized", "payment_intent.created",
                            "payment_intent.requires_action", "invoice.payment_action_required", "invoice.updated"])
        let invoice = await s.invoice(sub["latest_invoice"].stringValue!)
        let piID = invoice["payments"]["data"][0]["payment"]["payment_intent"].stringValue!
        let pi = await s.get("/v1/payment_intents/\(piID)")
        #expect(pi.json["status"] == "requires_action")
        #expect(pi.json["next_action"]["type"] == "use_stripe_sdk")
        let done = await s.events {
            let r = await s.post("/_emulator/payment_intents/\(piID)/authenticate", [("outcome", "complete")])
            #expect(r.json["status"] == "succeeded")
        }
        #expect(done == ["charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded",
                         "invoice_payment.paid", "invoice.updated", "customer.subscription.updated"])
        #expect(await s.subscription(sub["id"].stringValue!)["status"] == "active")
    }

    @Test func endTrialNow() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("trial_period_days", "30")])
        let ended = await s.events {
            let r = await s.post("/v1/subscriptions/\(sub.id)", [("trial_end", "now")])
            #expect(r.json["status"] == "active")
            #expect(r.json["trial_end"] == .int(TestStripe.start))
        }
        #expect(ended == ["customer.subscription.trial_will_end"] + renewalDraft + renewalPaid)
    }
}
