import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// The arithmetic of discounts and tax rates (against figures worked out by hand), then the
/// API: coupons on customers and subscriptions, expiry on the clock, tax on invoices.
@Suite struct DiscountAndTaxTests {
    // MARK: Allocation

    @Test func percentageIsRoundedPerLine() {
        // 15% of 333 = 49.95 -> 50; of 667 = 100.05 -> 100.
        let taken = DiscountAllocation.allocate(amounts: [333, 667], discounts: [.init(id: "d", reduction: .percent(15), eligible: [0, 1])])
        #expect(taken.map { $0.map(\.amount) } == [[50], [100]])
    }

    @Test func amountOffIsSpreadByLargestRemainder() {
        // 100 over 1/3 each: 33.33 each, the remainder cent goes to the first line.
        let taken = DiscountAllocation.allocate(amounts: [1000, 1000, 1000], discounts: [.init(id: "d", reduction: .amountOff(100), eligible: [0, 1, 2])])
        #expect(taken.map { $0.map(\.amount) } == [[34], [33], [33]])
    }

    @Test func amountOffNeverExceedsWhatIsLeftAndSkipsCredits() {
        // $50 off a $20 line and a -$5 credit: only the $20 line, and only $20 of it.
        let taken = DiscountAllocation.allocate(amounts: [2000, -500], discounts: [.init(id: "d", reduction: .amountOff(5000), eligible: [0, 1])])
        #expect(taken.map { $0.map(\.amount) } == [[2000], []])
    }

    @Test func discountsStackOnWhatTheEarlierOnesLeft() {
        // 50% of 1000 = 500, then $1.00 off the remaining 500 = 100: 400 left.
        let taken = DiscountAllocation.allocate(amounts: [1000], discounts: [
            .init(id: "a", reduction: .percent(50), eligible: [0]), .init(id: "b", reduction: .amountOff(100), eligible: [0]),
        ])
        #expect(taken[0].map(\.discount) == ["a", "b"])
        #expect(taken[0].map(\.amount) == [500, 100])
    }

    @Test func percentageReducesCreditsToo() {
        // Unused time credited at the discounted price: 20% of -1000 = -200.
        let taken = DiscountAllocation.allocate(amounts: [-1000], discounts: [.init(id: "d", reduction: .percent(20), eligible: [0])])
        #expect(taken[0].map(\.amount) == [-200])
    }

    // MARK: Tax

    @Test func exclusiveTaxIsAddedPerRate() {
        // 8.25% of 1999 = 164.9175 -> 165; 1% of 1999 = 19.99 -> 20.
        let t = TaxMath.taxes(net: 1999, rates: [.init(id: "a", percentage: 8.25, inclusive: false), .init(id: "b", percentage: 1, inclusive: false)])
        #expect(t.map(\.amount) == [165, 20])
        #expect(t.map(\.taxableAmount) == [1999, 1999])
    }

    @Test func inclusiveTaxIsTakenOutOfTheAmount() {
        // 20% inside 1000: 1000 - round(1000 / 1.2) = 1000 - 833 = 167; taxable 833.
        let t = TaxMath.taxes(net: 1000, rates: [.init(id: "vat", percentage: 20, inclusive: true)])
        #expect(t == [.init(rate: "vat", inclusive: true, amount: 167, taxableAmount: 833)])
    }

    @Test func twoInclusiveRatesShareTheTaxExactly() {
        // 10% + 5% inside 1150: 1150 - 1150/1.15 = 150, split 2:1 -> 100 and 50.
        let t = TaxMath.taxes(net: 1150, rates: [.init(id: "a", percentage: 10, inclusive: true), .init(id: "b", percentage: 5, inclusive: true)])
        #expect(t.map(\.amount) == [100, 50])
        #expect(t.allSatisfy { $0.taxableAmount == 1000 })
    }

    @Test func exemptCustomersPayNothing() {
        let t = TaxMath.taxes(net: 1000, rates: [.init(id: "a", percentage: 10, inclusive: false)], exempt: true)
        #expect(t.map(\.amount) == [0])
    }

    // MARK: Through the API

    @Test func repeatingCouponEndsOnTheClock() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        let coupon = await s.post("/v1/coupons", [("percent_off", "50"), ("duration", "repeating"), ("duration_in_months", "2")]).json
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price),
                                                     ("discounts[0][coupon]", coupon["id"].stringValue!)]).json
        let first = await s.invoice(sub["latest_invoice"].stringValue!)
        #expect(first["total"] == 1000)  // 50% of 2000
        var totals: [Int] = []
        for _ in 0..<2 {
            _ = await s.advance("32d")
            let current = await s.subscription(sub["id"].stringValue!)
            totals.append(await s.invoice(current["latest_invoice"].stringValue!)["total"].intValue ?? -1)
        }
        // Month two still discounted; month three starts after the two months: in full.
        #expect(totals == [1000, 2000])
        #expect(await s.eventTypes().contains("customer.discount.deleted"))
        #expect(await s.subscription(sub["id"].stringValue!)["discounts"] == [])
    }

    /// An object named in a parameter (not the path) that does not exist is a 400, as on Stripe.
    @Test func unknownCouponIsA400NamingTheParameter() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        let price = await s.monthlyPrice(1000)
        let r = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price), ("discounts[0][coupon]", "NOPE")])
        #expect(r.status == 400)
        #expect(r.json["error"]["param"] == "discounts[0][coupon]")
        #expect(r.json["error"]["code"] == "resource_missing")
        // Nothing was created: no subscription, no discount.
        #expect(await s.get("/v1/subscriptions", [("customer", customer)]).json["data"] == [])
    }

    @Test func discountEntryTakesOneKind() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        let coupon = await s.post("/v1/coupons", [("percent_off", "5")]).json["id"].stringValue!
        let r = await s.post("/v1/invoices", [("customer", customer), ("discounts[0][coupon]", coupon), ("discounts[0][discount]", "di_x")])
        #expect(r.status == 400)
        #expect(r.json["error"]["param"] == "discounts[0]")
    }

    @Test func inclusiveTaxWithADiscount() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        let rate = await s.post("/v1/tax_rates", [("display_name", "VAT"), ("percentage", "20"), ("inclusive", "true")]).json["id"].stringValue!
        let coupon = await s.post("/v1/coupons", [("percent_off", "10"), ("duration", "forever")]).json["id"].stringValue!
        let invoice = await s.post("/v1/invoices", [("customer", customer), ("discounts[0][coupon]", coupon)]).json["id"].stringValue!
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("invoice", invoice), ("amount", "1200"), ("currency", "usd"),
                                              ("tax_rates[0]", rate)])
        let inv = await s.invoice(invoice)
        // 1200 - 10% = 1080 with 20% inside: tax 1080 - 1080/1.2 = 180, taxable 900.
        #expect(inv["subtotal"] == 1200)
        #expect(inv["total"] == 1080)
        #expect(inv["total_taxes"][0]["amount"] == 180)
        #expect(inv["total_taxes"][0]["taxable_amount"] == 900)
        #expect(inv["subtotal_excluding_tax"] == 1020)  // 1200 - 180
        #expect(inv["total_excluding_tax"] == 900)
    }
}
