import Testing
import StripeWire
@testable import StripeEmulator

/// Quotes: totals by hand, acceptance into a subscription, states that refuse a transition.
@Suite struct QuoteTests {
    @Test func amountOffQuoteAcceptedIntoASubscription() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2500)
        let customer = await s.customer()
        let coupon = await s.post("/v1/coupons", [("amount_off", "1000"), ("currency", "usd"), ("duration", "once")]).json["id"].stringValue!
        let quote = await s.post("/v1/quotes", [("customer", customer), ("line_items[0][price]", price), ("line_items[0][quantity]", "4"),
                                                ("discounts[0][coupon]", coupon)]).json
        // 4 x 2500 = 10000, $10.00 off: 9000.
        #expect(quote["amount_total"] == 9000)
        #expect(quote["total_details"]["amount_discount"] == 1000)
        let id = quote["id"].stringValue!
        #expect(await s.post("/v1/quotes/\(id)/accept", []).status == 400)  // a draft cannot be accepted
        _ = await s.post("/v1/quotes/\(id)/finalize", [])
        let accepted = await s.post("/v1/quotes/\(id)/accept", []).json
        #expect(accepted["status"] == "accepted")
        let sub = await s.subscription(accepted["subscription"].stringValue!)
        #expect(await s.invoice(sub["latest_invoice"].stringValue!)["amount_paid"] == 9000)
        #expect(await s.post("/v1/quotes/\(id)/cancel", []).status == 400)
    }
}
