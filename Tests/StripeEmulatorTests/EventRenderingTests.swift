import Testing
import StripeWire
@testable import StripeEmulator

/// Events are assembled around their object's stored bytes; they must be byte for byte what the
/// JSON writer renders for the same value, or goldens and signatures would drift.
@Suite struct EventRenderingTests {
    @Test(arguments: [false, true])
    func splicedEventEqualsTheWritersRendering(withPrevious: Bool) throws {
        let object: JSONValue = ["id": "in_1", "object": "invoice", "amount_due": 2000, "lines": ["object": "list", "data": [["id": "il_1"]]],
                                 "description": "Quote \" and \\ and\nnewline é", "metadata": ["z": "1", "a": nil]]
        let previous: JSONValue? = withPrevious ? ["amount_due": 1000, "status": "draft"] : nil
        let request: JSONValue = ["id": "req_123", "idempotency_key": .null]
        var data: [String: JSONValue] = ["object": object]
        if let previous { data["previous_attributes"] = previous }
        let expected: JSONValue = [
            "id": "evt_1", "object": "event", "api_version": "2025-01-01", "created": 1_800_000_000, "data": .object(data),
            "livemode": false, "pending_webhooks": 3, "request": request, "type": "invoice.updated",
        ]
        let envelope = EventLog.Envelope(id: "evt_1", apiVersion: "2025-01-01", created: 1_800_000_000, previous: previous,
                                         pendingWebhooks: 3, request: request, type: "invoice.updated")
        let spliced = envelope.render(object: JSONWriter.data(object))
        #expect(String(decoding: spliced, as: UTF8.self) == JSONWriter.string(expected))
        #expect(try JSONParser.parse(spliced) == expected)
    }

    @Test func cacheHandsBackBytesOnlyForTheExactValueWritten() {
        let cache = ObjectCache()
        let object: JSONValue = ["id": "cus_1", "object": "customer", "email": "a@b.c"]
        cache.remember("cus_1", rendered: object, as: JSONWriter.data(object))
        #expect(cache.bytes(of: object) == JSONWriter.data(object))
        var changed = object
        changed["email"] = "x@y.z"
        #expect(cache.bytes(of: changed) == nil)
        cache.forget("cus_1")
        #expect(cache.bytes(of: object) == nil)
    }
}

/// Responses reuse the bytes an object was stored as; they must be exactly what the writer
/// renders for the object, whichever way the request came to it.
@Suite struct StoredBytesResponseTests {
    @Test func createUpdateRetrieveAndExpandAnswerTheWritersRendering() async throws {
        let stripe = try TestStripe()
        let created = await stripe.post("/v1/customers", [("email", "q\"uote@example.com"), ("name", "Zoë \\ Ünïcode\n"),
                                                         ("metadata[b]", "2"), ("metadata[a]", "1")])
        #expect(created.status == 200)
        let updated = await stripe.post("/v1/customers/\(created.id)", [("description", "tab\there"), ("metadata[c]", "3")])
        let fetched = await stripe.get("/v1/customers/\(created.id)")
        let pm = await stripe.post("/v1/payment_methods/pm_card_visa/attach", [("customer", created.id)])
        let expanded = await stripe.get("/v1/payment_methods/\(pm.id)", [("expand[]", "customer")])
        for reply in [created, updated, fetched, pm, expanded] {
            #expect(reply.status == 200)
            #expect(reply.response.body == JSONWriter.data(reply.json))
        }
        #expect(fetched.json == updated.json)
        #expect(expanded.json["customer"]["id"].stringValue == created.id)
    }
}

/// Events that a request or renewal amends after emitting them (`customer.subscription.created`
/// shows the subscription's final state, a renewal's `customer.subscription.updated` its new
/// `latest_invoice`) are re-assembled from the envelope the transaction kept: they must be what
/// the writer renders, and carry the final object.
@Suite struct AmendedEventTests {
    @Test func createdAndRenewalEventsCarryTheFinalSubscription() async throws {
        // The creation event is fetched again after the renewal, a month on: kept (see EventRetentionTests).
        let stripe = try TestStripe(eventRetentionDays: 0)
        let price = await stripe.monthlyPrice(1500)
        let customer = await stripe.customer()
        let sub = await stripe.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.status == 200)
        let created = try #require(await stripe.allEvents().first { $0["type"] == "customer.subscription.created" })
        #expect(created["data"]["object"] == sub.json)
        #expect(created["data"]["object"]["status"] == "active")
        #expect(created["data"]["previous_attributes"] == .null)

        await stripe.advance("31d")
        let renewed = await stripe.subscription(sub.id)
        let updated = try #require(await stripe.allEvents().last { $0["type"] == "customer.subscription.updated" })
        #expect(updated["data"]["object"]["latest_invoice"] == renewed["latest_invoice"])
        #expect(renewed["latest_invoice"] != sub.json["latest_invoice"])
        #expect(updated["data"]["previous_attributes"]["latest_invoice"] == sub.json["latest_invoice"])
        #expect(updated["data"]["previous_attributes"]["items"] != .null)

        for event in [created, updated] {
            let fetched = await stripe.get("/v1/events/\(event["id"].stringValue!)")
            #expect(fetched.status == 200)
            #expect(fetched.response.body == JSONWriter.data(fetched.json))
            #expect(fetched.json == event)
        }
    }
}
