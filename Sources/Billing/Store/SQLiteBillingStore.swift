import Foundation
import GRDB
import StripeWire

/// The embedded default: SQLite through GRDB, a file (WAL mode) or a private in-memory database.
public struct SQLiteBillingStore: BillingStore {
    let writer: any DatabaseWriter

    public static func inMemory() throws -> SQLiteBillingStore { try SQLiteBillingStore(writer: DatabaseQueue()) }

    public static func file(_ path: String) throws -> SQLiteBillingStore {
        var config = Configuration()
        config.busyMode = .timeout(5)
        return try SQLiteBillingStore(writer: DatabasePool(path: path, configuration: config))
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try BillingSchema.migrator.migrate(writer)
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteBillingTransaction(db: db)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await writer.read { db in try body(SQLiteBillingTransaction(db: db)) }
    }

    public func dumpTables() async throws -> [TableDump] {
        try await writer.read { db in try Self.dump(db) }
    }

    /// Reads a SQLite file the app wrote (a scenario's `--database-url`), without migrating it.
    public static func dumpTables(ofFile path: String) throws -> [TableDump] {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: path, configuration: config).read { db in try dump(db) }
    }

    static func dump(_ db: Database) throws -> [TableDump] {
        try Self.snapshotTables.map { table in
            guard try db.tableExists(table) else { return TableDump(table: table, rows: []) }
            // Sessions are keyed by a hash of a random token: sort them by what is stable.
            let keys = table == "sessions" ? "created_at, user_id, org_id, expires_at"
                : try db.primaryKey(table).columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\" ORDER BY \(keys)")
            return TableDump(table: table, rows: rows.map { row in
                var object: [String: JSONValue] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case .null: object[column] = .null
                    case .int64(let i): object[column] = .int(Int(i))
                    case .double(let d): object[column] = .double(d)
                    case .string(let s): object[column] = .string(s)
                    case .blob(let b): object[column] = .string(b.base64EncodedString())
                    }
                }
                return .object(object)
            })
        }
    }
}

/// The schema, as migrations (the PostgreSQL store carries the same tables).
enum BillingSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
                CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
                CREATE TABLE memberships (
                    org_id TEXT NOT NULL REFERENCES organizations(id), user_id TEXT NOT NULL REFERENCES users(id),
                    role TEXT NOT NULL, PRIMARY KEY (org_id, user_id));
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
                    org_id TEXT NOT NULL REFERENCES organizations(id), expires_at INTEGER NOT NULL,
                    revoked_at INTEGER, created_at INTEGER NOT NULL);
                CREATE TABLE subscriptions (
                    org_id TEXT PRIMARY KEY REFERENCES organizations(id), plan TEXT NOT NULL, status TEXT NOT NULL,
                    stripe_customer_id TEXT UNIQUE, stripe_subscription_id TEXT UNIQUE, stripe_price_id TEXT,
                    current_period_start INTEGER, current_period_end INTEGER, trial_end INTEGER,
                    cancel_at_period_end INTEGER NOT NULL DEFAULT 0, past_due_since INTEGER,
                    leads_used INTEGER NOT NULL DEFAULT 0, usage_period_start INTEGER NOT NULL,
                    last_event_created INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE properties (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), title TEXT NOT NULL,
                    address TEXT, created_at INTEGER NOT NULL);
                CREATE INDEX properties_org ON properties(org_id);
                CREATE TABLE leads (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES organizations(id), name TEXT NOT NULL,
                    email TEXT, created_at INTEGER NOT NULL);
                CREATE INDEX leads_org ON leads(org_id);
                CREATE TABLE usage_records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, resource TEXT NOT NULL,
                    action TEXT NOT NULL, quantity INTEGER NOT NULL, created_at INTEGER NOT NULL);
                CREATE INDEX usage_org ON usage_records(org_id, created_at);
                CREATE TABLE invoices (
                    stripe_invoice_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, number TEXT, amount_due INTEGER NOT NULL,
                    amount_paid INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, hosted_invoice_url TEXT,
                    invoice_pdf TEXT, period_start INTEGER, period_end INTEGER, paid_at INTEGER, created_at INTEGER NOT NULL);
                CREATE INDEX invoices_org ON invoices(org_id, created_at);
                CREATE TABLE processed_events (event_id TEXT PRIMARY KEY, type TEXT NOT NULL, processed_at INTEGER NOT NULL);
                CREATE TABLE email_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, to_email TEXT NOT NULL, kind TEXT NOT NULL,
                    subject TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER);
                """)
        }
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE idempotent_requests (
                    org_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
                    response TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (org_id, key));
                """)
        }
        return m
    }
}

