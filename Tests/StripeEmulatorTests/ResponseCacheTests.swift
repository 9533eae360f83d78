import Foundation
import GRDB
import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// Reusable reads (``ResponseCache``): a retrieve or list answered again from the bytes it gave
/// while the account's objects are unchanged, and never once anything it depends on moved.
@Suite struct ResponseCacheTests {
    @Test func aListIsReusedUntilAnObjectChanges() async throws {
        let s = try TestStripe()
        var ids: [String] = []
        for name in ["Ada", "Grace", "Linus"] { ids.append(await s.post("/v1/customers", [("name", name)]).id) }
        let hits = s.emulator.responses.hits
        let first = await s.get("/v1/customers", [("limit", "100")])
        #expect(first.json["data"].arrayValue?.map { $0["name"] } == ["Linus", "Grace", "Ada"])
        let second = await s.get("/v1/customers", [("limit", "100")])
        #expect(second.response.body == first.response.body)
        #expect(s.emulator.responses.hits == hits + 1)
        // Each answer still gets its own request id.
        #expect(second.response.header("Request-Id") != first.response.header("Request-Id"))

        #expect(await s.post("/v1/customers/\(ids[1])", [("name", "Hopper")]).status == 200)
        let third = await s.get("/v1/customers", [("limit", "100")])
        #expect(third.json["data"].arrayValue?.map { $0["name"] } == ["Linus", "Hopper", "Ada"])
        #expect(s.emulator.responses.hits == hits + 1)
        #expect(await s.get("/v1/customers/\(ids[1])").json["name"] == "Hopper")

        // A delete is a write too.
        #expect(await s.delete("/v1/customers/\(ids[0])").status == 200)
        let fourth = await s.get("/v1/customers", [("limit", "100")])
        #expect(fourth.json["data"].arrayValue?.map { $0["name"] } == ["Linus", "Hopper"])
        #expect(await s.get("/v1/customers/\(ids[0])").json["deleted"] == true)  // Stripe's answer for a deleted customer
    }

