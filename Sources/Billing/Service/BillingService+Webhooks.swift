import StripeWire

/// `POST /api/billing/webhooks`: verify, dedupe, re-read where order matters, mirror, notify.
extension BillingService {
    public enum WebhookOutcome: Equatable, Sendable {
        case processed(String)
        case duplicate(String)
        case ignored(String)
    }

    /// Handles one delivery and records its outcome and processing time in ``metrics``.
    public func handleWebhook(payload: [UInt8], signature: String?) async throws -> WebhookOutcome {
        let started = ContinuousClock.now
        var eventType = "unverified"
        do {
            let outcome = try await processWebhook(payload: payload, signature: signature, eventType: &eventType)
            let label: AppMetrics.WebhookOutcome = switch outcome {
            case .processed: .processed
            case .duplicate: .duplicate
            case .ignored: .ignored
            }
            metrics.recordWebhook(eventType: eventType, outcome: label, duration: ContinuousClock.now - started)
            return outcome
        } catch {
            metrics.recordWebhook(eventType: eventType, outcome: .rejected, duration: ContinuousClock.now - started)
            throw error
        }
    }

    /// `eventType` is set once the signature verified and the body parsed as an event.
    private func processWebhook(payload: [UInt8], signature: String?, eventType: inout String) async throws -> WebhookOutcome {
        guard let secret = stripe.configuration.webhookSecret else {
            throw AppError(500, "not_configured", "STRIPE_WEBHOOK_SECRET is not set.")
        }
        guard let signature else { throw AppError(400, "missing_signature", "The Stripe-Signature header is missing.") }
        do {
            try WebhookSignature.verify(payload: payload, header: signature, secret: secret, now: clock.now(), tolerance: 300)
        } catch {
            throw AppError(400, "invalid_signature", "The webhook signature does not verify (\(error)).")
        }
        guard let event = try? JSONParser.parse(payload), let id = event["id"].stringValue, let type = event["type"].stringValue else {
            throw AppError(400, "invalid_payload", "The webhook body is not a Stripe event.")
        }
        eventType = type
        let object = event["data"]["object"]
        let created = event["created"].intValue ?? clock.now()
        if try await store.read({ tx in try tx.markProcessedCheck(id) }) { return .duplicate(id) }

        // Fetch what is needed from Stripe before the transaction (no network inside it).
        var subscription: JSONValue? = nil
        var invoice: JSONValue? = nil
        var orgHint: String? = nil
        switch StripeEventType(rawValue: type) {
        case .checkoutSessionCompleted?:
            orgHint = object["client_reference_id"].stringValue ?? object["metadata"]["org_id"].stringValue
            if let subID = object["subscription"].stringValue { subscription = try await stripe.get("/v1/subscriptions/\(subID)") }
        case .customerSubscriptionCreated?, .customerSubscriptionUpdated?, .customerSubscriptionDeleted?,
             .customerSubscriptionPaused?, .customerSubscriptionResumed?:
            // Events may arrive in any order: the subscription as it is now is the truth.
            if let subID = object["id"].stringValue { subscription = try await stripe.get("/v1/subscriptions/\(subID)") }
        case .invoiceCreated?, .invoiceFinalized?, .invoicePaid?, .invoicePaymentFailed?, .invoicePaymentActionRequired?,
             .invoiceVoided?, .invoiceMarkedUncollectible?, .invoiceUpdated?, .invoicePaymentSucceeded?:
            if let invID = object["id"].stringValue { invoice = try await stripe.get("/v1/invoices/\(invID)") }
        case .customerSubscriptionTrialWillEnd?:
            break
        default:
            return try await store.write { tx in _ = try tx.markProcessed(eventID: id, type: type, at: self.clock.now()); return .ignored(id) }
        }
        let now = clock.now()
        let subscriptionSnapshot = subscription, invoiceSnapshot = invoice, hint = orgHint
        return try await store.write { tx in
            guard try tx.markProcessed(eventID: id, type: type, at: now) else { return .duplicate(id) }
            if let sub = subscriptionSnapshot {
                _ = try self.mirror(sub, tx, orgHint: hint, eventCreated: created)
            }
            if let inv = invoiceSnapshot, let org = try self.org(of: inv, tx) {
                try tx.upsertInvoice(Invoice(
                    stripeInvoiceID: inv["id"].stringValue ?? "", orgID: org, number: inv["number"].stringValue,
                    amountDue: inv["amount_due"].intValue ?? 0, amountPaid: inv["amount_paid"].intValue ?? 0,
                    currency: inv["currency"].stringValue ?? "usd", status: inv["status"].stringValue ?? "draft",
                    hostedInvoiceURL: inv["hosted_invoice_url"].stringValue, invoicePDF: inv["invoice_pdf"].stringValue,
                    periodStart: inv["lines"]["data"][0]["period"]["start"].intValue, periodEnd: inv["lines"]["data"][0]["period"]["end"].intValue,
                    paidAt: inv["status_transitions"]["paid_at"].intValue, createdAt: inv["created"].intValue ?? now))
                try self.notify(type: type, org: org, invoice: inv, tx, now: now)
            }
            if type == StripeEventType.customerSubscriptionTrialWillEnd.rawValue, let org = try self.org(of: object, tx) {
                let end = object["trial_end"].intValue ?? now
                try self.queue(org: org, kind: "trial_ending", subject: "Your EFFINITY trial ends in \(max(0, (end - now + 86399) / 86400)) days",
                               body: "Your trial ends on \(Self.date(end)). Add a card to keep your plan.", tx, now: now)
            }
            return .processed(id)
        }
    }

