import Foundation
import NIOCore
import Synchronization
import Testing
import StripeWire
@testable import StripeEmulator

/// A webhook receiver in memory: records every delivery and answers as scripted.
final class ScriptedTransport: WebhookTransport {
    struct Received: Sendable {
        let url: String
        let headers: [(String, String)]
        let body: [UInt8]
        var signature: String { headers.first { $0.0 == "Stripe-Signature" }?.1 ?? "" }
        var event: JSONValue { (try? JSONParser.parse(body)) ?? .null }
    }

    private let state = Mutex<(received: [Received], answers: [Int])>(([], []))

    /// Status codes for the next calls, in order; 200 once they run out.
    init(answers: [Int] = []) { state.withLock { $0.answers = answers } }

    var received: [Received] { state.withLock { $0.received } }

    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        state.withLock { s in
            s.received.append(Received(url: url, headers: headers, body: body))
            let code = s.answers.isEmpty ? 200 : s.answers.removeFirst()
            return code == 0 ? WebhookTransportResult(error: "timed out") : WebhookTransportResult(statusCode: code)
        }
    }
}

extension TestStripe {
    init(transport: ScriptedTransport, database: EmulatorDatabase? = nil, key: String? = nil) throws {
        let emulator = StripeEmulator(database: try database ?? .inMemory(),
                                      settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)), transport: transport)
        self.init(emulator: emulator, key: key ?? "sk_test_" + IDMinter.randomToken(16))
    }

    func endpoint(_ events: [String] = ["*"], url: String = "https://app.test/webhooks") async -> (id: String, secret: String) {
        var params = [("url", url)]
        for (i, e) in events.enumerated() { params.append(("enabled_events[\(i)]", e)) }
        let r = await post("/v1/webhook_endpoints", params)
        return (r.id, r.json["secret"].stringValue ?? "")
    }

    @discardableResult
    func drain() async -> Int { (await post("/_emulator/deliveries/drain")).json["attempted"].intValue ?? -1 }

    func attempts(_ params: [(String, String)] = []) async -> [JSONValue] {
        (await get("/_emulator/deliveries", params)).json["data"].arrayValue ?? []
    }
}

@Suite struct WebhookTests {
    @Test func endpointsCRUDAndSecretOnlyOnCreate() async throws {
        let s = try TestStripe(transport: ScriptedTransport())
        let created = await s.post("/v1/webhook_endpoints", [("url", "https://app.test/hook"), ("enabled_events[]", "invoice.paid"),
                                                             ("description", "billing"), ("metadata[team]", "core")])
        #expect(created.json["secret"].stringValue?.hasPrefix("whsec_") == true)
        #expect(created.json["status"] == "enabled")
        let fetched = await s.get("/v1/webhook_endpoints/\(created.id)")
        #expect(fetched.json["secret"] == .null)
        #expect(fetched.json["enabled_events"] == ["invoice.paid"])
        let disabled = await s.post("/v1/webhook_endpoints/\(created.id)", [("disabled", "true"), ("enabled_events[]", "*")])
        #expect(disabled.json["status"] == "disabled")
        #expect(disabled.json["enabled_events"] == ["*"])
        let list = await s.get("/v1/webhook_endpoints")
        #expect(list.json["data"].arrayValue?.count == 1)
        let bad = await s.post("/v1/webhook_endpoints", [("url", "ftp://x"), ("enabled_events[]", "*")])
        #expect(bad.error["param"] == "url")
        let missing = await s.post("/v1/webhook_endpoints", [("url", "https://x.test")])
        #expect(missing.error["param"] == "enabled_events")
        let deleted = await s.delete("/v1/webhook_endpoints/\(created.id)")
        #expect(deleted.json["deleted"] == true)
    }

