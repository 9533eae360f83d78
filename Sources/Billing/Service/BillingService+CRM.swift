import StripeWire

/// The CRM routes that consume plan limits. Each checks and counts in one transaction.
extension BillingService {
    public func createLead(org: String, name: String, email: String?) async throws -> Lead {
        let now = clock.now()
        let policy = self.policy
        return try await store.write { tx in
            var sub = try tx.subscription(org: org)
            let (used, periodStart) = sub.map { policy.leadUsage($0, now: now) } ?? (0, now)
            do throws(BillingPolicy.Refusal) { _ = try policy.guardResourceCreation(sub, resource: .lead, used: used, now: now) } catch {
                throw self.refusal(error)
            }
            let lead = Lead(id: ids.make("lead"), orgID: org, name: name, email: email, createdAt: now)
            try tx.insertLead(lead)
            // trackLeadCreation: a usage record and the period counter.
            try tx.insertUsage(UsageRecord(orgID: org, resource: "lead", action: "create", quantity: 1, createdAt: now))
            sub!.leadsUsed = used + 1
            sub!.usagePeriodStart = periodStart
            try tx.saveSubscription(sub!)
            return lead
        }
    }

    public func createProperty(org: String, title: String, address: String?) async throws -> Property {
        let now = clock.now()
        let policy = self.policy
        return try await store.write { tx in
            let used = try tx.countProperties(org: org)
            let sub = try tx.subscription(org: org)
            do throws(BillingPolicy.Refusal) { _ = try policy.guardResourceCreation(sub, resource: .property, used: used, now: now) } catch {
                throw self.refusal(error)
            }
            let property = Property(id: ids.make("prop"), orgID: org, title: title, address: address, createdAt: now)
            try tx.insertProperty(property)
            try tx.insertUsage(UsageRecord(orgID: org, resource: "property", action: "create", quantity: 1, createdAt: now))
            return property
        }
    }

    /// Adds a member (a seat).
    public func addMember(org: String, email: String, role: Role) async throws -> Membership {
        let now = clock.now()
        let policy = self.policy
        return try await store.write { tx in
            let user = try tx.user(email: email) ?? {
                let u = User(id: ids.make("usr", length: 12), email: email.lowercased(), createdAt: now)
                try tx.insertUser(u)
                return u
            }()
            if let existing = try tx.membership(org: org, user: user.id) {
                throw AppError(409, "already_member", "\(existing.email) is already a member.")
            }
            let used = try tx.countMembers(org: org)
            let sub = try tx.subscription(org: org)
            do throws(BillingPolicy.Refusal) { _ = try policy.guardResourceCreation(sub, resource: .seat, used: used, now: now) } catch {
                throw self.refusal(error)
            }
            let m = Membership(orgID: org, userID: user.id, email: user.email, role: role)
            try tx.upsertMembership(m)
            try tx.insertUsage(UsageRecord(orgID: org, resource: "seat", action: "create", quantity: 1, createdAt: now))
            return m
        }
    }

    /// The API error for a policy refusal; a limit reached is also counted in the metrics.
    func refusal(_ refusal: BillingPolicy.Refusal) -> AppError {
        if case .limitReached(let prompt) = refusal { metrics.recordLimitReached(resource: prompt.resource) }
        return AppError(refusal)
    }

    /// What the org has used against each limit.
    public func usage(org: String) async throws -> JSONValue {
        let now = clock.now()
        let policy = self.policy
        return try await store.read { tx in
            let sub = try tx.subscription(org: org)
            let plan = sub.flatMap { policy.planInForce($0) } ?? policy.catalog.freePlan
            let leads = sub.map { policy.leadUsage($0, now: now) } ?? (0, now)
            func entry(_ used: Int, _ limit: Int?) -> JSONValue {
                ["used": .int(used), "limit": .from(limit), "remaining": limit.map { .int(max(0, $0 - used)) } ?? .null]
            }
            return [
                "plan": .string(plan.id), "period_start": .int(leads.1),
                "leads": entry(leads.0, plan.limits.leadsPerPeriod),
                "properties": entry(try tx.countProperties(org: org), plan.limits.properties),
                "seats": entry(try tx.countMembers(org: org), plan.limits.seats),
            ]
        }
    }
}
