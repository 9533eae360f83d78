import Foundation
import Testing
import StripeWire
@testable import Billing

/// The store protocol's behaviour, once for every backend: SQLite always, PostgreSQL when the
/// binary has the `Postgres` trait and `EFFINITY_TEST_DATABASE_URL` names a server (CI starts one).
/// Each test gets a database of its own (a temporary SQLite file, or a fresh PostgreSQL schema).
enum StoreBackend: String, CustomStringConvertible, CaseIterable, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    static var postgresURL: String? {
        BillingStores.hasPostgres ? ProcessInfo.processInfo.environment["EFFINITY_TEST_DATABASE_URL"] : nil
    }

    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// `EFFINITY_REQUIRE_POSTGRES=1` (set by `.ci/run` for its PostgreSQL run): the PostgreSQL
    /// backend must be there, or ``StoreTests/postgresBackendRuns()`` fails instead of skipping.
    static let postgresRequired = ProcessInfo.processInfo.environment["EFFINITY_REQUIRE_POSTGRES"] == "1"

    /// `count` stores on one database (as several app servers would open it), then cleanup.
    func withStores(_ count: Int = 1, _ body: ([any BillingStore]) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            var stores: [any BillingStore] = []
            for _ in 0..<count { stores.append(try SQLiteBillingStore.file(path)) }
            try await body(stores)
        case .postgres:
            let schema = "test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            var stores: [any BillingStore] = []
            for _ in 0..<count { stores.append(try await BillingStores.open(Self.postgresURL!, schema: schema)) }
            do { try await body(stores) } catch {
                for (i, s) in stores.enumerated() { await BillingStores.close(s, dropSchema: i == 0) }
                throw error
            }
            for (i, s) in stores.enumerated() { await BillingStores.close(s, dropSchema: i == 0) }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct StoreTests {
    static let t0 = 1_800_000_000

    /// Says whether the tests below ran on PostgreSQL too: skipped (with the reason shown) when
    /// they did not, failing when `EFFINITY_REQUIRE_POSTGRES=1` asked for PostgreSQL.
    @Test(.enabled(if: StoreBackend.postgresURL != nil || StoreBackend.postgresRequired,
                   "SKIP: PostgreSQL store tests not run (needs `--traits Postgres` and EFFINITY_TEST_DATABASE_URL)"))
    func postgresBackendRuns() async throws {
        #expect(BillingStores.hasPostgres, "EFFINITY_REQUIRE_POSTGRES=1, but this build lacks the Postgres trait")
        let url = try #require(StoreBackend.postgresURL, "EFFINITY_REQUIRE_POSTGRES=1, but EFFINITY_TEST_DATABASE_URL is not set")
        #expect(StoreBackend.available.contains(.postgres))
        let store = try await BillingStores.open(url, schema: "test_probe_" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        await BillingStores.close(store, dropSchema: true)
    }

    func seed(_ store: any BillingStore) async throws {
        try await store.write { tx in
            try tx.insertOrganization(Organization(id: "acme", name: "Acme", createdAt: Self.t0))
            try tx.insertOrganization(Organization(id: "beta", name: "Beta", createdAt: Self.t0))
            try tx.saveSubscription(.free(org: "acme", now: Self.t0))
            try tx.insertUser(User(id: "usr_2", email: "Zed@Acme.test", createdAt: Self.t0))
            try tx.insertUser(User(id: "usr_1", email: "ann@acme.test", createdAt: Self.t0))
            try tx.upsertMembership(Membership(orgID: "acme", userID: "usr_2", email: "", role: .member))
            try tx.upsertMembership(Membership(orgID: "acme", userID: "usr_1", email: "", role: .owner))
        }
    }

    @Test(arguments: StoreBackend.available)
    func organizationsUsersMembershipsAndSessions(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            try await seed(store)
            try await store.write { tx in
                #expect(try tx.organization("acme")?.name == "Acme")
                #expect(try tx.organization("nope") == nil)
                #expect(try tx.user(email: "ZED@acme.test")?.id == "usr_2")
                #expect(try tx.members(org: "acme").map(\.email) == ["ann@acme.test", "zed@acme.test"])
                try tx.upsertMembership(Membership(orgID: "acme", userID: "usr_2", email: "", role: .admin))
                #expect(try tx.membership(org: "acme", user: "usr_2")?.role == .admin)
                #expect(try tx.countMembers(org: "acme") == 2)
                try tx.insertSession(tokenHash: "h1", userID: "usr_1", orgID: "acme", expiresAt: Self.t0 + 100, createdAt: Self.t0)
                #expect(try tx.session(tokenHash: "h1", now: Self.t0 + 99)?.orgID == "acme")
                #expect(try tx.session(tokenHash: "h1", now: Self.t0 + 100) == nil)
                try tx.revokeSession(tokenHash: "h1", at: Self.t0 + 1)
                #expect(try tx.session(tokenHash: "h1", now: Self.t0 + 2) == nil)
            }
        }
    }

    /// Sign-in's queries: a link used once (of two stores racing, one wins), browser sessions,
    /// revoking a member's tokens and sessions together, removing a membership, Firebase uids.
    @Test(arguments: StoreBackend.available)
    func signInLinksBrowserSessionsAndRevocation(backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            let store = stores[0]
            try await seed(store)
            try await store.write { tx in
                try tx.insertSignInLink(codeHash: "c1", userID: "usr_1", orgID: "acme", expiresAt: Self.t0 + 900, createdAt: Self.t0)
                #expect(try tx.signInLink(codeHash: "c1", now: Self.t0 + 899)?.userID == "usr_1")
                #expect(try tx.signInLink(codeHash: "c1", now: Self.t0 + 900) == nil)
            }
            let uses = try await withThrowingTaskGroup(of: Bool.self) { group in
                for s in stores { group.addTask { try await s.write { tx in try tx.useSignInLink(codeHash: "c1", now: Self.t0 + 1) != nil } } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(uses.filter { $0 }.count == 1)
            try await store.write { tx in
                #expect(try tx.signInLink(codeHash: "c1", now: Self.t0 + 2) == nil)
                try tx.insertWebSession(tokenHash: "w1", userID: "usr_2", orgID: "acme", source: "link", expiresAt: Self.t0 + 100, createdAt: Self.t0)
                try tx.insertWebSession(tokenHash: "w2", userID: "usr_2", orgID: "acme", source: "firebase", expiresAt: Self.t0 + 100, createdAt: Self.t0)
                try tx.insertSession(tokenHash: "a1", userID: "usr_2", orgID: "acme", expiresAt: Self.t0 + 100, createdAt: Self.t0)
                try tx.insertSession(tokenHash: "a2", userID: "usr_1", orgID: "acme", expiresAt: Self.t0 + 100, createdAt: Self.t0)
                #expect(try tx.webSession(tokenHash: "w1", now: Self.t0 + 1)?.orgID == "acme")
                // An API token is not a browser session, nor the other way round.
                #expect(try tx.webSession(tokenHash: "a1", now: Self.t0 + 1) == nil)
                #expect(try tx.session(tokenHash: "w1", now: Self.t0 + 1) == nil)
                try tx.revokeWebSession(tokenHash: "w1", at: Self.t0 + 1)
                #expect(try tx.webSession(tokenHash: "w1", now: Self.t0 + 2) == nil)
                // w2 and a1 were live; usr_1's token is untouched.
                #expect(try tx.revokeSessions(userID: "usr_2", orgID: "acme", at: Self.t0 + 2) == 2)
                #expect(try tx.webSession(tokenHash: "w2", now: Self.t0 + 3) == nil)
                #expect(try tx.session(tokenHash: "a1", now: Self.t0 + 3) == nil)
                #expect(try tx.session(tokenHash: "a2", now: Self.t0 + 3)?.userID == "usr_1")
                try tx.deleteMembership(org: "acme", user: "usr_2")
                #expect(try tx.members(org: "acme").map(\.email) == ["ann@acme.test"])
                #expect(try tx.memberships(user: "usr_1").map(\.orgID) == ["acme"])
                try tx.linkFirebase(uid: "fb-1", userID: "usr_1", at: Self.t0)
                try tx.linkFirebase(uid: "fb-1", userID: "usr_1", at: Self.t0 + 5)
                #expect(try tx.user(firebaseUID: "fb-1")?.email == "ann@acme.test")
                #expect(try tx.user(firebaseUID: "fb-2") == nil)
            }
        }
    }

    @Test(arguments: StoreBackend.available)
    func subscriptionsRoundTripAndLookups(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            try await seed(store)
            var sub = OrgSubscription.free(org: "acme", now: Self.t0)
            sub.plan = "pro"; sub.status = "past_due"; sub.stripeCustomerID = "cus_1"; sub.stripeSubscriptionID = "sub_1"
            sub.currentPeriodStart = Self.t0; sub.currentPeriodEnd = Self.t0 + 2_592_000; sub.trialEnd = nil
            sub.cancelAtPeriodEnd = true; sub.pastDueSince = Self.t0 + 5; sub.leadsUsed = 7; sub.lastEventCreated = Self.t0 + 9
            let saved = sub
            try await store.write { tx in try tx.saveSubscription(saved) }
            let back = try await store.read { tx in try tx.subscription(org: "acme") }
            #expect(back == saved)
            #expect(try await store.read { tx in try tx.org(stripeCustomer: "cus_1") } == "acme")
            #expect(try await store.read { tx in try tx.org(stripeSubscription: "sub_1") } == "acme")
            #expect(try await store.read { tx in try tx.org(stripeSubscription: "sub_2") } == nil)
            #expect(try await store.read { tx in try tx.countSubscriptions(statuses: ["past_due"]) } == ["pro": 1])
        }
    }

    @Test(arguments: StoreBackend.available)
    func crmRowsInvoicesEventsEmailsAndIdempotency(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            try await seed(store)
            try await store.write { tx in
                try tx.insertLead(Lead(id: "lead_b", orgID: "acme", name: "B", email: nil, createdAt: Self.t0))
                try tx.insertLead(Lead(id: "lead_a", orgID: "acme", name: "A", email: "a@x.test", createdAt: Self.t0))
                try tx.insertLead(Lead(id: "lead_c", orgID: "beta", name: "C", email: nil, createdAt: Self.t0))
                try tx.insertProperty(Property(id: "prop_1", orgID: "acme", title: "Loft", address: nil, createdAt: Self.t0))
                try tx.insertUsage(UsageRecord(orgID: "acme", resource: "lead", action: "create", quantity: 1, createdAt: Self.t0))
                try tx.insertUsage(UsageRecord(orgID: "acme", resource: "lead", action: "create", quantity: 1, createdAt: Self.t0 + 10))
                let inv = Invoice(stripeInvoiceID: "in_1", orgID: "acme", number: nil, amountDue: 9900, amountPaid: 0, currency: "usd",
                                  status: "open", hostedInvoiceURL: nil, invoicePDF: nil, periodStart: Self.t0, periodEnd: nil,
                                  paidAt: nil, createdAt: Self.t0)
                try tx.upsertInvoice(inv)
                var paid = inv
                paid.status = "paid"; paid.amountPaid = 9900; paid.paidAt = Self.t0 + 60; paid.number = "X-1"
                try tx.upsertInvoice(paid)
                try tx.queueEmail(Email(orgID: "acme", to: "ann@acme.test", kind: "payment_failed", subject: "s", body: "b", createdAt: Self.t0))
                try tx.queueEmail(Email(orgID: "acme", to: "ann@acme.test", kind: "payment_confirmation", subject: "s", body: "b", createdAt: Self.t0))
            }
            try await store.read { tx in
                #expect(try tx.leads(org: "acme").map(\.id) == ["lead_a", "lead_b"])
                #expect(try tx.leads(org: "acme").first?.email == "a@x.test")
                #expect(try tx.countProperties(org: "acme") == 1)
                #expect(try tx.properties(org: "beta").isEmpty)
                #expect(try tx.usage(org: "acme", since: Self.t0 + 1).count == 1)
                let invoices = try tx.invoices(org: "acme")
                #expect(invoices.count == 1)
                #expect(invoices.first?.status == "paid" && invoices.first?.paidAt == Self.t0 + 60 && invoices.first?.number == "X-1")
                #expect(try tx.emails(org: "acme").map(\.kind) == ["payment_failed", "payment_confirmation"])
            }
            #expect(try await store.write { tx in try tx.markProcessed(eventID: "evt_1", type: "invoice.paid", at: Self.t0) })
            #expect(try await store.write { tx in try tx.markProcessed(eventID: "evt_1", type: "invoice.paid", at: Self.t0) } == false)
            #expect(try await store.read { tx in try tx.isProcessed(eventID: "evt_1") })
            let first = StoredResponse(fingerprint: "f", status: 201, body: "{}")
            try await store.write { tx in
                try tx.storeIdempotentResponse(org: "acme", key: "k", first, at: Self.t0)
                try tx.storeIdempotentResponse(org: "acme", key: "k", StoredResponse(fingerprint: "g", status: 200, body: "[]"), at: Self.t0)
            }
            #expect(try await store.read { tx in try tx.idempotentResponse(org: "acme", key: "k", since: Self.t0) } == first)
            #expect(try await store.read { tx in try tx.idempotentResponse(org: "acme", key: "k", since: Self.t0 + 1) } == nil)
        }
    }

    /// Both backends dump the same JSON for the same state: what lets one set of goldens hold for both.
    @Test(arguments: StoreBackend.available)
    func dumpsAreTypedAndOrderedAlike(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            try await seed(store)
            try await store.write { tx in
                try tx.insertLead(Lead(id: "lead_B", orgID: "acme", name: "B", email: nil, createdAt: Self.t0))
                try tx.insertLead(Lead(id: "lead_a", orgID: "acme", name: "a", email: "ä@x.test", createdAt: Self.t0))
                try tx.insertSession(tokenHash: "zz", userID: "usr_2", orgID: "acme", expiresAt: 5, createdAt: 1)
                try tx.insertSession(tokenHash: "aa", userID: "usr_1", orgID: "acme", expiresAt: 5, createdAt: 2)
            }
            let dump = Dictionary(uniqueKeysWithValues: try await store.dumpTables().map { ($0.table, $0.rows) })
            #expect(Set(dump.keys) == Set(TableDump.tables))
            // Byte order: "lead_B" (0x42) sorts before "lead_a" (0x61), whatever the server's locale.
            #expect(dump["leads"] == [
                ["id": "lead_B", "org_id": "acme", "name": "B", "email": nil, "created_at": .int(Self.t0)],
                ["id": "lead_a", "org_id": "acme", "name": "a", "email": "ä@x.test", "created_at": .int(Self.t0)],
            ])
            #expect(dump["sessions"]?.map { $0["token_hash"] } == ["zz", "aa"])
            #expect(dump["subscriptions"]?.first?["cancel_at_period_end"] == 0)
            #expect(dump["subscriptions"]?.first?["stripe_customer_id"] == .null)
            #expect(dump["users"]?.map { $0["id"] } == ["usr_1", "usr_2"])
        }
    }

    /// Two app servers (two stores, each with its own connections) on one database: 50
    /// concurrent lead creates at the limit never exceed it, and a webhook event delivered to
    /// both at once is processed exactly once.
    @Test(arguments: StoreBackend.available)
    func twoServersNeverExceedALimitOrProcessAnEventTwice(backend: StoreBackend) async throws {
        try await backend.withStores(2) { stores in
            try await seed(stores[0])
            let catalog = try BillingService.defaultCatalog()
            let limit = try #require(catalog.plan("free")?.limits.leadsPerPeriod)
            let services = stores.map { store in
                BillingService(store: store, stripe: StripeClient(configuration: StripeConfiguration(secretKey: "sk_test_unused")),
                               policy: BillingPolicy(catalog: catalog), clock: FixedClock(time: Self.t0), appURL: "")
            }
            let created = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<(limit + 25) {
                    group.addTask { (try? await services[i % 2].createLead(org: "acme", name: "Lead \(i)", email: nil)) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(created == limit)
            #expect(try await stores[1].read { tx in try tx.leads(org: "acme").count } == limit)
            #expect(try await stores[0].read { tx in try tx.subscription(org: "acme")?.leadsUsed } == limit)

            let firsts = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        (try? await stores[i % 2].write { tx in try tx.markProcessed(eventID: "evt_same", type: "invoice.paid", at: Self.t0) }) ?? false
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(firsts == 1)
        }
    }
}

struct FixedClock: AppClock {
    let time: Int
    func now() -> Int { time }
}
