/// One unit of background work in the `jobs` table: a verified Stripe event to apply, or an
/// email to send. The webhook route only records the event as a job and answers; workers (the
/// in-process one on SQLite, any number of `effinity worker` processes on PostgreSQL) claim
/// jobs, run them and record how they ended.
public struct QueuedJob: Sendable, Equatable {
    public var id: Int
    public var kind: Kind
    /// Jobs with the same key run one at a time in id order (an organization's Stripe customer,
    /// so its events apply in the order they arrived); a job whose key is unique runs whenever.
    public var orderKey: String
    /// The Stripe event's id, unique: the same event delivered twice is one job.
    public var eventID: String?
    /// The verified event's body (a `stripe_event`), or the email outbox row id (a `send_email`).
    public var payload: String
    public var status: Status
    /// Claims so far (a worker that died mid-job counts too).
    public var attempts: Int
    /// When it may run next (the app's clock, seconds).
    public var runAt: Int
    public var lockedBy: String?
    public var lockedUntil: Int?
    public var lastError: String?
    /// What running it came to (`processed`, `duplicate`, `ignored`, `sent`), once done.
    public var outcome: String?
    public var createdAt: Int
    public var startedAt: Int?
    public var finishedAt: Int?

    public enum Kind: String, Sendable, CaseIterable {
        /// Apply a verified Stripe event: mirror the subscription, refresh the invoice, queue
        /// the emails it calls for (the per-type handlers of `BillingService+Webhooks`).
        case stripeEvent = "stripe_event"
        /// Hand one row of `email_outbox` to the ``EmailSender`` and mark it sent.
        case sendEmail = "send_email"
    }

    public enum Status: String, Sendable, CaseIterable {
        /// Waiting for `runAt` (new, or failed and backing off).
        case queued
        /// Claimed by `lockedBy` until `lockedUntil`; after that its lease has expired and any
        /// worker may claim it again (its worker died or hung).
        case running
        case done
        /// Failed ``JobRetryPolicy/maxAttempts`` times: left for an operator (dashboard, metrics).
        case dead
    }
}

/// The queue's numbers at one moment, for `/metrics` and the dashboard.
public struct JobQueueStats: Sendable, Equatable {
    /// Jobs queued or running, by kind.
    public var depth: [QueuedJob.Kind: Int]
    /// Age in seconds of the oldest job not yet done (0 when none).
    public var oldestAge: Int
    /// Dead-lettered jobs, by kind.
    public var dead: [QueuedJob.Kind: Int]

    public init(depth: [QueuedJob.Kind: Int] = [:], oldestAge: Int = 0, dead: [QueuedJob.Kind: Int] = [:]) {
        self.depth = depth
        self.oldestAge = oldestAge
        self.dead = dead
    }
}
