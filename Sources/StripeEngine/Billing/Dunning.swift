import GRDB
import StripeWire

/// What happens after a renewal payment fails: a deterministic retry schedule, then a configured
/// end state. Stripe's Smart Retries choose times by machine learning; this stand-in uses fixed
/// day offsets so a scenario gives the same result every run.
///
/// Default (per tenant, changeable through `POST /_emulator/settings`): 4 attempts in all, retries
/// 3, 5 and 6 days after the previous one (days 0, 3, 8 and 14); then the subscription is
/// canceled and the invoice left open. Hard declines (lost or stolen card, fraud, incorrect
/// number) and payments that need authentication are not retried: the end state applies when the
/// retry window (14 days) closes.
package struct DunningSettings: Equatable, Sendable {
    package var retryDays: [Int] = [3, 5, 6]
    /// `cancel`, `unpaid` or `past_due` (leave it).
    package var subscriptionEnd = "cancel"
    /// `open` (leave it) or `uncollectible`.
    package var invoiceEnd = "open"

    package var json: JSONValue {
        ["retry_days": .array(retryDays.map { .int($0) }), "subscription_end": .string(subscriptionEnd),
         "invoice_end": .string(invoiceEnd)]
    }

    package init() {}

    package init(json: JSONValue) {
        if let days = json["retry_days"].arrayValue { retryDays = days.compactMap(\.intValue) }
        subscriptionEnd = json["subscription_end"].stringValue ?? subscriptionEnd
        invoiceEnd = json["invoice_end"].stringValue ?? invoiceEnd
    }
}

package enum Dunning {
    package static let hardDeclineCodes: Set<String> = [
        "lost_card", "stolen_card", "fraudulent", "pickup_card", "incorrect_number", "revocation_of_authorization",
        "restricted_card", "invalid_account", "authentication_required",
    ]

    package static func isHard(_ decline: TestCards.Decline?) -> Bool {
        guard let decline else { return false }
        return hardDeclineCodes.contains(decline.declineCode ?? decline.code) || hardDeclineCodes.contains(decline.code)
    }

    package static func settings(_ ledger: Ledger) throws -> DunningSettings {
        let json = try AccountSettings.read(ledger)["dunning"]
        return json.isNull ? DunningSettings() : DunningSettings(json: json)
    }

    package static func save(_ settings: DunningSettings, _ ledger: Ledger) throws {
        try AccountSettings.write("dunning", settings.json, ledger)
    }

    /// When the next automatic attempt happens after the invoice's latest failure, or nil if none.
    package static func nextAttempt(after invoice: JSONValue, now: Int, hardDecline: Bool, _ ledger: Ledger) throws -> Int? {
        guard invoice["billing_reason"] != "subscription_create", invoice["collection_method"] == "charge_automatically",
              !hardDecline else { return nil }
        let attempts = invoice["attempt_count"].intValue ?? 1
        let days = try settings(ledger).retryDays
        guard attempts - 1 < days.count else { return nil }
        return now + days[attempts - 1] * 86400
    }

    /// After a failed renewal attempt: schedules the retry, or the end state when none is left.
    package static func afterFailure(invoice: JSONValue, _ ledger: Ledger) throws {
        let id = invoice["id"].stringValue!
        let clock = try ledger.clock(of: invoice)
        if let next = invoice["next_payment_attempt"].intValue {
            try Scheduler.reschedule(ledger, clock: clock, at: next, .retryInvoice, target: id)
            return
        }
        let settings = try settings(ledger)
        let attempts = invoice["attempt_count"].intValue ?? 1
        if attempts <= settings.retryDays.count {
            // Not retried (hard decline, authentication needed, no payment method after the window):
            // the end state applies when the retry window would have closed.
            let nowOnClock = try ledger.now(for: invoice)
            let created = invoice["status_transitions"]["finalized_at"].intValue ?? nowOnClock
            let windowEnd = created + settings.retryDays.reduce(0, +) * 86400
            try Scheduler.reschedule(ledger, clock: clock, at: max(windowEnd, nowOnClock), .dunningEnd, target: id)
        } else {
            var l = ledger
            try applyEndState(invoiceID: id, &l)
        }
    }

    /// Scheduled: an automatic retry of an open invoice.
    package static func retry(invoiceID: String, _ ledger: inout Ledger) throws {
        guard var invoice = try ledger.store.find(invoiceID)?.object, invoice["status"] == "open" else { return }
        if let subID = SubscriptionEngine.subscriptionID(of: invoice), let sub = try ledger.store.find(subID)?.object,
           ["canceled", "incomplete_expired"].contains(sub["status"].stringValue ?? "") { return }
        let result = try Invoicing.collect(&invoice, ledger, offSession: true)
        try SubscriptionEngine.afterCollection(invoice: invoice, result: result, ledger)
    }

    /// The configured end of dunning for the invoice's subscription and for the invoice itself.
    package static func applyEndState(invoiceID: String, _ ledger: inout Ledger) throws {
        guard var invoice = try ledger.store.find(invoiceID)?.object, invoice["status"] == "open" else { return }
        let settings = try settings(ledger)
        if let subID = SubscriptionEngine.subscriptionID(of: invoice), var sub = try ledger.store.find(subID)?.object,
           sub["status"] == "past_due" {
            switch settings.subscriptionEnd {
            case "cancel":
                try SubscriptionEngine.cancelNow(&sub, reason: "payment_failed", ledger)
            case "unpaid":
                let before = sub
                sub["status"] = "unpaid"
                try SubscriptionEngine.save(sub, ledger)
                try ledger.emitUpdate(.customerSubscriptionUpdated, before: before, after: sub)
            default:
                break
            }
        }
        invoice = try ledger.store.find(invoiceID)?.object ?? invoice
        if settings.invoiceEnd == "uncollectible", invoice["status"] == "open" {
            try Invoicing.markUncollectible(&invoice, ledger)
        }
    }
}
