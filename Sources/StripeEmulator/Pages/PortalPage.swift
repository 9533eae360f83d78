import Foundation
import StripeEngine
import StripeWire

/// The hosted Billing Portal page of one portal session.
struct PortalPage {
    let ledger: Ledger
    let sessionID: String
    let alias: String

    var base: String { "/p/session/\(alias)/\(sessionID)" }

    func respond(method: String, rest: [String], form: [String: FormValue], query: [String: FormValue]) throws -> APIResponse {
        guard let session = try ledger.store.find(sessionID)?.object, session["object"] == "billing_portal.session" else {
            return HostedPages.notFound()
        }
        if method == "POST", rest == ["challenge"] { return try challengeAnswered(session, outcome: HostedPages.formString(form, "outcome") ?? "fail") }
        if method == "POST" { return try act(session, form: form) }
        return try show(session, flash: HostedPages.formString(query, "flash"), error: HostedPages.formString(query, "error"))
    }

    func act(_ session: JSONValue, form: [String: FormValue]) throws -> APIResponse {
        let subscription = HostedPages.formString(form, "subscription") ?? ""
        var action: PortalActions.Action?
        do {
            switch HostedPages.formString(form, "action") ?? "" {
            case "cancel": action = .cancel(subscription: subscription, reason: HostedPages.formString(form, "reason"), comment: nil)
            case "undo_cancel": action = .undoCancel(subscription: subscription)
            case "switch_plan": action = .switchPlan(subscription: subscription, price: HostedPages.formString(form, "price") ?? "")
            case "apply_promotion_code":
                action = .applyPromotionCode(subscription: subscription, code: HostedPages.formString(form, "promotion_code") ?? "")
            case "update_card":
                let testCard = HostedPages.formString(form, "test_card")
                let payment = try CardInput.payment(testCard ?? HostedPages.formString(form, "card"),
                                                    exp: testCard == nil ? HostedPages.formString(form, "exp") : nil, expMonth: nil, expYear: nil,
                                                    cvc: testCard == nil ? HostedPages.formString(form, "cvc") : nil, now: try ledger.now(clock: nil))
                guard case .card(let card) = payment else { return back(error: "Enter a card number or pick a test card.") }
                action = .updateCard(card)
            default:
                return back(error: "Unknown action.")
            }
            return back(flash: try PortalActions.perform(action!, session: session, ledger))
        } catch let refused as PortalActions.Refused {
            return back(error: refused.message)
        } catch let e as StripeError {
            return back(error: e.message)
        } catch let challenge as PortalActions.NeedsAuthentication {
            guard case .updateCard(let card, _, _)? = action else { return back(error: "Unknown action.") }
            var hidden = try ledger.store.hidden(sessionID)
            hidden["pending"] = ["card": card.hidden, "setup_intent": .string(challenge.setupIntent)]
            try ledger.store.setHidden(sessionID, hidden)
            return HostedPages.page(title: "Authenticate", template: "challenge", [
                "last4": card.last4, "action": "\(base)/challenge", "dueToday": "Saving the card for future payments",
            ])
        }
    }

    /// The customer answered the 3D Secure challenge of a card being saved.
    func challengeAnswered(_ session: JSONValue, outcome: String) throws -> APIResponse {
        var hidden = try ledger.store.hidden(sessionID)
        let pending = hidden["pending"]
        hidden["pending"] = nil
        try ledger.store.setHidden(sessionID, hidden)
        guard let card = Card(hidden: pending["card"]) else { return back(error: "Enter the card again.") }
        do {
            let action = PortalActions.Action.updateCard(card, authentication: outcome == "complete" ? "complete" : "fail",
                                                         setupIntent: pending["setup_intent"].stringValue)
            return back(flash: try PortalActions.perform(action, session: session, ledger))
        } catch let refused as PortalActions.Refused {
            return back(error: refused.message)
        }
    }

