import Testing
import StripeWire
@testable import StripeEmulator

/// Upgrades and downgrades with each proration behaviour, amounts checked to the cent.
@Suite struct ProrationTests {
    struct Setup {
        let s: TestStripe
        let small: String  // $10/month
        let big: String    // $20/month
        let sub: JSONValue
        var item: String { sub["items"]["data"][0]["id"].stringValue! }
        var id: String { sub["id"].stringValue! }
        /// Exactly half of the first period (2027-01-15 08:00 to 2027-02-15 08:00, 31 days).
        var midPeriod: Int { TestStripe.start + 31 * 86400 / 2 }
    }

    func setup(startOn big: Bool = false) async throws -> Setup {
        let s = try TestStripe()
        let small = await s.monthlyPrice(1000, name: "Starter")
        let bigPrice = await s.monthlyPrice(2000, name: "Pro")
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", big ? bigPrice : small)]).json
        return Setup(s: s, small: small, big: bigPrice, sub: sub)
    }

    func change(_ x: Setup, to price: String, behavior: String) async -> (TestStripe.Reply, [String]) {
        var reply: TestStripe.Reply? = nil
        let events = await x.s.events {
            reply = await x.s.post("/v1/subscriptions/\(x.id)", [("items[0][id]", x.item), ("items[0][price]", price),
                                                                 ("proration_behavior", behavior), ("proration_date", String(x.midPeriod))])
        }
        return (reply!, events)
    }

    func pendingItems(_ x: Setup) async -> [JSONValue] {
        await x.s.get("/v1/invoiceitems", [("pending", "true")]).json["data"].arrayValue ?? []
    }

    @Test func upgradeCreatesProrations() async throws {
        let x = try await setup()
        let (r, events) = await change(x, to: x.big, behavior: "create_prorations")
        #expect(r.status == 200)
        #expect(r.json["items"]["data"][0]["price"]["id"] == .string(x.big))
        #expect(events == ["customer.subscription.updated", "invoiceitem.created", "invoiceitem.created"])
        let items = await pendingItems(x)
        #expect(Set(items.compactMap { $0["amount"].intValue }) == [-500, 1000])
        let credit = items.first { $0["amount"] == -500 }!
        #expect(credit["description"] == "Unused time on 1 × Starter after 30 Jan 2027")
        #expect(credit["proration"] == true)
        #expect(credit["period"]["start"] == .int(x.midPeriod))
        let debit = items.first { $0["amount"] == 1000 }!
        #expect(debit["description"] == "Remaining time on 1 × Pro after 30 Jan 2027")
        let updated = await x.s.eventObjects().first { $0["type"] == "customer.subscription.updated" }!
        #expect(updated["data"]["previous_attributes"]["items"]["data"][0]["price"]["id"] == .string(x.small))
        // The prorations are billed with the next renewal: $20 + $10 - $5.
        _ = await x.s.advance("1mo1h")
        let renewal = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(renewal["amount_paid"] == 2500)
        #expect(renewal["lines"]["data"].arrayValue?.count == 3)
        #expect(await pendingItems(x).isEmpty)
    }

    @Test func upgradeAlwaysInvoice() async throws {
        let x = try await setup()
        let (_, events) = await change(x, to: x.big, behavior: "always_invoice")
        #expect(events == ["customer.subscription.updated", "invoiceitem.created", "invoiceitem.created", "invoice.created",
                           "invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                           "invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid", "invoice.updated"])
        let invoice = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(invoice["billing_reason"] == "subscription_update")
        #expect(invoice["amount_paid"] == 500)
        _ = await x.s.advance("1mo1h")
        let renewal = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(renewal["amount_paid"] == 2000)
    }

    @Test func upgradeWithoutProration() async throws {
        let x = try await setup()
        let (_, events) = await change(x, to: x.big, behavior: "none")
        #expect(events == ["customer.subscription.updated"])
        #expect(await pendingItems(x).isEmpty)
        _ = await x.s.advance("1mo1h")
        let renewal = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(renewal["amount_paid"] == 2000)
    }

    @Test func downgradeCreatesACreditOnTheNextInvoice() async throws {
        let x = try await setup(startOn: true)
        _ = await change(x, to: x.small, behavior: "create_prorations")
        #expect(Set(await pendingItems(x).compactMap { $0["amount"].intValue }) == [-1000, 500])
        _ = await x.s.advance("1mo1h")
        let renewal = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(renewal["total"] == 500)
        #expect(renewal["amount_paid"] == 500)
    }

    @Test func downgradeAlwaysInvoiceLeavesCustomerCredit() async throws {
        let x = try await setup(startOn: true)
        let (_, events) = await change(x, to: x.small, behavior: "always_invoice")
        // The credit lands in the customer's balance: `customer.updated` as the invoice is finalized.
        #expect(events == ["customer.subscription.updated", "invoiceitem.created", "invoiceitem.created", "invoice.created",
                           "customer.updated", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"])
        let invoice = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(invoice["total"] == -500)
        #expect(invoice["amount_due"] == 0)
        #expect(invoice["ending_balance"] == -500)
        let customer = await x.s.get("/v1/customers/\(x.sub["customer"].stringValue!)")
        #expect(customer.json["balance"] == -500)
        _ = await x.s.advance("1mo1h")
        let renewal = await x.s.invoice(await x.s.subscription(x.id)["latest_invoice"].stringValue!)
        #expect(renewal["starting_balance"] == -500)
        #expect(renewal["amount_paid"] == 500)
    }

    @Test func quantityChangeProrates() async throws {
        let x = try await setup()
        let r = await x.s.post("/v1/subscriptions/\(x.id)", [("items[0][id]", x.item), ("items[0][quantity]", "3"),
                                                             ("proration_date", String(x.midPeriod))])
        #expect(r.json["items"]["data"][0]["quantity"] == 3)
        #expect(Set(await pendingItems(x).compactMap { $0["amount"].intValue }) == [-500, 1500])
    }

    @Test func previewShowsTheProrationWithoutChangingAnything() async throws {
        let x = try await setup()
        let before = await x.s.eventTypes()
        let preview = await x.s.post("/v1/invoices/create_preview", [
            ("subscription", x.id), ("subscription_details[items][0][id]", x.item),
            ("subscription_details[items][0][price]", x.big), ("subscription_details[proration_date]", String(x.midPeriod)),
        ])
        #expect(preview.status == 200)
        #expect(preview.json["object"] == "invoice")
        #expect(preview.json["amount_due"] == 2500)
        #expect(preview.json["id"].stringValue?.hasPrefix("upcoming_") == true)
        #expect(await x.s.eventTypes() == before)
        #expect(await pendingItems(x).isEmpty)
        #expect(await x.s.subscription(x.id)["items"]["data"][0]["price"]["id"] == .string(x.small))
    }

    @Test func intervalChangeStartsANewCycle() async throws {
        let x = try await setup()
        let yearly = await x.s.monthlyPrice(10000, name: "Pro yearly", interval: "year")
        try await x.s.setNow(x.midPeriod)
        let r = await x.s.post("/v1/subscriptions/\(x.id)", [("items[0][id]", x.item), ("items[0][price]", yearly)])
        #expect(r.json["items"]["data"][0]["current_period_start"] == .int(x.midPeriod))
        let invoice = await x.s.invoice(r.json["latest_invoice"].stringValue!)
        #expect(invoice["billing_reason"] == "subscription_update")
        #expect(invoice["amount_paid"] == 9500)
    }
}