    /// A file's readers look the stamp up in their own snapshot; an in-memory database's use the
    /// one the process last committed. Both see every write, a reset and another database's.
    @Test(arguments: [false, true]) func everyWriteIsSeen(onFile: Bool) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let s = try TestStripe(database: onFile ? .file(path) : .inMemory())
        // Another database in the same process, the same account: its commits must not hide ours.
        let other = TestStripe(emulator: try TestStripe().emulator, key: s.key)
        func names() async -> [JSONValue] {
            await s.get("/v1/customers", [("limit", "100")]).json["data"].arrayValue?.map { $0["name"] } ?? []
        }
        let ada = await s.post("/v1/customers", [("name", "Ada")]).id
        #expect(await names() == ["Ada"])
        #expect(await names() == ["Ada"])
        #expect(await other.post("/v1/customers", [("name", "Elsewhere")]).status == 200)
        #expect(await names() == ["Ada"])
        #expect(await s.post("/v1/customers/\(ada)", [("name", "Grace")]).status == 200)
        #expect(await names() == ["Grace"])
        #expect(await other.post("/v1/customers", [("name", "Elsewhere too")]).status == 200)
        #expect(await names() == ["Grace"])
        #expect(await s.post("/_emulator/reset").status == 200)
        #expect(await names() == [])
        #expect(await s.post("/v1/customers", [("name", "Linus")]).status == 200)
        #expect(await names() == ["Linus"])
        #expect(await other.get("/v1/customers").json["data"].arrayValue?.map { $0["name"] } == ["Elsewhere too", "Elsewhere"])
    }

    @Test func answersAreKeptPerQueryVersionAndAccount() async throws {
        let s = try TestStripe()
        let other = TestStripe(emulator: s.emulator, key: "sk_test_" + IDMinter.randomToken(16))
        let product = await s.post("/v1/products", [("name", "Pro")]).id
        let price = await s.post("/v1/prices", [("product", product), ("currency", "usd"), ("unit_amount", "1500")]).id
        _ = await other.post("/v1/products", [("name", "Other")])

        let plain = await s.get("/v1/prices/\(price)")
        let expanded = await s.get("/v1/prices/\(price)", [("expand[]", "product")])
        #expect(plain.json["product"] == .string(product))
        #expect(expanded.json["product"]["name"] == "Pro")
        #expect(await s.get("/v1/prices/\(price)").response.body == plain.response.body)
        #expect(await s.get("/v1/prices/\(price)", [("expand[]", "product")]).json["product"]["name"] == "Pro")

        let one = await s.get("/v1/products", [("limit", "1")])
        let mine = await s.get("/v1/products")
        let theirs = await other.get("/v1/products")
        #expect(mine.json["data"].arrayValue?.map { $0["name"] } == ["Pro"])
        #expect(theirs.json["data"].arrayValue?.map { $0["name"] } == ["Other"])
        #expect(one.json["data"].arrayValue?.count == 1)

        // The same path read at an older version is that version's rendering, not the newest's.
        let newest = await s.get("/v1/prices/\(price)")
        let old = await s.call("GET", "/v1/prices/\(price)", headers: ["Stripe-Version": "2022-08-01"])
        #expect(old.response.header("Stripe-Version") == "2022-08-01")
        #expect(newest.response.header("Stripe-Version") != "2022-08-01")
        let again = await s.call("GET", "/v1/prices/\(price)", headers: ["Stripe-Version": "2022-08-01"])
        #expect(again.response.body == old.response.body)
        #expect(await s.get("/v1/prices/\(price)").response.body == newest.response.body)
    }

    /// Meter events are kept outside the objects (they do not change the account's stamp), so
    /// their summaries are not a reusable read: each summary counts what was ingested.
    @Test func meterSummariesAreNeverReused() async throws {
        let s = try TestStripe()
        let meter = await s.post("/v1/billing/meters", [("display_name", "Calls"), ("event_name", "calls"),
                                                        ("default_aggregation[formula]", "sum")]).id
        let customer = await s.post("/v1/customers", [("name", "Metered")]).id
        let path = "/v1/billing/meters/\(meter)/event_summaries"
        let window = [("customer", customer), ("start_time", String(TestStripe.start - 3600)), ("end_time", String(TestStripe.start + 3600))]
        func ingest(_ value: Int) async {
            let r = await s.post("/v1/billing/meter_events", [("event_name", "calls"), ("payload[stripe_customer_id]", customer),
                                                              ("payload[value]", String(value)), ("timestamp", String(TestStripe.start - 60))])
            #expect(r.status == 200)
        }
        await ingest(3)
        #expect(await s.get(path, window).json["data"][0]["aggregated_value"] == 3)
        await ingest(4)
        #expect(await s.get(path, window).json["data"][0]["aggregated_value"] == 7)
    }

    /// An event's `pending_webhooks` changes when a delivery succeeds, without any request: the
    /// change is a write, so a kept list of events is not given again after it.
    @Test func eventsByDeliverySuccessFollowTheirDeliveries() async throws {
        let s = try TestStripe(transport: ScriptedTransport(answers: [500]))
        #expect(await s.post("/v1/webhook_endpoints", [("url", "https://hooks.test/a"), ("enabled_events[]", "customer.created")]).status == 200)
        let failing = await s.post("/v1/customers", [("name", "First")]).id
        #expect(await s.drain() == 1)  // answered 500: retried in an hour
        let delivered = await s.post("/v1/customers", [("name", "Second")]).id
        #expect(await s.drain() == 1)
        func customers(_ success: String) async -> [JSONValue] {
            let r = await s.get("/v1/events", [("type", "customer.created"), ("delivery_success", success)])
            #expect(r.status == 200, "\(r.json)")
            return r.json["data"].arrayValue?.map { $0["data"]["object"]["id"] } ?? []
        }
        #expect(await customers("false") == [.string(failing)])
        #expect(await customers("false") == [.string(failing)])  // the kept answer
        #expect(await customers("true") == [.string(delivered)])
        // The retry an hour later succeeds: nothing is pending any more.
        #expect(await s.post("/_emulator/time/advance", [("by", "1h")]).status == 200)
        _ = await s.drain()
        #expect(await customers("false") == [])
        #expect(await customers("true") == [.string(delivered), .string(failing)])
        #expect(await s.get("/v1/events", [("delivery_success", "maybe")]).error["param"] == "delivery_success")
    }

    /// The account clock moves with the wall clock, without a write: an answer that read it is
    /// never kept, whatever route it came from.
    @Test func readingTheClockMarksTheAnswer() throws {
        let database = try EmulatorDatabase.inMemory()
        let settings = EmulatorSettings(wallClock: FixedWallClock(TestStripe.start))
        try database.writer.write { db in
            func request() -> APIRequest {
                APIRequest(method: "GET", path: "/v1/x", account: "sk_test_clock", requestID: "req_1", idempotencyKey: nil,
                           now: TestStripe.start, params: Params([:]), pathParams: [], db: db,
                           ids: IDMinter(mode: .random, db: db, account: "sk_test_clock"), settings: settings)
            }
            let objectsOnly = request()
            _ = try objectsOnly.store.find("cus_missing")
            #expect(!objectsOnly.cache.readClock)
            let timed = request()
            #expect(timed.now == TestStripe.start)
            #expect(timed.cache.readClock)
            let viaClock = request()
            _ = try viaClock.clock.now()
            #expect(viaClock.cache.readClock)
            let viaLedger = request()
            _ = try viaLedger.ledger.now(clock: nil)
            #expect(viaLedger.cache.readClock)
        }
    }

    @Test func itStaysWithinItsBounds() {
        let cache = ResponseCache(capacity: 2, byteLimit: 400)
        func key(_ n: Int) -> ResponseCache.Key { .init(account: "a", version: "v", path: "/v1/x/\(n)", query: "") }
        cache.keep([1], for: key(1), stamp: 7)
        cache.keep([2], for: key(2), stamp: 7)
        #expect(cache.answer(key(1), stamp: 7) == [1])
        #expect(cache.answer(key(1), stamp: 8) == nil)  // another stamp: the objects changed since
        cache.keep([3], for: key(3), stamp: 7)  // past the count: starts over
        #expect(cache.answer(key(1), stamp: 7) == nil)
        #expect(cache.answer(key(3), stamp: 7) == [3])
        cache.keep(Array(repeating: 0, count: 101), for: key(4), stamp: 7)  // over a quarter of the bytes: not kept
        #expect(cache.answer(key(4), stamp: 7) == nil)
        cache.keep(Array(repeating: 0, count: 100), for: key(5), stamp: 7)
        #expect(cache.answer(key(5), stamp: 7)?.count == 100)
        #expect(cache.hits == 3)
    }
}