struct SQLiteBillingTransaction: BillingTransaction {
    let db: Database

    func organization(_ id: String) throws -> Organization? {
        try Row.fetchOne(db, sql: "SELECT * FROM organizations WHERE id = ?", arguments: [id]).map {
            Organization(id: $0["id"], name: $0["name"], createdAt: $0["created_at"])
        }
    }

    func insertOrganization(_ org: Organization) throws {
        try db.execute(sql: "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", arguments: [org.id, org.name, org.createdAt])
    }

    func user(email: String) throws -> User? {
        try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email.lowercased()]).map {
            User(id: $0["id"], email: $0["email"], createdAt: $0["created_at"])
        }
    }

    func insertUser(_ user: User) throws {
        try db.execute(sql: "INSERT INTO users (id, email, created_at) VALUES (?, ?, ?)", arguments: [user.id, user.email.lowercased(), user.createdAt])
    }

    func membership(org: String, user: String) throws -> Membership? {
        try Row.fetchOne(db, sql: """
            SELECT m.org_id, m.user_id, m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = ? AND m.user_id = ?
            """, arguments: [org, user]).map(membership)
    }

    func membership(_ row: Row) -> Membership {
        Membership(orgID: row["org_id"], userID: row["user_id"], email: row["email"], role: Role(rawValue: row["role"]) ?? .member)
    }

    func upsertMembership(_ m: Membership) throws {
        try db.execute(sql: """
            INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)
            ON CONFLICT(org_id, user_id) DO UPDATE SET role = excluded.role
            """, arguments: [m.orgID, m.userID, m.role.rawValue])
    }

    func members(org: String) throws -> [Membership] {
        try Row.fetchAll(db, sql: """
            SELECT m.org_id, m.user_id, m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = ? ORDER BY u.email
            """, arguments: [org]).map(membership)
    }

    func insertSession(tokenHash: String, userID: String, orgID: String, expiresAt: Int, createdAt: Int) throws {
        try db.execute(sql: "INSERT INTO sessions (token_hash, user_id, org_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [tokenHash, userID, orgID, expiresAt, createdAt])
    }

    func session(tokenHash: String, now: Int) throws -> (userID: String, orgID: String)? {
        try Row.fetchOne(db, sql: "SELECT user_id, org_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
                         arguments: [tokenHash, now]).map { ($0["user_id"], $0["org_id"]) }
    }

    func revokeSession(tokenHash: String, at: Int) throws {
        try db.execute(sql: "UPDATE sessions SET revoked_at = ? WHERE token_hash = ?", arguments: [at, tokenHash])
    }

    func subscription(org: String) throws -> OrgSubscription? {
        try Row.fetchOne(db, sql: "SELECT * FROM subscriptions WHERE org_id = ?", arguments: [org]).map(subscription)
    }

    func subscription(_ r: Row) -> OrgSubscription {
        OrgSubscription(orgID: r["org_id"], plan: r["plan"], status: r["status"], stripeCustomerID: r["stripe_customer_id"],
                        stripeSubscriptionID: r["stripe_subscription_id"], stripePriceID: r["stripe_price_id"],
                        currentPeriodStart: r["current_period_start"], currentPeriodEnd: r["current_period_end"],
                        trialEnd: r["trial_end"], cancelAtPeriodEnd: r["cancel_at_period_end"], pastDueSince: r["past_due_since"],
                        leadsUsed: r["leads_used"], usagePeriodStart: r["usage_period_start"], lastEventCreated: r["last_event_created"])
    }

    func saveSubscription(_ s: OrgSubscription) throws {
        try db.execute(sql: """
            INSERT INTO subscriptions (org_id, plan, status, stripe_customer_id, stripe_subscription_id, stripe_price_id,
                current_period_start, current_period_end, trial_end, cancel_at_period_end, past_due_since, leads_used,
                usage_period_start, last_event_created)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(org_id) DO UPDATE SET plan = excluded.plan, status = excluded.status,
                stripe_customer_id = excluded.stripe_customer_id, stripe_subscription_id = excluded.stripe_subscription_id,
                stripe_price_id = excluded.stripe_price_id, current_period_start = excluded.current_period_start,
                current_period_end = excluded.current_period_end, trial_end = excluded.trial_end,
                cancel_at_period_end = excluded.cancel_at_period_end, past_due_since = excluded.past_due_since,
                leads_used = excluded.leads_used, usage_period_start = excluded.usage_period_start,
                last_event_created = excluded.last_event_created
            """, arguments: [s.orgID, s.plan, s.status, s.stripeCustomerID, s.stripeSubscriptionID, s.stripePriceID,
                             s.currentPeriodStart, s.currentPeriodEnd, s.trialEnd, s.cancelAtPeriodEnd, s.pastDueSince,
                             s.leadsUsed, s.usagePeriodStart, s.lastEventCreated])
    }

    func org(stripeCustomer: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT org_id FROM subscriptions WHERE stripe_customer_id = ?", arguments: [stripeCustomer])
    }

    func org(stripeSubscription: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT org_id FROM subscriptions WHERE stripe_subscription_id = ?", arguments: [stripeSubscription])
    }

    func insertLead(_ l: Lead) throws {
        try db.execute(sql: "INSERT INTO leads (id, org_id, name, email, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [l.id, l.orgID, l.name, l.email, l.createdAt])
    }

    func leads(org: String) throws -> [Lead] {
        try Row.fetchAll(db, sql: "SELECT * FROM leads WHERE org_id = ? ORDER BY created_at, id", arguments: [org]).map {
            Lead(id: $0["id"], orgID: $0["org_id"], name: $0["name"], email: $0["email"], createdAt: $0["created_at"])
        }
    }

    func insertProperty(_ p: Property) throws {
        try db.execute(sql: "INSERT INTO properties (id, org_id, title, address, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [p.id, p.orgID, p.title, p.address, p.createdAt])
    }

    func properties(org: String) throws -> [Property] {
        try Row.fetchAll(db, sql: "SELECT * FROM properties WHERE org_id = ? ORDER BY created_at, id", arguments: [org]).map {
            Property(id: $0["id"], orgID: $0["org_id"], title: $0["title"], address: $0["address"], createdAt: $0["created_at"])
        }
    }

    func countProperties(org: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM properties WHERE org_id = ?", arguments: [org]) ?? 0
    }

    func countMembers(org: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM memberships WHERE org_id = ?", arguments: [org]) ?? 0
    }

    func insertUsage(_ u: UsageRecord) throws {
        try db.execute(sql: "INSERT INTO usage_records (org_id, resource, action, quantity, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [u.orgID, u.resource, u.action, u.quantity, u.createdAt])
    }

    func usage(org: String, since: Int) throws -> [UsageRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM usage_records WHERE org_id = ? AND created_at >= ? ORDER BY id", arguments: [org, since]).map {
            UsageRecord(orgID: $0["org_id"], resource: $0["resource"], action: $0["action"], quantity: $0["quantity"], createdAt: $0["created_at"])
        }
    }

    func upsertInvoice(_ i: Invoice) throws {
        try db.execute(sql: """
            INSERT INTO invoices (stripe_invoice_id, org_id, number, amount_due, amount_paid, currency, status, hosted_invoice_url,
                invoice_pdf, period_start, period_end, paid_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(stripe_invoice_id) DO UPDATE SET number = excluded.number, amount_due = excluded.amount_due,
                amount_paid = excluded.amount_paid, status = excluded.status, hosted_invoice_url = excluded.hosted_invoice_url,
                invoice_pdf = excluded.invoice_pdf, period_start = excluded.period_start, period_end = excluded.period_end,
                paid_at = excluded.paid_at
            """, arguments: [i.stripeInvoiceID, i.orgID, i.number, i.amountDue, i.amountPaid, i.currency, i.status,
                             i.hostedInvoiceURL, i.invoicePDF, i.periodStart, i.periodEnd, i.paidAt, i.createdAt])
    }

    func invoices(org: String) throws -> [Invoice] {
        try Row.fetchAll(db, sql: "SELECT * FROM invoices WHERE org_id = ? ORDER BY created_at DESC, stripe_invoice_id DESC",
                         arguments: [org]).map {
            Invoice(stripeInvoiceID: $0["stripe_invoice_id"], orgID: $0["org_id"], number: $0["number"], amountDue: $0["amount_due"],
                    amountPaid: $0["amount_paid"], currency: $0["currency"], status: $0["status"],
                    hostedInvoiceURL: $0["hosted_invoice_url"], invoicePDF: $0["invoice_pdf"], periodStart: $0["period_start"],
                    periodEnd: $0["period_end"], paidAt: $0["paid_at"], createdAt: $0["created_at"])
        }
    }

    func idempotentResponse(org: String, key: String, since: Int) throws -> StoredResponse? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT fingerprint, status, response FROM idempotent_requests WHERE org_id = ? AND key = ? AND created_at >= ?
            """, arguments: [org, key, since]) else { return nil }
        return StoredResponse(fingerprint: row["fingerprint"], status: row["status"], body: row["response"])
    }

    func storeIdempotentResponse(org: String, key: String, _ response: StoredResponse, at: Int) throws {
        try db.execute(sql: """
            INSERT OR IGNORE INTO idempotent_requests (org_id, key, fingerprint, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [org, key, response.fingerprint, response.status, response.body, at])
    }

    func markProcessed(eventID: String, type: String, at: Int) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO processed_events (event_id, type, processed_at) VALUES (?, ?, ?)",
                       arguments: [eventID, type, at])
        return db.changesCount > 0
    }

    func isProcessed(eventID: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_events WHERE event_id = ?", arguments: [eventID]) ?? false
    }

    func queueEmail(_ e: Email) throws {
        try db.execute(sql: "INSERT INTO email_outbox (org_id, to_email, kind, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [e.orgID, e.to, e.kind, e.subject, e.body, e.createdAt])
    }

    func emails(org: String) throws -> [Email] {
        try Row.fetchAll(db, sql: "SELECT * FROM email_outbox WHERE org_id = ? ORDER BY id", arguments: [org]).map {
            Email(orgID: $0["org_id"], to: $0["to_email"], kind: $0["kind"], subject: $0["subject"], body: $0["body"], createdAt: $0["created_at"])
        }
    }

    func countSubscriptions(byPlan: Bool) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT plan, COUNT(*) AS n FROM subscriptions WHERE status IN ('active', 'trialing', 'past_due') GROUP BY plan") {
            out[row["plan"]] = row["n"]
        }
        return out
    }

    func countSubscriptions(statuses: [String]) throws -> [String: Int] {
        guard !statuses.isEmpty else { return [:] }
        var out: [String: Int] = [:]
        let marks = Array(repeating: "?", count: statuses.count).joined(separator: ", ")
        for row in try Row.fetchAll(db, sql: "SELECT plan, COUNT(*) AS n FROM subscriptions WHERE status IN (\(marks)) GROUP BY plan",
                                    arguments: StatementArguments(statuses)) {
            out[row["plan"]] = row["n"]
        }
        return out
    }
}