    func back(flash: String? = nil, error: String? = nil) -> APIResponse {
        var parts: [String] = []
        if let flash { parts.append("flash=" + FormEncoder.escape(flash)) }
        if let error { parts.append("error=" + FormEncoder.escape(error)) }
        return HostedPages.redirect(base + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&")))
    }

    func show(_ session: JSONValue, flash: String?, error: String?) throws -> APIResponse {
        let account = try AccountObject.read(ledger)
        let customerID = session["customer"].stringValue ?? ""
        let customer = try ledger.store.get(customerID, type: "customer")
        let config = try ledger.store.find(session["configuration"].stringValue ?? "")?.object ?? ["features": PortalConfiguration.defaultFeatures()]
        let features = config["features"]
        let subs = try ledger.store.all(type: "subscription", filters: [.column("customer", customerID)])
            .filter { !["canceled", "incomplete_expired"].contains($0["status"].stringValue ?? "") }.reversed()
        var subscriptions: [[String: Any]] = []
        for sub in subs {
            let item = SubscriptionEngine.items(sub).first ?? .null
            let price = item["price"]
            let currency = price["currency"].stringValue ?? "usd"
            let product = try SubscriptionEngine.product(of: price, ledger)
            let end = PriceMath.date(SubscriptionEngine.periodEnd(sub))
            let status = sub["status"].stringValue ?? ""
            let periodText: String
            if sub["cancel_at_period_end"] == true { periodText = "Cancels on \(end)" }
            else if status == "trialing" { periodText = "Trial ends on \(end)" }
            else if status == "paused" { periodText = "Paused" }
            else { periodText = "Renews on \(end)" }
            let next = SubscriptionEngine.items(sub).reduce(0) { $0 + PriceMath.amount($1["price"], quantity: $1["quantity"].intValue ?? 1) }
                + (try Invoicing.pendingItems(ledger, customer: customerID, subscription: sub["id"].stringValue)).reduce(0) { $0 + ($1["amount"].intValue ?? 0) }
            let options = PortalActions.allowedPrices(features, sub: sub, ledger).map { p -> [String: Any] in
                let name = (try? SubscriptionEngine.product(of: p, ledger))?["name"].stringValue ?? "Plan"
                return ["priceID": p["id"].stringValue ?? "", "current": p["id"] == price["id"],
                        "label": "\(name) · \(PriceMath.money(p["unit_amount"].intValue ?? 0, currency)) / \(p["recurring"]["interval"].stringValue ?? "month")"]
            }
            let reasons = features["subscription_cancel"]["cancellation_reason"]["enabled"] == true
                ? (features["subscription_cancel"]["cancellation_reason"]["options"].arrayValue?.compactMap(\.stringValue) ?? []) : []
            subscriptions.append([
                "id": sub["id"].stringValue ?? "", "action": base, "planName": product["name"].stringValue ?? "Plan",
                "priceText": "\(PriceMath.money(PriceMath.amount(price, quantity: item["quantity"].intValue ?? 1), currency)) / \(price["recurring"]["interval"].stringValue ?? "month")",
                "status": status.replacingOccurrences(of: "_", with: " "),
                "statusClass": ["active": "good", "trialing": "good", "past_due": "bad", "unpaid": "bad"][status] ?? "",
                "periodText": periodText,
                "nextInvoice": sub["cancel_at_period_end"] == true || status == "paused" ? "" : "\(PriceMath.money(max(0, next), currency)) on \(end)",
                "cancelPending": sub["cancel_at_period_end"] == true,
                "canCancel": features["subscription_cancel"]["enabled"] == true && sub["cancel_at_period_end"] != true,
                "cancelLabel": features["subscription_cancel"]["mode"] == "immediately" ? "Cancel plan now" : "Cancel plan at period end",
                "canSwitch": features["subscription_update"]["enabled"] == true && options.count > 1,
                "canRedeem": features["subscription_update"]["enabled"] == true && SubscriptionEngine.live.contains(status),
                "options": options, "reasons": reasons, "hasReasons": !reasons.isEmpty,
            ])
        }
        var card: [String: Any]? = nil
        if let pmID = customer["invoice_settings"]["default_payment_method"].stringValue, let pm = try ledger.store.find(pmID)?.object {
            let month = pm["card"]["exp_month"].intValue ?? 0
            card = ["brand": (pm["card"]["brand"].stringValue ?? "card").capitalized, "last4": pm["card"]["last4"].stringValue ?? "",
                    "exp": "\(month < 10 ? "0" : "")\(month)/\((pm["card"]["exp_year"].intValue ?? 0) % 100)"]
        }
        let invoices = try ledger.store.all(type: "invoice", filters: [.column("customer", customerID)])
            .filter { $0["status"] != "draft" }.reversed().prefix(24).map { inv -> [String: Any] in
                let currency = inv["currency"].stringValue ?? "usd"
                // Credit notes on the invoice, before and after payment.
                let credited = (inv["pre_payment_credit_notes_amount"].intValue ?? 0) + (inv["post_payment_credit_notes_amount"].intValue ?? 0)
                return ["date": PriceMath.date(inv["created"].intValue ?? 0), "number": inv["number"].stringValue ?? inv["id"].stringValue ?? "",
                        "amount": PriceMath.money(inv["total"].intValue ?? 0, currency),
                        "credited": credited > 0 ? "credited \(PriceMath.money(credited, currency))" : "",
                        "status": inv["status"].stringValue ?? "", "url": inv["hosted_invoice_url"].stringValue ?? ""]
            }
        let balance = customer["balance"].intValue ?? 0
        let balanceCurrency = customer["currency"].stringValue ?? "usd"
        var context: [String: Any] = [
            "merchant": account["settings"]["dashboard"]["display_name"].stringValue ?? AccountObject.defaultName, "customer": customer["email"].stringValue ?? customer["name"].stringValue ?? customerID,
            "subscriptions": subscriptions, "action": base, "testCards": HostedPages.testCards,
            "showCard": features["payment_method_update"]["enabled"] == true,
            "showInvoices": features["invoice_history"]["enabled"] == true,
            "invoices": Array(invoices), "hasInvoices": !invoices.isEmpty,
            "balanceText": balance < 0 ? "Credit balance: \(PriceMath.money(-balance, balanceCurrency)), applied to your next invoices."
                : (balance > 0 ? "Balance owed: \(PriceMath.money(balance, balanceCurrency)), added to your next invoice." : ""),
        ]
        if let card { context["card"] = card }
        if let url = session["return_url"].stringValue { context["returnURL"] = url }
        if let flash { context["flash"] = flash }
        if let error { context["error"] = error }
        return HostedPages.page(title: "Billing", template: "portal", brandColor: account["settings"]["branding"]["primary_color"].stringValue,
                                context)
    }
}
