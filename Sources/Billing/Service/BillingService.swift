import Foundation
import Logging
import StripeWire

/// The EFFINITY app's billing: plans in Stripe, Checkout and Portal sessions, plan changes,
/// guarded resource creation, and the webhook receiver. HTTP routes and the dashboard call it.
public struct BillingService: Sendable {
    public let store: any BillingStore
    public let stripe: StripeClient
    public let policy: BillingPolicy
    public let clock: any AppClock
    /// The app's public base URL, for Checkout and Portal return URLs.
    public let appURL: String
    /// The app's own ids: random, or sequential for deterministic scenarios.
    public let ids: AppIDs
    /// This instance's metrics (its own registry; see ``AppMetrics``), served at `/metrics`.
    public let metrics: AppMetrics
    /// Organizations whose Checkout is being opened by this process: a second one at the same
    /// time is a 409, so two requests cannot both open a payable session (the webhook receiver
    /// settles what still races past, from another app server: ``endExtraSubscription(_:)``).
    let checkoutsInFlight = InFlightKeys()
    /// Retries, backoff and lease of the background jobs (``JobWorker``).
    public let jobPolicy: JobRetryPolicy
    /// Where queued emails go (the `send_email` job).
    public let emailSender: any EmailSender
    /// Wakes this process's ``JobWorker`` when the webhook route queues a job.
    public let jobSignal = JobSignal()
    let logger: Logger

    public init(store: any BillingStore, stripe: StripeClient, policy: BillingPolicy, clock: any AppClock = SystemAppClock(),
                appURL: String, ids: AppIDs = AppIDs(), metrics: AppMetrics = AppMetrics(), jobPolicy: JobRetryPolicy = JobRetryPolicy(),
                emailSender: (any EmailSender)? = nil, logger: Logger = Logger(label: "effinity.app")) {
        self.store = MeteredBillingStore(store, metrics: metrics)
        self.metrics = metrics
        self.jobPolicy = jobPolicy
        self.emailSender = emailSender ?? LogEmailSender(logger: logger)
        self.stripe = stripe.observed(by: metrics)
        self.policy = policy
        self.clock = clock
        self.appURL = appURL
        self.ids = ids
        self.logger = logger
    }

    public static func defaultCatalog() throws -> PlanCatalog {
        guard let url = Bundle.module.url(forResource: "plans", withExtension: "json") else {
            throw PlanCatalog.Invalid(description: "plans.json is missing from the app's resources")
        }
        return try PlanCatalog(json: Data(contentsOf: url))
    }

    // MARK: Plans in Stripe

    /// Makes sure every paid plan has a product and a recurring price in Stripe, found by `lookup_key`
    /// (so restarts and several app servers never duplicate them). Returns plan id -> price id.
    @discardableResult
    public func ensurePlans() async throws -> [String: String] {
        var prices: [String: String] = [:]
        let paid = policy.catalog.plans.filter { !$0.isFree }
        var query: [(String, FormValue)] = [("limit", "100")]
        for (i, p) in paid.enumerated() { query.append(("lookup_keys[\(i)]", .string(p.lookupKey))) }
        let existing = try await stripe.get("/v1/prices", query)
        for price in existing["data"].arrayValue ?? [] {
            if let key = price["lookup_key"].stringValue, let plan = paid.first(where: { $0.lookupKey == key }) {
                prices[plan.id] = price["id"].stringValue
            }
        }
        for plan in paid where prices[plan.id] == nil {
            var recurring: [String: FormValue] = ["interval": .string(plan.interval)]
            if plan.intervalCount != 1 { recurring["interval_count"] = .string(String(plan.intervalCount)) }
            let price = try await stripe.post("/v1/prices", [
                ("currency", .string(plan.currency)), ("unit_amount", .string(String(plan.priceCents))),
                ("recurring", .dict(recurring)), ("lookup_key", .string(plan.lookupKey)),
                ("transfer_lookup_key", "true"),
                ("product_data", .dict(["name": .string("EFFINITY \(plan.name)"), "metadata": .dict(["plan": .string(plan.id)])])),
                ("metadata", .dict(["plan": .string(plan.id)])),
            ], idempotencyKey: "effinity-plan-\(plan.lookupKey)-\(plan.priceCents)")
            prices[plan.id] = price["id"].stringValue
        }
        return prices
    }

    func priceID(for plan: Plan) async throws -> String {
        let found = try await stripe.get("/v1/prices", [("lookup_keys[0]", .string(plan.lookupKey))])
        if let id = found["data"][0]["id"].stringValue { return id }
        return try await ensurePlans()[plan.id] ?? ""
    }

    func plan(forLookupKey key: String?) -> Plan? {
        policy.catalog.plans.first { $0.lookupKey == key }
    }

    // MARK: Organizations

    /// Creates what is missing (user, organization with a free plan, membership) and returns them.
    public func ensureMember(email: String, org: String, role: Role, orgName: String? = nil) async throws -> (User, Organization, Membership) {
        let now = clock.now()
        return try await store.write { tx in
            let user = try tx.user(email: email) ?? {
                let u = User(id: ids.make("usr", length: 12), email: email.lowercased(), createdAt: now)
                try tx.insertUser(u)
                return u
            }()
            let organization = try tx.organization(org) ?? {
                let o = Organization(id: org, name: orgName ?? org, createdAt: now)
                try tx.insertOrganization(o)
                try tx.saveSubscription(.free(org: org, now: now))
                return o
            }()
            let membership = Membership(orgID: org, userID: user.id, email: user.email, role: role)
            try tx.upsertMembership(membership)
            return (user, organization, membership)
        }
    }

    /// A new opaque session token; only its SHA-256 is stored.
    public func createSession(userID: String, orgID: String, ttl: Int = 30 * 86400) async throws -> String {
        let token = "eff_" + Self.token(40)
        let hash = Self.hash(token)
        let now = clock.now()
        try await store.write { tx in try tx.insertSession(tokenHash: hash, userID: userID, orgID: orgID, expiresAt: now + ttl, createdAt: now) }
        return token
    }

    static func hash(_ token: String) -> String { Digest.hex(Digest.sha256(Array(token.utf8))) }

    static func token(_ n: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }
}

extension BillingService {
    /// An organization on the free plan, if it does not exist yet (scenarios list orgs without users).
    public func ensureOrganization(id: String, name: String) async throws {
        let now = clock.now()
        try await store.write { tx in
            guard try tx.organization(id) == nil else { return }
            try tx.insertOrganization(Organization(id: id, name: name, createdAt: now))
            try tx.saveSubscription(.free(org: id, now: now))
        }
    }
}
