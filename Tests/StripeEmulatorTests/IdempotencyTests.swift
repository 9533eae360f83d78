import Testing
import StripeWire
@testable import StripeEmulator

@Suite struct IdempotencyTests {
    @Test func replayReturnsTheSameObject() async throws {
        let s = try TestStripe()
        let first = await s.post("/v1/customers", [("email", "i@x.test")], idempotencyKey: "key-1")
        let second = await s.post("/v1/customers", [("email", "i@x.test")], idempotencyKey: "key-1")
        #expect(first.status == 200)
        #expect(second.id == first.id)
        #expect(second.response.body == first.response.body)
        #expect(second.response.header("Idempotent-Replayed") == "true")
        #expect(first.response.header("Idempotent-Replayed") == nil)
        let list = await s.get("/v1/customers")
        #expect(list.json["data"].arrayValue?.count == 1)
    }

    @Test func differentParamsAreAnIdempotencyError() async throws {
        let s = try TestStripe()
        _ = await s.post("/v1/customers", [("email", "a@x.test")], idempotencyKey: "key-2")
        let r = await s.post("/v1/customers", [("email", "b@x.test")], idempotencyKey: "key-2")
        #expect(r.status == 400)
        #expect(r.error["type"] == "idempotency_error")
        let otherPath = await s.post("/v1/products", [("name", "x")], idempotencyKey: "key-2")
        #expect(otherPath.error["type"] == "idempotency_error")
    }

    @Test func keysAreScopedPerAccount() async throws {
        let s = try TestStripe()
        let a = await s.post("/v1/customers", [("email", "a@x.test")], idempotencyKey: "shared")
        let b = await s.post("/v1/customers", [("email", "a@x.test")], key: "sk_test_someone_else", idempotencyKey: "shared")
        #expect(a.id != b.id)
    }

    @Test func errorsFromValidationAreNotStored() async throws {
        let s = try TestStripe()
        let bad = await s.post("/v1/customers", [("bogus", "1")], idempotencyKey: "key-3")
        #expect(bad.status == 400)
        let good = await s.post("/v1/customers", [("email", "ok@x.test")], idempotencyKey: "key-3")
        #expect(good.status == 200)
    }

    @Test func cardDeclinesAreStoredAndReplayed() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let si = await s.post("/v1/setup_intents", [("customer", c.id), ("payment_method", "pm_card_visa_chargeDeclined"),
                                                    ("confirm", "true")], idempotencyKey: "key-4")
        #expect(si.status == 402)
        let again = await s.post("/v1/setup_intents", [("customer", c.id), ("payment_method", "pm_card_visa_chargeDeclined"),
                                                       ("confirm", "true")], idempotencyKey: "key-4")
        #expect(again.status == 402)
        #expect(again.response.body == si.response.body)
        let intents = await s.get("/v1/setup_intents")
        #expect(intents.json["data"].arrayValue?.count == 1)
    }

    @Test func keysExpireAfter24HoursOfTheAccountClock() async throws {
        let s = try TestStripe()
        let first = await s.post("/v1/customers", [("email", "e@x.test")], idempotencyKey: "key-5")
        try await s.setNow(TestStripe.start + 24 * 3600 - 1)
        let within = await s.post("/v1/customers", [("email", "e@x.test")], idempotencyKey: "key-5")
        #expect(within.id == first.id)
        try await s.setNow(TestStripe.start + 24 * 3600)
        let after = await s.post("/v1/customers", [("email", "e@x.test")], idempotencyKey: "key-5")
        #expect(after.status == 200)
        #expect(after.id != first.id)
    }

    @Test func concurrentRequestsWithOneKeyCreateExactlyOneObject() async throws {
        let s = try TestStripe()
        let replies = await withTaskGroup(of: TestStripe.Reply.self) { group in
            for _ in 0..<24 {
                group.addTask { await s.post("/v1/customers", [("email", "race@x.test")], idempotencyKey: "race") }
            }
            var all: [TestStripe.Reply] = []
            for await r in group { all.append(r) }
            return all
        }
        let ok = replies.filter { $0.status == 200 }
        #expect(!ok.isEmpty)
        #expect(Set(ok.map(\.id)).count == 1)
        #expect(replies.allSatisfy { $0.status == 200 || $0.status == 409 })
        for conflict in replies where conflict.status == 409 {
            #expect(conflict.response.header("Stripe-Should-Retry") == "true")
        }
        let list = await s.get("/v1/customers")
        #expect(list.json["data"].arrayValue?.count == 1)
    }

    /// A GET with a key is answered fresh every time (never a replay), and leaves nothing behind
    /// that a POST with the same key would be checked against.
    @Test func keyIsIgnoredOnGet() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers", [("email", "before@x.test")])
        let first = await s.call("GET", "/v1/customers/\(c.id)", headers: ["Idempotency-Key": "k"])
        #expect(first.status == 200)
        #expect(first.json["email"] == "before@x.test")
        _ = await s.post("/v1/customers/\(c.id)", [("email", "after@x.test")])
        let second = await s.call("GET", "/v1/customers/\(c.id)", headers: ["Idempotency-Key": "k"])
        #expect(second.status == 200)
        #expect(second.json["email"] == "after@x.test", "a GET with a used key was replayed")
        #expect(second.response.header("Idempotent-Replayed") == nil)
        // The key was never stored: a POST may use it for a request of its own.
        let created = await s.post("/v1/customers", [("email", "new@x.test")], idempotencyKey: "k")
        #expect(created.status == 200)
        #expect(created.json["email"] == "new@x.test")
        #expect(created.response.header("Idempotent-Replayed") == nil)
        #expect(created.id != c.id)
    }

    @Test func overlongKeyIsRefused() async throws {
        let s = try TestStripe()
        let r = await s.post("/v1/customers", idempotencyKey: String(repeating: "k", count: 256))
        #expect(r.status == 400)
    }
}
