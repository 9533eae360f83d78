import Testing
import StripeWire
@testable import StripeEmulator

/// A failed renewal through every retry to each configured end state, and recovery.
@Suite struct DunningTests {
    /// An active subscription whose card starts failing before the first renewal.
    func failingSubscription(_ s: TestStripe) async -> (sub: String, customer: String) {
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        let bad = await s.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", [("customer", customer)])
        _ = await s.post("/v1/customers/\(customer)", [("invoice_settings[default_payment_method]", bad.id)])
        return (sub.id, customer)
    }

    func runToEnd(_ s: TestStripe, sub: String) async -> (first: [String], retries: [[String]]) {
        _ = await s.advance("1mo")
        let first = await s.events { await s.advance("1h") }
        var retries: [[String]] = []
        for days in ["3d", "5d", "6d"] { retries.append(await s.events { await s.advance(days) }) }
        return (first, retries)
    }

    @Test func retriesThenCancels() async throws {
        let s = try TestStripe()
        let (sub, _) = await failingSubscription(s)
        let (first, retries) = await runToEnd(s, sub: sub)
        #expect(first == renewalFailed)
        #expect(retries[0] == retryFailed)
        #expect(retries[1] == retryFailed)
        #expect(retries[2] == retryFailed + ["customer.subscription.deleted"])
        let ended = await s.subscription(sub)
        #expect(ended["status"] == "canceled")
        #expect(ended["cancellation_details"]["reason"] == "payment_failed")
        let invoice = await s.invoice(ended["latest_invoice"].stringValue!)
        #expect(invoice["status"] == "open")
        #expect(invoice["attempt_count"] == 4)
        #expect(invoice["next_payment_attempt"] == .null)
        #expect(await s.events { await s.advance("1mo") } == [])
    }

    @Test func retryTimesFollowTheSchedule() async throws {
        let s = try TestStripe()
        let (sub, _) = await failingSubscription(s)
        _ = await s.advance("1mo1h")
        let failedAt = UTCCalendar.addMonths(TestStripe.start, 1) + 3600
        let invoice = await s.invoice(await s.subscription(sub)["latest_invoice"].stringValue!)
        #expect(invoice["attempt_count"] == 1)
        #expect(invoice["next_payment_attempt"] == .int(failedAt + 3 * 86400))
        #expect(await s.events { await s.advance("2d23h") } == [])
        #expect(await s.events { await s.advance("1h") } == retryFailed)
        let second = await s.invoice(invoice["id"].stringValue!)
        #expect(second["attempt_count"] == 2)
        #expect(second["next_payment_attempt"] == .int(failedAt + 8 * 86400))
    }

    @Test func retriesThenUnpaidAndUncollectible() async throws {
        let s = try TestStripe()
        _ = await s.post("/_emulator/settings", [("dunning[subscription_end]", "unpaid"), ("dunning[invoice_end]", "uncollectible")])
        let (sub, _) = await failingSubscription(s)
        let (_, retries) = await runToEnd(s, sub: sub)
        #expect(retries[2] == retryFailed + ["customer.subscription.updated", "invoice.marked_uncollectible", "invoice.updated"])
        #expect(await s.subscription(sub)["status"] == "unpaid")
        // Unpaid subscriptions keep invoicing but do not attempt payment.
        let next = await s.events { await s.advance("1mo") }
        #expect(next == renewalDraft + ["invoice.finalized"])
    }

    @Test func retriesThenStaysPastDue() async throws {
        let s = try TestStripe()
        _ = await s.post("/_emulator/settings", [("dunning[subscription_end]", "past_due"), ("dunning[retry_days][]", "2"), ("dunning[retry_days][]", "2")])
        let (sub, _) = await failingSubscription(s)
        _ = await s.advance("1mo1h")
        #expect(await s.events { await s.advance("2d") } == retryFailed)
        #expect(await s.events { await s.advance("2d") } == retryFailed)
        #expect(await s.events { await s.advance("10d") } == [])
        #expect(await s.subscription(sub)["status"] == "past_due")
    }

    @Test func payingRecovers() async throws {
        let s = try TestStripe()
        let (sub, customer) = await failingSubscription(s)
        _ = await s.advance("1mo1h")
        let good = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", customer)])
        _ = await s.post("/v1/customers/\(customer)", [("invoice_settings[default_payment_method]", good.id)])
        let invoiceID = await s.subscription(sub)["latest_invoice"].stringValue!
        let recovered = await s.events {
            let r = await s.post("/v1/invoices/\(invoiceID)/pay")
            #expect(r.json["status"] == "paid")
        }
        #expect(recovered == ["charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded",
                              "invoice_payment.paid", "invoice.updated", "customer.subscription.updated"])
        #expect(await s.subscription(sub)["status"] == "active")
        // The pending retries are gone.
        #expect(await s.events { await s.advance("14d") } == [])
    }

    @Test func automaticRetrySucceedsAfterCardChange() async throws {
        let s = try TestStripe()
        let (sub, customer) = await failingSubscription(s)
        _ = await s.advance("1mo1h")
        let good = await s.post("/v1/payment_methods/pm_card_visa/attach", [("customer", customer)])
        _ = await s.post("/v1/customers/\(customer)", [("invoice_settings[default_payment_method]", good.id)])
        let retried = await s.events { await s.advance("3d") }
        #expect(retried == ["charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded",
                            "invoice_payment.paid", "invoice.updated", "customer.subscription.updated"])
        #expect(await s.subscription(sub)["status"] == "active")
    }

    @Test func failedPayAnswers402AndKeepsTheAttempt() async throws {
        let s = try TestStripe()
        let (sub, _) = await failingSubscription(s)
        _ = await s.advance("1mo1h")
        let invoiceID = await s.subscription(sub)["latest_invoice"].stringValue!
        let r = await s.post("/v1/invoices/\(invoiceID)/pay")
        #expect(r.status == 402)
        #expect(r.error["decline_code"] == "generic_decline")
        #expect(await s.invoice(invoiceID)["attempt_count"] == 2)
    }

    @Test func hardDeclinesAreNotRetried() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        _ = await s.post("/_emulator/faults/charges", [("customer", customer), ("from_attempt", "2"), ("decline_code", "lost_card")])
        let first = await s.events { await s.advance("1mo1h") }
        #expect(first == renewalDraft + renewalFailed)
        let invoice = await s.invoice(await s.subscription(sub.id)["latest_invoice"].stringValue!)
        #expect(invoice["next_payment_attempt"] == .null)
        #expect(await s.events { await s.advance("13d") } == [])
        #expect(await s.events { await s.advance("1d") } == ["customer.subscription.deleted"])
    }

    @Test func injectedFailuresStartAtTheGivenAttempt() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        _ = await s.post("/_emulator/faults/charges", [("customer", customer), ("from_attempt", "3"), ("decline_code", "insufficient_funds")])
        #expect(await s.events { await s.advance("1mo1h") } == renewalDraft + renewalPaid)
        #expect(await s.events { await s.advance("1mo1h") } == renewalDraft + renewalFailed)
        let invoice = await s.invoice(await s.subscription(sub.id)["latest_invoice"].stringValue!)
        let piID = invoice["payments"]["data"][0]["payment"]["payment_intent"].stringValue!
        #expect(await s.get("/v1/payment_intents/\(piID)").json["last_payment_error"]["decline_code"] == "insufficient_funds")
    }
}