    @Test func deliveriesAreSignedOverTheExactBytes() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (_, secret) = await s.endpoint()
        let c = await s.post("/v1/customers", [("email", "hook@x.test")])
        #expect(await s.drain() == 1)
        let d = try #require(t.received.first)
        #expect(d.url == "https://app.test/webhooks")
        #expect(d.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("application/json") })
        try WebhookSignature.verify(payload: d.body, header: d.signature, secret: secret, now: TestStripe.start)
        #expect(d.signature.hasPrefix("t=\(TestStripe.start),v1="))
        #expect(throws: WebhookSignature.Failure.self) {
            try WebhookSignature.verify(payload: d.body + [0x20], header: d.signature, secret: secret, now: TestStripe.start)
        }
        #expect(d.event["type"] == "customer.created")
        #expect(d.event["data"]["object"]["id"] == .string(c.id))
        let event = await s.get("/v1/events/\(d.event["id"].stringValue!)")
        #expect(event.json["pending_webhooks"] == 0)
        let log = await s.attempts()
        #expect(log.count == 1)
        #expect(log[0]["status_code"] == 200)
        #expect(log[0]["outcome"] == "succeeded")
    }

    @Test func enabledEventsFilterAndDisabledEndpoints() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (onlyProducts, _) = await s.endpoint(["product.*"], url: "https://a.test/products")
        let (off, _) = await s.endpoint(["*"], url: "https://a.test/off")
        _ = await s.post("/v1/webhook_endpoints/\(off)", [("disabled", "true")])
        _ = await s.post("/v1/customers")
        _ = await s.post("/v1/products", [("name", "P")])
        await s.drain()
        #expect(t.received.map(\.url) == ["https://a.test/products"])
        #expect(t.received.map { $0.event["type"] } == ["product.created"])
        _ = onlyProducts
    }

    @Test func retriesOnErrorsAndTimeoutsUntilTheReceiverRecovers() async throws {
        let t = ScriptedTransport(answers: [500, 0])  // a 500, then a timeout, then 200
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        let c = await s.post("/v1/customers")
        await s.drain()
        let eventID = t.received[0].event["id"].stringValue!
        #expect(await s.get("/v1/events/\(eventID)").json["pending_webhooks"] == 1)
        #expect(t.received.count == 1)
        _ = await s.advance("59m")
        #expect(t.received.count == 1)
        _ = await s.advance("1m")  // advancing time drains due retries before answering
        #expect(t.received.count == 2)
        _ = await s.advance("3h")
        #expect(t.received.count == 3)
        let log = await s.attempts([("event", eventID)])
        #expect(log.map { $0["attempt"] } == [3, 2, 1])
        #expect(log.map { $0["outcome"] } == ["succeeded", "failed", "failed"])
        #expect(log[1]["error"] == "timed out")
        #expect(log[2]["status_code"] == 500)
        #expect(await s.get("/v1/events/\(eventID)").json["pending_webhooks"] == 0)
        _ = c
    }

    @Test func givesUpAfterThreeAttempts() async throws {
        let t = ScriptedTransport(answers: [500, 500, 500, 500])
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        _ = await s.post("/v1/customers")
        await s.drain()
        _ = await s.advance("1d")
        #expect(t.received.count == 3)
        #expect(await s.get("/_emulator/deliveries").json["pending"] == 0)
    }

    @Test func pendingDeliveriesSurviveARestart() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-hooks-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let key = "sk_test_restart"
        do {
            let s = try TestStripe(transport: ScriptedTransport(), database: try .file(path), key: key)
            _ = await s.endpoint()
            _ = await s.post("/v1/customers")
            _ = await s.post("/v1/products", [("name", "P")])
        }
        let t = ScriptedTransport()
        let restarted = try TestStripe(transport: t, database: try .file(path), key: key)
        #expect(await restarted.drain() == 2)
        #expect(t.received.map { $0.event["type"] } == ["customer.created", "product.created"])
    }

    @Test func deterministicOrderFollowsEvents() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        let price = await s.monthlyPrice(2000)
        let customer = await s.customer()
        _ = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        await s.drain()
        #expect(t.received.compactMap { $0.event["type"].stringValue } == (await s.eventTypes()))
    }

    @Test func concurrentDrainsSendEachDeliveryOnce() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        for i in 0..<20 { _ = await s.post("/v1/customers", [("email", "c\(i)@x.test")]) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try? await s.emulator.drainDeliveries(account: s.key) } }
            group.addTask { try? await s.emulator.runDueWork() }
        }
        #expect(t.received.count == 20)
        #expect(Set(t.received.compactMap { $0.event["id"].stringValue }).count == 20)
        #expect(await s.attempts([("limit", "1000")]).count == 20)
    }

    @Test func resendAndLogFilters() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (endpoint, _) = await s.endpoint()
        _ = await s.post("/v1/customers")
        _ = await s.post("/v1/products", [("name", "P")])
        await s.drain()
        let event = t.received[0].event["id"].stringValue!
        let resent = await s.post("/_emulator/events/\(event)/resend", [("endpoint", endpoint)])
        #expect(resent.json["endpoints"] == [.string(endpoint)])
        await s.drain()
        #expect(t.received.count == 3)
        #expect(t.received[2].event["id"] == .string(event))
        #expect(await s.attempts([("event_type", "product.created")]).count == 1)
        #expect(await s.attempts([("endpoint", endpoint)]).count == 3)
        #expect(await s.attempts([("endpoint", "we_other")]).isEmpty)
    }
}