    func org(of object: JSONValue, _ tx: any BillingTransaction) throws -> String? {
        if let org = object["metadata"]["org_id"].stringValue ?? object["parent"]["subscription_details"]["metadata"]["org_id"].stringValue,
           try tx.organization(org) != nil { return org }
        if let customer = object["customer"].stringValue, let org = try tx.org(stripeCustomer: customer) { return org }
        return nil
    }

    func notify(type: String, org: String, invoice: JSONValue, _ tx: any BillingTransaction, now: Int) throws {
        let amount = Self.money(invoice["amount_due"].intValue ?? 0, invoice["currency"].stringValue ?? "usd")
        switch StripeEventType(rawValue: type) {
        case .invoicePaid? where (invoice["amount_paid"].intValue ?? 0) > 0:
            try queue(org: org, kind: "payment_confirmation", subject: "Payment received: \(amount)",
                      body: "Thank you. Invoice \(invoice["number"].stringValue ?? "") is paid.", tx, now: now)
        case .invoicePaymentFailed?:
            try queue(org: org, kind: "payment_failed", subject: "Your payment of \(amount) failed",
                      body: "We could not charge your card. Update it in the billing dashboard to keep your plan.", tx, now: now)
        case .invoicePaymentActionRequired?:
            try queue(org: org, kind: "payment_action_required", subject: "Confirm your payment of \(amount)",
                      body: "Your bank asks you to confirm this payment: \(invoice["hosted_invoice_url"].stringValue ?? "")", tx, now: now)
        default:
            break
        }
    }

    func queue(org: String, kind: String, subject: String, body: String, _ tx: any BillingTransaction, now: Int) throws {
        for owner in try tx.members(org: org) where owner.role.managesBilling {
            try tx.queueEmail(Email(orgID: org, to: owner.email, kind: kind, subject: subject, body: body, createdAt: now))
        }
    }

    static func money(_ cents: Int, _ currency: String) -> String {
        let symbol = currency == "usd" ? "$" : currency.uppercased() + " "
        return "\(symbol)\(cents / 100).\(String(format: "%02d", cents % 100))"
    }

    static func date(_ t: Int) -> String {
        let (y, m, d) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }
}

extension BillingTransaction {
    /// Whether an event id was already processed (read-only check before fetching from Stripe).
    func markProcessedCheck(_ id: String) throws -> Bool { try isProcessed(eventID: id) }
}
