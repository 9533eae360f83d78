import StripeWire

/// The background jobs' side of the service: what the webhook route queues and what a worker
/// runs (``JobWorker`` claims and retries; this file says what a job does).
extension BillingService {
    /// Records a verified event as a `stripe_event` job, unless it was seen before (a retry or
    /// a duplicate delivery from Stripe): then `.duplicate`, counted as a retry seen.
    func enqueue(event: JSONValue, id: String, payload: [UInt8]) async throws -> WebhookOutcome {
        let key = Self.orderKey(event)
        let text = String(decoding: payload, as: UTF8.self)
        let now = clock.now()
        let queued = try await store.write { tx in
            // Events processed before the queue existed have no job, but are processed.
            guard try !tx.isProcessed(eventID: id) else { return false }
            return try tx.enqueueJob(kind: .stripeEvent, orderKey: key, eventID: id, payload: text, at: now)
        }
        if queued {
            metrics.recordJobEnqueued(kind: .stripeEvent)
            jobSignal.wake()
            return .queued(id)
        }
        return .duplicate(id)
    }

    /// An event's jobs run one at a time per Stripe customer (one customer per organization),
    /// in the order they arrived: a subscription's `updated` after its `created`, an invoice's
    /// `paid` after its `payment_failed`. Events about no customer are independent.
    static func orderKey(_ event: JSONValue) -> String {
        let object = event["data"]["object"]
        if object["object"].stringValue == "customer", let id = object["id"].stringValue { return "customer:" + id }
        if let customer = object["customer"].stringValue ?? object["customer"]["id"].stringValue { return "customer:" + customer }
        return "event:" + (event["id"].stringValue ?? "")
    }

    /// Runs one claimed job and says how it ended (its `outcome`); a thrown error is a failure
    /// the worker retries with backoff.
    func perform(_ job: QueuedJob) async throws -> String {
        switch job.kind {
        case .stripeEvent:
            guard let event = try? JSONParser.parse(Array(job.payload.utf8)) else {
                throw AppError(400, "invalid_payload", "Job \(job.id) does not hold a Stripe event.")
            }
            let outcome = try await apply(event)
            metrics.recordWebhookApplied(eventType: event["type"].stringValue ?? "unknown", outcome: outcome)
            return outcome.label
        case .sendEmail:
            guard let id = Int(job.payload) else { throw AppError(400, "invalid_payload", "Job \(job.id) names no email.") }
            return try await sendEmail(id: id)
        }
    }
}
