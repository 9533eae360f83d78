/// The app's queries, written once for both backends over an ``SQLExecutor``.
struct SQLBillingTransaction: BillingTransaction {
    let sql: any SQLExecutor

    init(_ executor: any SQLExecutor) { sql = executor }

    func organization(_ id: String) throws -> Organization? {
        try sql.one("SELECT * FROM organizations WHERE id = ?", id).map {
            Organization(id: try $0.string("id"), name: try $0.string("name"), createdAt: try $0.int("created_at"))
        }
    }

    func insertOrganization(_ org: Organization) throws {
        try sql.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)", org.id, org.name, org.createdAt)
    }

    func user(email: String) throws -> User? {
        try sql.one("SELECT * FROM users WHERE email = ?", email.lowercased()).map {
            User(id: try $0.string("id"), email: try $0.string("email"), createdAt: try $0.int("created_at"))
        }
    }

    func insertUser(_ user: User) throws {
        try sql.execute("INSERT INTO users (id, email, created_at) VALUES (?, ?, ?)", user.id, user.email.lowercased(), user.createdAt)
    }

    func membership(org: String, user: String) throws -> Membership? {
        try sql.one("""
            SELECT m.org_id, m.user_id, m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = ? AND m.user_id = ?
            """, org, user).map(membership)
    }

    func membership(_ row: SQLRow) throws -> Membership {
        Membership(orgID: try row.string("org_id"), userID: try row.string("user_id"), email: try row.string("email"),
                   role: Role(rawValue: try row.string("role")) ?? .member)
    }

    func upsertMembership(_ m: Membership) throws {
        try sql.execute("""
            INSERT INTO memberships (org_id, user_id, role) VALUES (?, ?, ?)
            ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role
            """, m.orgID, m.userID, m.role.rawValue)
    }

    func members(org: String) throws -> [Membership] {
        try memberships(where: "m.org_id", is: org, orderBy: "email")
    }

    /// Memberships with their user's email, by one column of `memberships m`.
    func memberships(where column: String, is value: String, orderBy: String) throws -> [Membership] {
        try sql.all("""
            SELECT m.org_id, m.user_id, m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE \(column) = ? ORDER BY \(sql.dialect.byteOrder(orderBy))
            """, value).map(membership)
    }

    func insertSession(tokenHash: String, userID: String, orgID: String, expiresAt: Int, createdAt: Int) throws {
        try sql.execute("INSERT INTO sessions (token_hash, user_id, org_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                        tokenHash, userID, orgID, expiresAt, createdAt)
    }

    func session(tokenHash: String, now: Int) throws -> (userID: String, orgID: String)? {
        try sql.one("SELECT user_id, org_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?", tokenHash, now)
            .map(Self.userAndOrg)
    }

    func revokeSession(tokenHash: String, at: Int) throws {
        try sql.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ?", at, tokenHash)
    }

    func subscription(org: String) throws -> OrgSubscription? {
        try sql.one("SELECT * FROM subscriptions WHERE org_id = ?", org).map(subscription)
    }

    func subscription(_ r: SQLRow) throws -> OrgSubscription {
        OrgSubscription(orgID: try r.string("org_id"), plan: try r.string("plan"), status: try r.string("status"),
                        stripeCustomerID: r.optionalString("stripe_customer_id"), stripeSubscriptionID: r.optionalString("stripe_subscription_id"),
                        stripePriceID: r.optionalString("stripe_price_id"), currentPeriodStart: r.optionalInt("current_period_start"),
                        currentPeriodEnd: r.optionalInt("current_period_end"), trialEnd: r.optionalInt("trial_end"),
                        cancelAtPeriodEnd: try r.bool("cancel_at_period_end"), pastDueSince: r.optionalInt("past_due_since"),
                        leadsUsed: try r.int("leads_used"), usagePeriodStart: try r.int("usage_period_start"),
                        lastEventCreated: try r.int("last_event_created"))
    }

    func saveSubscription(_ s: OrgSubscription) throws {
        try sql.execute("""
            INSERT INTO subscriptions (org_id, plan, status, stripe_customer_id, stripe_subscription_id, stripe_price_id,
                current_period_start, current_period_end, trial_end, cancel_at_period_end, past_due_since, leads_used,
                usage_period_start, last_event_created)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (org_id) DO UPDATE SET plan = excluded.plan, status = excluded.status,
                stripe_customer_id = excluded.stripe_customer_id, stripe_subscription_id = excluded.stripe_subscription_id,
                stripe_price_id = excluded.stripe_price_id, current_period_start = excluded.current_period_start,
                current_period_end = excluded.current_period_end, trial_end = excluded.trial_end,
                cancel_at_period_end = excluded.cancel_at_period_end, past_due_since = excluded.past_due_since,
                leads_used = excluded.leads_used, usage_period_start = excluded.usage_period_start,
                last_event_created = excluded.last_event_created
            """, [s.orgID.sqlValue, s.plan.sqlValue, s.status.sqlValue, s.stripeCustomerID.sqlValue, s.stripeSubscriptionID.sqlValue,
                  s.stripePriceID.sqlValue, s.currentPeriodStart.sqlValue, s.currentPeriodEnd.sqlValue, s.trialEnd.sqlValue,
                  s.cancelAtPeriodEnd.sqlValue, s.pastDueSince.sqlValue, s.leadsUsed.sqlValue, s.usagePeriodStart.sqlValue,
                  s.lastEventCreated.sqlValue])
    }

    func org(stripeCustomer: String) throws -> String? {
        try sql.one("SELECT org_id FROM subscriptions WHERE stripe_customer_id = ?", stripeCustomer)?.optionalString("org_id")
    }

    func org(stripeSubscription: String) throws -> String? {
        try sql.one("SELECT org_id FROM subscriptions WHERE stripe_subscription_id = ?", stripeSubscription)?.optionalString("org_id")
    }

    func insertLead(_ l: Lead) throws {
        try sql.execute("INSERT INTO leads (id, org_id, name, email, created_at) VALUES (?, ?, ?, ?, ?)", l.id, l.orgID, l.name, l.email, l.createdAt)
    }

    func leads(org: String) throws -> [Lead] {
        try sql.all("SELECT * FROM leads WHERE org_id = ? ORDER BY created_at, \(sql.dialect.byteOrder("id"))", org).map {
            Lead(id: try $0.string("id"), orgID: try $0.string("org_id"), name: try $0.string("name"), email: $0.optionalString("email"),
                 createdAt: try $0.int("created_at"))
        }
    }

    func insertProperty(_ p: Property) throws {
        try sql.execute("INSERT INTO properties (id, org_id, title, address, created_at) VALUES (?, ?, ?, ?, ?)",
                        p.id, p.orgID, p.title, p.address, p.createdAt)
    }

    func properties(org: String) throws -> [Property] {
        try sql.all("SELECT * FROM properties WHERE org_id = ? ORDER BY created_at, \(sql.dialect.byteOrder("id"))", org).map {
            Property(id: try $0.string("id"), orgID: try $0.string("org_id"), title: try $0.string("title"), address: $0.optionalString("address"),
                     createdAt: try $0.int("created_at"))
        }
    }

    func countProperties(org: String) throws -> Int {
        try sql.count("SELECT COUNT(*) AS n FROM properties WHERE org_id = ?", org)
    }

    func countMembers(org: String) throws -> Int {
        try sql.count("SELECT COUNT(*) AS n FROM memberships WHERE org_id = ?", org)
    }

    func insertUsage(_ u: UsageRecord) throws {
        try sql.execute("INSERT INTO usage_records (org_id, resource, action, quantity, created_at) VALUES (?, ?, ?, ?, ?)",
                        u.orgID, u.resource, u.action, u.quantity, u.createdAt)
    }

    func usage(org: String, since: Int) throws -> [UsageRecord] {
        try sql.all("SELECT * FROM usage_records WHERE org_id = ? AND created_at >= ? ORDER BY id", org, since).map {
            UsageRecord(orgID: try $0.string("org_id"), resource: try $0.string("resource"), action: try $0.string("action"),
                        quantity: try $0.int("quantity"), createdAt: try $0.int("created_at"))
        }
    }

    func upsertInvoice(_ i: Invoice) throws {
        try sql.execute("""
            INSERT INTO invoices (stripe_invoice_id, org_id, number, amount_due, amount_paid, currency, status, hosted_invoice_url,
                invoice_pdf, period_start, period_end, paid_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (stripe_invoice_id) DO UPDATE SET number = excluded.number, amount_due = excluded.amount_due,
                amount_paid = excluded.amount_paid, status = excluded.status, hosted_invoice_url = excluded.hosted_invoice_url,
                invoice_pdf = excluded.invoice_pdf, period_start = excluded.period_start, period_end = excluded.period_end,
                paid_at = excluded.paid_at
            """, [i.stripeInvoiceID.sqlValue, i.orgID.sqlValue, i.number.sqlValue, i.amountDue.sqlValue, i.amountPaid.sqlValue,
                  i.currency.sqlValue, i.status.sqlValue, i.hostedInvoiceURL.sqlValue, i.invoicePDF.sqlValue, i.periodStart.sqlValue,
                  i.periodEnd.sqlValue, i.paidAt.sqlValue, i.createdAt.sqlValue])
    }

    func invoices(org: String) throws -> [Invoice] {
        try sql.all("SELECT * FROM invoices WHERE org_id = ? ORDER BY created_at DESC, \(sql.dialect.byteOrder("stripe_invoice_id")) DESC", org).map {
            Invoice(stripeInvoiceID: try $0.string("stripe_invoice_id"), orgID: try $0.string("org_id"), number: $0.optionalString("number"),
                    amountDue: try $0.int("amount_due"), amountPaid: try $0.int("amount_paid"), currency: try $0.string("currency"),
                    status: try $0.string("status"), hostedInvoiceURL: $0.optionalString("hosted_invoice_url"),
                    invoicePDF: $0.optionalString("invoice_pdf"), periodStart: $0.optionalInt("period_start"),
                    periodEnd: $0.optionalInt("period_end"), paidAt: $0.optionalInt("paid_at"), createdAt: try $0.int("created_at"))
        }
    }

    func idempotentResponse(org: String, key: String, since: Int) throws -> StoredResponse? {
        try sql.one("SELECT fingerprint, status, response FROM idempotent_requests WHERE org_id = ? AND key = ? AND created_at >= ?",
                    org, key, since).map {
            StoredResponse(fingerprint: try $0.string("fingerprint"), status: try $0.int("status"), body: try $0.string("response"))
        }
    }

    func storeIdempotentResponse(org: String, key: String, _ response: StoredResponse, at: Int) throws {
        try sql.execute("""
            INSERT INTO idempotent_requests (org_id, key, fingerprint, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (org_id, key) DO NOTHING
            """, org, key, response.fingerprint, response.status, response.body, at)
    }

    func markProcessed(eventID: String, type: String, at: Int) throws -> Bool {
        try !sql.all("""
            INSERT INTO processed_events (event_id, type, processed_at) VALUES (?, ?, ?)
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """, eventID, type, at).isEmpty
    }

    func isProcessed(eventID: String) throws -> Bool {
        try sql.one("SELECT event_id FROM processed_events WHERE event_id = ?", eventID) != nil
    }

    func queueEmail(_ e: Email) throws -> Int {
        try sql.one("INSERT INTO email_outbox (org_id, to_email, kind, subject, body, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    e.orgID, e.to, e.kind, e.subject, e.body, e.createdAt)?.int("id") ?? 0
    }

    func email(id: Int) throws -> (email: Email, sentAt: Int?)? {
        try sql.one("SELECT * FROM email_outbox WHERE id = ?", id).map {
            (Email(orgID: try $0.string("org_id"), to: try $0.string("to_email"), kind: try $0.string("kind"), subject: try $0.string("subject"),
                   body: try $0.string("body"), createdAt: try $0.int("created_at")), $0.optionalInt("sent_at"))
        }
    }

    func markEmailSent(id: Int, at: Int) throws -> Bool {
        try !sql.all("UPDATE email_outbox SET sent_at = ? WHERE id = ? AND sent_at IS NULL RETURNING id", at, id).isEmpty
    }

    func emails(org: String) throws -> [Email] {
        try sql.all("SELECT * FROM email_outbox WHERE org_id = ? ORDER BY id", org).map {
            Email(orgID: try $0.string("org_id"), to: try $0.string("to_email"), kind: try $0.string("kind"), subject: try $0.string("subject"),
                  body: try $0.string("body"), createdAt: try $0.int("created_at"))
        }
    }

    func countSubscriptions(statuses: [String]) throws -> [String: Int] {
        guard !statuses.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: statuses.count).joined(separator: ", ")
        var out: [String: Int] = [:]
        for row in try sql.fetch("SELECT plan, COUNT(*) AS n FROM subscriptions WHERE status IN (\(marks)) GROUP BY plan",
                                 statuses.map(\.sqlValue)) {
            out[try row.string("plan")] = try row.int("n")
        }
        return out
    }
}
