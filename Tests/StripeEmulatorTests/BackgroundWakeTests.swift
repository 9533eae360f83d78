import Synchronization
import Testing
import StripeWire
@testable import StripeEmulator

/// A write that queues a webhook delivery wakes the background worker at once: with the
/// worker's own timer set to an hour, the delivery still arrives (writes that queue nothing
/// skip the probe that decides this, `ObjectCache.queuedWork`).
@Suite(.timeLimit(.minutes(1))) struct BackgroundWakeTests {
    /// Signals each delivery it is handed.
    final class SignallingTransport: WebhookTransport {
        let deliveries: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation

        init() { (deliveries, continuation) = AsyncStream<String>.makeStream() }

        func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
            continuation.yield((try? JSONParser.parse(body))?["type"].stringValue ?? "")
            return WebhookTransportResult(statusCode: 200)
        }
    }

    @Test func aWriteThatQueuesADeliveryWakesTheWorker() async throws {
        let transport = SignallingTransport()
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)),
                                      transport: transport)
        let s = TestStripe(emulator: emulator, key: "sk_test_wake")
        #expect(await s.post("/v1/webhook_endpoints", [("url", "https://receiver.test/hook"), ("enabled_events[0]", "customer.created")]).status == 200)
        let background = Task { await emulator.runBackground(interval: .seconds(3600)) }
        defer { background.cancel() }
        // A write that queues nothing (no endpoint listens to product.created) comes first.
        #expect(await s.post("/v1/products", [("name", "Quiet")]).status == 200)
        #expect(await s.post("/v1/customers", [("email", "woken@wake.test")]).status == 200)
        var received: [String] = []
        for await type in transport.deliveries {
            received.append(type)
            break
        }
        #expect(received == ["customer.created"])
    }
}
