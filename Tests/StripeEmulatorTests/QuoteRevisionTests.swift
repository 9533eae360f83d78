import Testing
import StripeWire
@testable import StripeEmulator

/// Quote revisions (`from_quote`) and quotes whose subscription starts later
/// (`subscription_data[effective_date]`), accepted into a subscription schedule as on Stripe.
@Suite struct QuoteRevisionTests {
    @Test func aRevisionCopiesTheQuoteAndReplacesItWhenFinalized() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(3000)
        let customer = await s.customer()
        let original = await s.post("/v1/quotes", [("customer", customer), ("line_items[0][price]", price), ("line_items[0][quantity]", "2"),
                                                   ("header", "Offer")]).json
        let originalID = original["id"].stringValue!
        let draftRevision = await s.post("/v1/quotes", [("from_quote[quote]", originalID), ("from_quote[is_revision]", "true")])
        #expect(draftRevision.status == 400)  // a draft is not revised
        #expect(draftRevision.json["error"]["param"] == "from_quote[quote]")
        let finalized = await s.post("/v1/quotes/\(originalID)/finalize", []).json
        #expect(finalized["number"] == "QT-0001")
        let mixed = await s.post("/v1/quotes", [("from_quote[quote]", originalID), ("header", "x")])
        #expect(mixed.json["error"]["param"] == "header")
        let revision = await s.post("/v1/quotes", [("from_quote[quote]", originalID), ("from_quote[is_revision]", "true")])
        #expect(revision.status == 200, "\(revision.response.bodyString)")
        let revisionID = revision.json["id"].stringValue!
        #expect(revision.json["status"] == "draft")
        #expect(revision.json["from_quote"] == ["is_revision": true, "quote": .string(originalID)])
        #expect(revision.json["amount_total"] == 6000)
        #expect(revision.json["header"] == "Offer")
        #expect(revision.json["customer"] == .string(customer))
        let lines = await s.get("/v1/quotes/\(revisionID)/line_items").json["data"]
        #expect(lines[0]["quantity"] == 2)
        #expect(lines[0]["id"] != (await s.get("/v1/quotes/\(originalID)/line_items").json["data"][0]["id"]))
        _ = await s.post("/v1/quotes/\(revisionID)", [("line_items[0][price]", price), ("line_items[0][quantity]", "3")])
        let events = await s.events {
            let done = await s.post("/v1/quotes/\(revisionID)/finalize", []).json
            #expect(done["number"] == "QT-0001-2")
            #expect(done["amount_total"] == 9000)
        }
        #expect(events == ["quote.canceled", "quote.finalized"])
        #expect(await s.get("/v1/quotes/\(originalID)").json["status"] == "canceled")
        // A revision of the revision is the third of the line; a plain copy numbers anew.
        let third = await s.post("/v1/quotes", [("from_quote[quote]", revisionID), ("from_quote[is_revision]", "true")]).json
        #expect(await s.post("/v1/quotes/\(third["id"].stringValue!)/finalize", []).json["number"] == "QT-0001-3")
        let copy = await s.post("/v1/quotes", [("from_quote[quote]", originalID)]).json
        #expect(copy["from_quote"]["is_revision"] == false)
        #expect(await s.post("/v1/quotes/\(copy["id"].stringValue!)/finalize", []).json["number"] == "QT-0002")
    }

    @Test func acceptingAQuoteThatStartsLaterMakesASchedule() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(4000)
        let product = await s.post("/v1/products", [("name", "Onboarding")]).id
        let setup = await s.post("/v1/prices", [("product", product), ("currency", "usd"), ("unit_amount", "1500")]).id
        let customer = await s.customer()
        let now = await s.get("/_emulator/time").json["now"].intValue ?? 0
        let start = now + 10 * 86400
        let quote = await s.post("/v1/quotes", [("customer", customer), ("line_items[0][price]", price), ("line_items[1][price]", setup),
                                                ("subscription_data[effective_date]", String(start))])
        #expect(quote.status == 200, "\(quote.response.bodyString)")
        #expect(quote.json["subscription_data"]["effective_date"] == .int(start))
        let id = quote.json["id"].stringValue!
        _ = await s.post("/v1/quotes/\(id)/finalize", [])
        let accepted = await s.post("/v1/quotes/\(id)/accept", []).json
        #expect(accepted["status"] == "accepted")
        #expect(accepted["subscription"] == .null)
        let scheduleID = accepted["subscription_schedule"].stringValue!
        let schedule = await s.get("/v1/subscription_schedules/\(scheduleID)").json
        #expect(schedule["status"] == "not_started")
        #expect(schedule["phases"][0]["start_date"] == .int(start))
        #expect(schedule["phases"][0]["add_invoice_items"][0]["price"] == .string(setup))
        _ = await s.advance("10d1h")
        let started = await s.get("/v1/subscription_schedules/\(scheduleID)").json
        #expect(started["status"] == "active")
        let sub = await s.subscription(started["subscription"].stringValue!)
        #expect(sub["start_date"] == .int(start))
        // 4000 for the plan and 1500 for onboarding on the first invoice.
        #expect(await s.invoice(sub["latest_invoice"].stringValue!)["amount_paid"] == 5500)
        let bad = await s.post("/v1/quotes", [("customer", customer), ("line_items[0][price]", price),
                                              ("subscription_data[effective_date]", "current_period_end")])
        #expect(bad.json["error"]["param"] == "subscription_data[effective_date]")
    }
}
