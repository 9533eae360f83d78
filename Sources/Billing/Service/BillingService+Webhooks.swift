import StripeWire

/// `POST /api/billing/webhooks`: verify, record the event as a job, answer. The job (run by a
/// worker, see `BillingService+Jobs`) re-reads where order matters, mirrors and notifies.
extension BillingService {
    public enum WebhookOutcome: Equatable, Sendable {
        /// Recorded as a job; a worker applies it.
        case queued(String)
        case processed(String)
        case duplicate(String)
        case ignored(String)

        /// The word the route answers and the job records.
        public var label: String {
            switch self {
            case .queued: "queued"
            case .processed: "processed"
            case .duplicate: "duplicate"
            case .ignored: "ignored"
            }
        }
    }

    /// Handles one delivery: verifies it and records it as a job (or recognizes a delivery seen
    /// before), and records its outcome and answer time in ``metrics``. Nothing here calls
    /// Stripe, so the answer comes at once whatever Stripe's latency.
    public func handleWebhook(payload: [UInt8], signature: String?) async throws -> WebhookOutcome {
        let started = ContinuousClock.now
        var eventType = "unverified"
        do {
            let outcome = try await receiveWebhook(payload: payload, signature: signature, eventType: &eventType)
            metrics.recordWebhookAnswer(eventType: eventType, queued: outcome.label == "queued", duration: ContinuousClock.now - started)
            return outcome
        } catch {
            metrics.recordWebhookRejected(eventType: eventType, duration: ContinuousClock.now - started)
            throw error
        }
    }

    /// `eventType` is set once the signature verified and the body parsed as an event.
    private func receiveWebhook(payload: [UInt8], signature: String?, eventType: inout String) async throws -> WebhookOutcome {
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
        return try await enqueue(event: event, id: id, payload: payload)
    }

    /// Applies a verified event (the `stripe_event` job): the per-type handlers below, with the
    /// two outcomes that need more than one transaction.
    func apply(_ event: JSONValue) async throws -> WebhookOutcome {
        guard let id = event["id"].stringValue, let type = event["type"].stringValue else {
            throw AppError(400, "invalid_payload", "The job's body is not a Stripe event.")
        }
        do {
            return try await process(event, id: id, type: type)
        } catch let extra as ExtraSubscription {
            // A second paid subscription from a parallel Checkout: cancel it, then handle the
            // event again (it now finds the subscription canceled, and records the event).
            try await endExtraSubscription(extra.id)
            do {
                return try await process(event, id: id, type: type)
            } catch is ExtraSubscription {
                throw AppError(503, "subscription_conflict", "The extra subscription \(extra.id) is not canceled yet; retry later.")
            }
        } catch let e as StripeCallError where e.isResourceMissing {
            // The object is gone from Stripe (a deleted test clock's subscription, a deleted
            // customer's objects): there is nothing to mirror, and no retry will bring it back.
            logger.notice("webhook about an object that no longer exists in Stripe: acknowledged and ignored",
                          metadata: ["event": "\(id)", "type": "\(type)", "error": "\(e)"])
            let now = clock.now()
            return try await store.write { tx in
                guard try tx.markProcessed(eventID: id, type: type, at: now) else { return .duplicate(id) }
                return .ignored(id)
            }
        }
    }

    /// Thrown inside the event's transaction (rolling it back) when a Checkout completed with a
    /// second live subscription for an org that already has one.
    struct ExtraSubscription: Error { let id: String }