extension WebhookTests {
    /// `pending_webhooks` counts the endpoints that have not answered 2xx: a failed delivery
    /// keeps it at 1, a successful manual resend brings it to 0, and resending an answered
    /// event does not count it again.
    @Test func pendingWebhooksAfterResend() async throws {
        let t = ScriptedTransport(answers: [500])
        let s = try TestStripe(transport: t)
        let (endpoint, _) = await s.endpoint()
        let customer = await s.post("/v1/customers")
        await s.drain()
        let event = t.received[0].event["id"].stringValue!
        #expect(t.received[0].event["data"]["object"]["id"] == .string(customer.id))
        #expect(await s.get("/v1/events/\(event)").json["pending_webhooks"] == 1)
        _ = await s.post("/_emulator/events/\(event)/resend", [("endpoint", endpoint)])
        #expect(await s.get("/v1/events/\(event)").json["pending_webhooks"] == 1)
        await s.drain()
        #expect(await s.get("/v1/events/\(event)").json["pending_webhooks"] == 0)
        _ = await s.post("/_emulator/events/\(event)/resend", [("endpoint", endpoint)])
        await s.drain()
        #expect(await s.get("/v1/events/\(event)").json["pending_webhooks"] == 0)
    }
}

@Suite struct DeliveryChaosTests {
    func flow(_ s: TestStripe) async {
        for i in 0..<12 { _ = await s.post("/v1/customers", [("email", "c\(i)@x.test")]) }
    }

    @Test func duplicates() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        _ = await s.post("/_emulator/webhooks/chaos", [("seed", "1"), ("duplicate_rate", "1")])
        _ = await s.post("/v1/customers")
        await s.drain()
        #expect(t.received.count == 2)
        #expect(t.received[0].body == t.received[1].body)
        #expect(await s.attempts().map { $0["duplicate"] } == [true, false])
    }

    @Test func partialDuplicatesAreReproducible() async throws {
        func run() async throws -> [String] {
            let t = ScriptedTransport()
            let s = try TestStripe(transport: t)
            _ = await s.endpoint()
            _ = await s.post("/_emulator/webhooks/chaos", [("seed", "42"), ("duplicate_rate", "0.3")])
            await flow(s)
            await s.drain()
            return t.received.compactMap { $0.event["data"]["object"]["email"].stringValue }
        }
        let a = try await run(), b = try await run()
        #expect(a == b)
        #expect(a.count > 12 && a.count < 24)
    }

    @Test func reorderWithinAWindow() async throws {
        func run(seed: Int) async throws -> [String] {
            let t = ScriptedTransport()
            let s = try TestStripe(transport: t)
            _ = await s.endpoint()
            _ = await s.post("/_emulator/webhooks/chaos", [("seed", String(seed)), ("reorder_window", "4")])
            await flow(s)
            await s.drain()
            return t.received.compactMap { $0.event["data"]["object"]["email"].stringValue }
        }
        let inOrder = (0..<12).map { "c\($0)@x.test" }
        let a = try await run(seed: 7)
        #expect(a != inOrder)
        #expect(Set(a) == Set(inOrder))
        for w in 0..<3 { #expect(Set(a[(w * 4)..<(w * 4 + 4)]) == Set(inOrder[(w * 4)..<(w * 4 + 4)])) }
        #expect(try await run(seed: 7) == a)
    }

    @Test func delayHoldsDeliveriesOnTheTenantClock() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        _ = await s.post("/_emulator/webhooks/chaos", [("delay_seconds", "600")])
        _ = await s.post("/v1/customers")
        await s.drain()
        #expect(t.received.isEmpty)
        _ = await s.advance("10m")
        #expect(t.received.count == 1)
    }

    @Test func failFirstAttempts() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (endpoint, _) = await s.endpoint()
        _ = await s.post("/_emulator/webhooks/chaos", [("endpoint", endpoint), ("fail_first", "2")])
        _ = await s.post("/v1/customers")
        await s.drain()
        _ = await s.advance("1h")
        #expect(t.received.isEmpty)
        _ = await s.advance("3h")
        #expect(t.received.count == 1)
        #expect(await s.attempts().map { $0["outcome"] } == ["succeeded", "failed", "failed"])
    }

    @Test func signatureSkew() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (_, secret) = await s.endpoint()
        _ = await s.post("/_emulator/webhooks/chaos", [("signature_skew_seconds", "-600")])
        _ = await s.post("/v1/customers")
        await s.drain()
        let d = try #require(t.received.first)
        #expect(d.signature.hasPrefix("t=\(TestStripe.start - 600),"))
        #expect(throws: WebhookSignature.Failure.timestampOutsideTolerance(age: 600)) {
            try WebhookSignature.verify(payload: d.body, header: d.signature, secret: secret, now: TestStripe.start)
        }
    }

    @Test func secretRollSignsWithBothDuringGrace() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (endpoint, old) = await s.endpoint()
        let roll = await s.post("/_emulator/webhook_endpoints/\(endpoint)/roll_secret", [("grace_period", "3600")])
        let new = try #require(roll.json["secret"].stringValue)
        #expect(new != old)
        _ = await s.post("/v1/customers")
        await s.drain()
        let d = t.received[0]
        #expect(d.signature.components(separatedBy: "v1=").count == 3)
        try WebhookSignature.verify(payload: d.body, header: d.signature, secret: new, now: TestStripe.start)
        try WebhookSignature.verify(payload: d.body, header: d.signature, secret: old, now: TestStripe.start)
        _ = await s.advance("1h")
        _ = await s.post("/v1/customers")
        await s.drain()
        let after = t.received[1]
        #expect(after.signature.components(separatedBy: "v1=").count == 2)
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(payload: after.body, header: after.signature, secret: old, now: TestStripe.start + 3600)
        }
    }

    @Test func chaosValidation() async throws {
        let s = try TestStripe(transport: ScriptedTransport())
        #expect(await s.post("/_emulator/webhooks/chaos", [("duplicate_rate", "2")]).status == 400)
        #expect(await s.post("/_emulator/webhooks/chaos", [("endpoint", "we_nope")]).status == 400)
        #expect(await s.post("/_emulator/webhooks/chaos", [("fail_first", "-1")]).status == 400)
    }
}

