/// The app's persistence, behind a small protocol so SQLite (the default) and PostgreSQL
/// (for several app servers) are interchangeable. Every multi-step change runs in one
/// transaction through ``write(_:)``.
public protocol BillingStore: Sendable {
    func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T
    func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T
    /// Every row of every app table (``TableDump/tables``), for scenario snapshots.
    func dumpTables() async throws -> [TableDump]
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
    func queueEmail(_ email: Email) throws
    func emails(org: String) throws -> [Email]
    /// Subscriptions that are active, trialing or past_due, by plan.
    /// Subscriptions in one of `statuses`, by plan.
    func countSubscriptions(statuses: [String]) throws -> [String: Int]
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
