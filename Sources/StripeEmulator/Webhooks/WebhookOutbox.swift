import GRDB
import StripeWire

/// Queues an event for every enabled webhook endpoint that listens to its type.
enum WebhookOutbox {
    /// Returns how many endpoints will receive the event (its `pending_webhooks`).
    static func enqueue(_ ledger: Ledger, eventID: String, type: String, created: Int) throws -> Int {
        0
    }
}