/// A receiver that never answers one URL until released: the endpoint a dead or hung server
/// stands behind. Every other URL answers 200 at once.
final class HangingTransport: WebhookTransport {
    let hangingURL: String
    private let state = Mutex<(delivered: [String], waiting: [CheckedContinuation<Void, Never>], released: Bool)>(([], [], false))

    init(hangingURL: String) { self.hangingURL = hangingURL }

    var delivered: [String] { state.withLock { $0.delivered } }

    func release() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.released = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for w in waiting { w.resume() }
    }

    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        if url == hangingURL {
            await withCheckedContinuation { c in
                let resumeNow = state.withLock { s -> Bool in
                    if s.released { return true }
                    s.waiting.append(c)
                    return false
                }
                if resumeNow { c.resume() }
            }
            return WebhookTransportResult(error: "connection refused")
        }
        let event = (try? JSONParser.parse(body))?["id"].stringValue ?? ""
        state.withLock { $0.delivered.append(event) }
        return WebhookTransportResult(statusCode: 200)
    }
}

@Suite(.timeLimit(.minutes(1))) struct ParallelDeliveryTests {
    /// With one endpoint hung, a live endpoint of the same account still receives all 20 events,
    /// in event order, while the hung one holds its first delivery.
    @Test func aDeadEndpointDelaysOnlyItself() async throws {
        let transport = HangingTransport(hangingURL: "http://127.0.0.1:1/dead")
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)),
                                      transport: transport)
        let s = TestStripe(emulator: emulator, key: "sk_test_" + IDMinter.randomToken(16))
        _ = await s.endpoint(["customer.created"], url: "http://127.0.0.1:1/dead")
        _ = await s.endpoint(["customer.created"], url: "http://127.0.0.1:2/live")
        var created: [String] = []
        for i in 0..<20 { created.append(await s.post("/v1/customers", [("email", "c\(i)@x.test")]).id) }
        let events = await s.allEvents().filter { $0["type"] == "customer.created" }.compactMap { $0["id"].stringValue }
        #expect(events.count == 20)
        let drain = Task { await s.drain() }
        // The live endpoint gets everything while the dead one is still hanging on its first.
        var delivered: [String] = []
        for _ in 0..<2000 {
            delivered = transport.delivered
            if delivered.count == 20 { break }
            await Task.yield()
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(delivered == events)
        transport.release()
        _ = await drain.value
    }
}