    /// Handles a verified event once: re-reads what it is about from Stripe (outside any
    /// transaction), then applies it in one transaction that also records the event id.
    private func process(_ event: JSONValue, id: String, type: String) async throws -> WebhookOutcome {
        let object = event["data"]["object"]
        let created = event["created"].intValue ?? clock.now()
        if try await store.read({ tx in try tx.markProcessedCheck(id) }) { return .duplicate(id) }
        // A live event for a test-mode app (or the other way round) is not this app's business,
        // whoever signed it: recorded and ignored, never applied.
        if event["livemode"].boolValue != stripe.configuration.isLiveMode {
            logger.warning("webhook from the other mode ignored", metadata: ["event": "\(id)", "livemode": "\(event["livemode"])"])
            return try await store.write { tx in _ = try tx.markProcessed(eventID: id, type: type, at: self.clock.now()); return .ignored(id) }
        }

        // Fetch what is needed from Stripe before the transaction (no network inside it).
        var subscription: JSONValue? = nil
        var invoice: JSONValue? = nil
        var orgHint: String? = nil
        var sessionCustomer: String? = nil
        var deletedCustomer: String? = nil
        let kind = StripeEventType(rawValue: type)
        switch kind {
        case .checkoutSessionCompleted?:
            // Only what Stripe says now: the session re-read, the org from what the app set on it
            // (client_reference_id, metadata), checked against the org's own customer below.
            guard let sessionID = object["id"].stringValue else { break }
            let session = try await stripe.get("/v1/checkout/sessions/\(sessionID)")
            guard session["status"].stringValue == "complete", let subID = session["subscription"].stringValue else { break }
            orgHint = session["client_reference_id"].stringValue ?? session["metadata"]["org_id"].stringValue
            sessionCustomer = session["customer"].stringValue
            subscription = try await stripe.get("/v1/subscriptions/\(subID)")
        case .customerSubscriptionCreated?, .customerSubscriptionUpdated?, .customerSubscriptionDeleted?,
             .customerSubscriptionPaused?, .customerSubscriptionResumed?:
            // Events may arrive in any order: the subscription as it is now is the truth.
            if let subID = object["id"].stringValue { subscription = try await stripe.get("/v1/subscriptions/\(subID)") }
        case .customerSubscriptionTrialWillEnd?:
            // Re-read: the trial may have ended or been canceled since; the customer tells whether a card is on file.
            if let subID = object["id"].stringValue {
                subscription = try await stripe.get("/v1/subscriptions/\(subID)", [("expand[0]", "customer")])
            }
        case .invoiceCreated?, .invoiceFinalized?, .invoicePaid?, .invoicePaymentFailed?, .invoicePaymentActionRequired?,
             .invoiceVoided?, .invoiceMarkedUncollectible?, .invoiceUpdated?, .invoicePaymentSucceeded?:
            if let invID = object["id"].stringValue { invoice = try await stripe.get("/v1/invoices/\(invID)") }
        case .customerDeleted?:
            // Re-read: only a customer Stripe says is deleted (or no longer knows) is forgotten.
            if let customer = object["id"].stringValue {
                do {
                    if try await stripe.get("/v1/customers/\(customer)")["deleted"].boolValue == true { deletedCustomer = customer }
                } catch let e as StripeCallError where e.isResourceMissing {
                    deletedCustomer = customer
                }
            }
        default:
            return try await store.write { tx in _ = try tx.markProcessed(eventID: id, type: type, at: self.clock.now()); return .ignored(id) }
        }
        let now = clock.now()
        // The payload was past_due when the event was created: the payment had failed by then.
        let pastDueAt = object["object"].stringValue == "subscription" && object["status"].stringValue == "past_due" ? created : nil
        let subscriptionSnapshot = subscription, invoiceSnapshot = invoice, hint = orgHint, customerOfSession = sessionCustomer
        let forgotten = deletedCustomer
        return try await store.write { tx in
            guard try tx.markProcessed(eventID: id, type: type, at: now) else { return .duplicate(id) }
            if kind == .checkoutSessionCompleted, let sub = subscriptionSnapshot,
               !(try self.sessionBelongs(org: hint, customer: customerOfSession, subscription: sub, tx)) {
                self.logger.warning("checkout.session.completed for a session the org does not own: ignored",
                                    metadata: ["event": "\(id)", "org": "\(hint ?? "")", "customer": "\(customerOfSession ?? "")"])
                return .ignored(id)
            }
            if let sub = subscriptionSnapshot {
                let mirrored = try self.mirror(sub, tx, orgHint: hint, eventCreated: created, pastDueAt: pastDueAt)
                if mirrored.admission == .extra, kind == .checkoutSessionCompleted { throw ExtraSubscription(id: mirrored.subscriptionID) }
                if kind == .customerSubscriptionTrialWillEnd, mirrored.admission == .mirror, let row = mirrored.row {
                    if sub["status"].stringValue == "trialing" {
                        try self.notifyTrialEnding(org: row.orgID, subscription: sub, tx, now: now)
                    } else {
                        self.logger.notice("trial_will_end for a subscription no longer trialing: no reminder",
                                           metadata: ["subscription": "\(mirrored.subscriptionID)", "status": "\(sub["status"].stringValue ?? "")"])
                    }
                }
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
            if kind == .customerDeleted, let customer = forgotten {
                try self.forgetCustomer(customer, tx)
            }
            return .processed(id)
        }
    }

    /// Whether a completed Checkout's re-read session and subscription belong to `org`: the org
    /// exists, the session's customer is the org's own customer (the app made it and Checkout
    /// for it), and the subscription is that customer's with no other org in its metadata.
    func sessionBelongs(org: String?, customer: String?, subscription sub: JSONValue, _ tx: any BillingTransaction) throws -> Bool {
        guard let org, let customer, try tx.organization(org) != nil,
              try tx.subscription(org: org)?.stripeCustomerID == customer else { return false }
        let subCustomer = sub["customer"].stringValue ?? sub["customer"]["id"].stringValue
        let subOrg = sub["metadata"]["org_id"].stringValue
        return subCustomer == customer && (subOrg == nil || subOrg == org)
    }

    /// `customer.deleted`: Stripe ended the customer's subscriptions with it, so the org is on the
    /// free plan, and without a customer, so its next subscribe creates a new one.
    func forgetCustomer(_ customer: String, _ tx: any BillingTransaction) throws {
        guard let org = try tx.org(stripeCustomer: customer), var row = try tx.subscription(org: org) else { return }
        if row.hasLiveSubscription {
            row.status = "canceled"
            row.fallBackToFreePlan(policy.catalog.freePlan)
        }
        row.stripeCustomerID = nil
        try tx.saveSubscription(row)
        logger.notice("Stripe customer deleted: organization back on the free plan without a customer",
                      metadata: ["org": "\(org)", "customer": "\(customer)"])
    }

    func org(of object: JSONValue, _ tx: any BillingTransaction) throws -> String? {
        // An invoice names its subscription's metadata under `parent` since basil, at the top level before.
        if let org = object["metadata"]["org_id"].stringValue ?? object["parent"]["subscription_details"]["metadata"]["org_id"].stringValue
                ?? object["subscription_details"]["metadata"]["org_id"].stringValue,
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
            let plan = try tx.subscription(org: org)?.plan ?? policy.catalog.freePlan.id
            try tx.recordBusinessEvent(org: org, .paymentFailed, plan: plan, at: now)
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
            let id = try tx.queueEmail(Email(orgID: org, to: owner.email, kind: kind, subject: subject, body: body, createdAt: now))
            // Sent by a job after this transaction commits: never for a change rolled back.
            _ = try tx.enqueueJob(kind: .sendEmail, orderKey: "email:\(id)", eventID: nil, payload: String(id), at: now)
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
