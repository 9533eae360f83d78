/// The app's persistence, behind a small protocol so SQLite (the default) and PostgreSQL
/// (for several app servers) are interchangeable. Every multi-step change runs in one
/// transaction through ``write(_:)``.
public protocol BillingStore: Sendable {
    func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T
    func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T
    /// Every row of every app table (``TableDump/tables``), for scenario snapshots.
    func dumpTables() async throws -> [TableDump]
    /// Connections the store may hold at once (its pool's size), for `/metrics`.
    var connectionLimit: Int { get }
}

extension BillingStore {
    /// One: SQLite has a single writer.
    public var connectionLimit: Int { 1 }
}

/// The operations available inside one transaction.
public protocol BillingTransaction {
    // Organizations, users, sessions.
    func organization(_ id: String) throws -> Organization?
    func insertOrganization(_ org: Organization) throws
    func user(email: String) throws -> User?
    func insertUser(_ user: User) throws
    func membership(org: String, user: String) throws -> Membership?
    func upsertMembership(_ m: Membership) throws
    func members(org: String) throws -> [Membership]
    func insertSession(tokenHash: String, userID: String, orgID: String, expiresAt: Int, createdAt: Int) throws
    /// The live session for a token hash: (user, org), or nil when unknown, expired or revoked.
    func session(tokenHash: String, now: Int) throws -> (userID: String, orgID: String)?
    func revokeSession(tokenHash: String, at: Int) throws
    func deleteMembership(org: String, user: String) throws

    // Browser sign-in: one-time links, browser sessions, Firebase identities (see ``SessionIssuer``).
    func insertSignInLink(codeHash: String, userID: String, orgID: String, expiresAt: Int, createdAt: Int) throws
    /// The link's (user, org) while it is unused and unexpired, without using it.
    func signInLink(codeHash: String, now: Int) throws -> (userID: String, orgID: String)?
    /// Marks the link used and returns its (user, org); nil when unknown, used or expired.
    /// Atomic: of two concurrent uses exactly one gets the answer.
    func useSignInLink(codeHash: String, now: Int) throws -> (userID: String, orgID: String)?
    func insertWebSession(tokenHash: String, userID: String, orgID: String, source: String, expiresAt: Int, createdAt: Int) throws
    /// The live browser session for a token hash: (user, org), or nil when unknown, expired or revoked.
    func webSession(tokenHash: String, now: Int) throws -> (userID: String, orgID: String)?
    func revokeWebSession(tokenHash: String, at: Int) throws
    /// Revokes every API token and browser session of a user in an org; returns how many were live.
    @discardableResult
    func revokeSessions(userID: String, orgID: String, at: Int) throws -> Int
    func user(firebaseUID: String) throws -> User?
    func linkFirebase(uid: String, userID: String, at: Int) throws
    func memberships(user: String) throws -> [Membership]

    // Subscription mirror.
    func subscription(org: String) throws -> OrgSubscription?
    func saveSubscription(_ sub: OrgSubscription) throws
    func org(stripeCustomer: String) throws -> String?
    func org(stripeSubscription: String) throws -> String?

    // CRM objects.
    func insertLead(_ lead: Lead) throws
    func leads(org: String) throws -> [Lead]
    func insertProperty(_ p: Property) throws
    func properties(org: String) throws -> [Property]
    func countProperties(org: String) throws -> Int
    func countMembers(org: String) throws -> Int
    func insertUsage(_ u: UsageRecord) throws
    func usage(org: String, since: Int) throws -> [UsageRecord]

    // Idempotency keys of the app's own POST routes.
    /// The stored answer to an earlier request with this key (younger than `since`), if any.
    func idempotentResponse(org: String, key: String, since: Int) throws -> StoredResponse?
    func storeIdempotentResponse(org: String, key: String, _ response: StoredResponse, at: Int) throws

    // Invoices, webhooks, email.
    func upsertInvoice(_ invoice: Invoice) throws
    func invoices(org: String) throws -> [Invoice]
    /// Records an event id; false when it was already processed (a duplicate delivery).
    func markProcessed(eventID: String, type: String, at: Int) throws -> Bool
    func isProcessed(eventID: String) throws -> Bool
    /// Queues an email and returns its outbox id (its `send_email` job names it).
    @discardableResult
    func queueEmail(_ email: Email) throws -> Int
    func email(id: Int) throws -> (email: Email, sentAt: Int?)?
    /// Marks an email sent; false when it already was.
    func markEmailSent(id: Int, at: Int) throws -> Bool
    func emails(org: String) throws -> [Email]
    /// Subscriptions that are active, trialing or past_due, by plan.
    /// Subscriptions in one of `statuses`, by plan.
    func countSubscriptions(statuses: [String]) throws -> [String: Int]

    // Business metrics (see ``BusinessEvent``).
    func recordBusinessEvent(org: String, _ event: BusinessEvent, plan: String, at: Int) throws
    /// How many of each event, by plan.
    func businessEventCounts() throws -> [BusinessEvent: [String: Int]]
    /// Per organization on average: leads used in its current period, properties, seats.
    func averageUsage() throws -> [BillingPolicy.Resource: Double]

    // Background jobs (see ``QueuedJob``); the SQL is in `SQLBillingTransaction+Jobs.swift`.
    /// Queues a job to run from `at` on; false when a job for the same event id exists (the
    /// event was delivered before).
    func enqueueJob(kind: QueuedJob.Kind, orderKey: String, eventID: String?, payload: String, at: Int) throws -> Bool
    /// Claims the oldest job that may run at `now` (queued and due, or running with an expired
    /// lease) and has no earlier unfinished job with its order key; it is `running` for
    /// `worker` until `now + lease`. On PostgreSQL, rows other workers hold are skipped
    /// (`FOR UPDATE SKIP LOCKED`), so any number of workers share the queue.
    func claimJob(worker: String, now: Int, lease: Int) throws -> QueuedJob?
    /// Marks a claimed job done; false when `worker` no longer holds it (its lease expired and
    /// another worker claimed it).
    func finishJob(id: Int, worker: String, outcome: String, at: Int) throws -> Bool
    /// Records a failure: queued again at `retryAt`, or dead-lettered when `retryAt` is nil.
    func failJob(id: Int, worker: String, error: String, retryAt: Int?, at: Int) throws -> Bool
    func jobStats(now: Int) throws -> JobQueueStats
    /// Jobs in a status whose order key is one of `orderKeys` (an org's dead letters), newest first.
    func jobs(status: QueuedJob.Status, orderKeys: [String], limit: Int) throws -> [QueuedJob]
    func job(eventID: String) throws -> QueuedJob?
    /// Jobs that a drain still has to wait for at `now`: claimable (due, or with an expired
    /// lease, and not behind an unfinished job of their order key), and running under a live
    /// lease (another worker's).
    func pendingJobs(now: Int) throws -> (due: Int, running: Int)
}

/// The answer to a POST sent with an `Idempotency-Key`, replayed when the client retries.
public struct StoredResponse: Sendable, Equatable {
    /// Method, path and body of the request: a retry must send the same.
    public var fingerprint: String
    public var status: Int
    public var body: String

    public init(fingerprint: String, status: Int, body: String) {
        self.fingerprint = fingerprint
        self.status = status
        self.body = body
    }
}
