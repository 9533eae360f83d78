import Billing
import StripeEmulator
import Synchronization

/// The fake's webhook transport in a ``WiredStack``: HTTP as usual, and after each delivery the
/// app answered 2xx, the app's job queue is drained before the fake delivers the next event.
///
/// The app answers a webhook as soon as it has recorded it as a job; a worker applies it later.
/// Draining here, between deliveries, applies each event at the simulated moment it was
/// delivered (a test-clock advance delivers many events at many moments) and in delivery order,
/// so scenarios and tests stay deterministic whatever the workers' timing.
final class JobDrainingTransport: WebhookTransport {
    private let http = HTTPWebhookTransport()
    /// The current app's drain (set once the app runs, replaced when it restarts).
    let drain = Mutex<(@Sendable () async -> Void)?>(nil)

    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        let result = await http.post(url: url, headers: headers, body: body, timeout: timeout)
        if let status = result.statusCode, (200..<300).contains(status), let drain = drain.withLock({ $0 }) {
            await drain()
        }
        return result
    }
}
