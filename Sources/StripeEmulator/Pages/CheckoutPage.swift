import StripeEngine
import StripeWire

/// The hosted Checkout page of one session.
struct CheckoutPage {
    let ledger: Ledger
    let sessionID: String
    let alias: String

    var base: String { "/c/pay/\(alias)/\(sessionID)" }

    func respond(method: String, rest: [String], form: [String: FormValue]) throws -> APIResponse {
        guard let session = try ledger.store.find(sessionID)?.object, session["object"] == "checkout.session" else {
            return HostedPages.notFound()
        }
        switch (method, rest) {
        case ("GET", []):
            return try show(session)
        case ("POST", []):
            guard session["status"] == "open" else { return try show(session) }
            return try pay(session, form: form)
        case ("POST", ["challenge"]):
            return try challengeAnswered(session, outcome: HostedPages.formString(form, "outcome") ?? "fail")
        case ("GET", ["cancel"]):
            if let url = session["cancel_url"].stringValue { return HostedPages.redirect(url) }
            return HostedPages.page(title: "Canceled", template: "message",
                                    ["heading": "Payment canceled", "text": "Nothing was charged. You can close this page."])
        default:
            return HostedPages.notFound()
        }
    }

    func show(_ session: JSONValue, error: String? = nil, status: Int = 200) throws -> APIResponse {
        switch session["status"].stringValue {
        case "complete":
            return HostedPages.page(title: "Paid", template: "message", [
                "heading": "Thank you", "text": "This checkout is complete.",
                "link": successURL(session), "linkText": "Continue",
            ])
        case "expired":
            return HostedPages.page(status: 410, title: "Expired", template: "message", [
                "heading": "This checkout has expired", "text": "Start again from the site that sent you here.",
            ])
        default:
            break
        }
        let items = try ledger.store.hidden(sessionID)["line_items"].arrayValue ?? []
        let data = try ledger.store.hidden(sessionID)["subscription_data"]
        let currency = session["currency"].stringValue ?? "usd"
        let trialDays = data["trial_period_days"].intValue
        let mode = session["mode"].stringValue ?? "payment"
        var email = session["customer_email"].stringValue ?? ""
        if let c = session["customer"].stringValue { email = try ledger.store.stringField(c, "email") ?? email }
        let lineItems: [[String: Any]] = items.map { item in
            let price = item["price"]
            var text = PriceMath.money(price["unit_amount"].intValue ?? 0, currency)
            if price["type"] == "recurring" {
                let count = price["recurring"]["interval_count"].intValue ?? 1
                let interval = price["recurring"]["interval"].stringValue ?? "month"
                text += count == 1 ? " / \(interval)" : " every \(count) \(interval)s"
            }
            return ["name": item["description"].stringValue ?? "Item", "quantity": item["quantity"].intValue ?? 1, "priceText": text]
        }
        let recurringTotal = items.reduce(0) { $0 + ($1["amount_total"].intValue ?? 0) }
        let needsCard = CheckoutEngine.needsCard(session)
        let account = try AccountObject.read(ledger)
        let merchant = account["settings"]["dashboard"]["display_name"].stringValue ?? AccountObject.defaultName
        var context: [String: Any] = [
            "merchant": merchant,
            "headline": mode == "setup" ? "Save a card for later" : (trialDays != nil ? "Start your free trial" : "Pay \(merchant)"),
            "dueToday": mode == "setup" ? "No charge today" : "\(PriceMath.money(session["amount_total"].intValue ?? 0, currency)) due today",
            "lineItems": lineItems, "action": base, "email": email, "emailLocked": session["customer"].stringValue != nil,
            "collectsCard": true, "testCards": HostedPages.testCards,
            "formTitle": needsCard ? "Pay with card" : "Confirm",
            "allowPromotionCodes": session["allow_promotion_codes"] == true,
            "discountText": (session["total_details"]["amount_discount"].intValue ?? 0) > 0
                ? "Discount: −\(PriceMath.money(session["total_details"]["amount_discount"].intValue ?? 0, currency))" : "",
            "submitLabel": mode == "setup" ? "Save card" : (trialDays != nil ? "Start trial" : "Pay \(PriceMath.money(session["amount_total"].intValue ?? 0, currency))"),
        ]
        if let days = trialDays {
            let recurring = items.first { $0["price"]["type"] == "recurring" }?["price"]["recurring"] ?? .null
            let count = recurring["interval_count"].intValue ?? 1
            let interval = recurring["interval"].stringValue ?? "month"
            let per = count == 1 ? "a \(interval)" : "every \(count) \(interval)s"
            context["trialText"] = "\(days) days free, then \(PriceMath.money(recurringTotal, currency)) \(per). Cancel any time."
        }
        if !needsCard { context["formTitle"] = "No card needed for the trial (you can add one later)" }
        if let error { context["error"] = error }
        if session["cancel_url"].stringValue != nil { context["cancelURL"] = "\(base)/cancel" }
        return HostedPages.page(status: status, title: "Checkout", template: "checkout",
                                brandColor: account["settings"]["branding"]["primary_color"].stringValue, context)
    }

    func successURL(_ session: JSONValue) -> String {
        (session["success_url"].stringValue ?? "").replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: sessionID)
    }

    func pay(_ session: JSONValue, form: [String: FormValue]) throws -> APIResponse {
        let now = try ledger.now(clock: nil)
        let payment: CheckoutEngine.Payment
        do {
            payment = try CardInput.payment(HostedPages.formString(form, "test_card") ?? HostedPages.formString(form, "card"),
                                            exp: HostedPages.formString(form, "test_card") == nil ? HostedPages.formString(form, "exp") : nil,
                                            expMonth: nil, expYear: nil,
                                            cvc: HostedPages.formString(form, "test_card") == nil ? HostedPages.formString(form, "cvc") : nil,
                                            now: now)
        } catch let e as StripeError {
            return try show(session, error: e.message, status: 402)
        }
        if case .none = payment, CheckoutEngine.needsCard(session) {
            return try show(session, error: "Enter your card details, or pick a test card.", status: 400)
        }
        let email = HostedPages.formString(form, "email")
        let name = HostedPages.formString(form, "name")
        var session = session
        if let code = HostedPages.formString(form, "promotion_code"), !code.isEmpty {
            do {
                try CheckoutDiscount.enterCode(code, sessionID: sessionID, ledger)
                session = try ledger.store.find(sessionID)?.object ?? session
            } catch let e as StripeError {
                return try show(session, error: e.message, status: 400)
            }
        }
        return try finish(session, payment: payment, email: email, name: name, authenticated: false)
    }

    func finish(_ session: JSONValue, payment: CheckoutEngine.Payment, email: String?, name: String?, authenticated: Bool) throws -> APIResponse {
        let outcome: CheckoutEngine.Outcome
        do {
            outcome = try CheckoutEngine.complete(sessionID, payment: payment, email: email, name: name, authenticated: authenticated, ledger)
        } catch let e as StripeError {
            return try show(session, error: e.message, status: e.status)
        }
        switch outcome {
        case .completed(let done):
            return HostedPages.redirect(successURL(done))
        case .declined(let decline):
            return try show(session, error: decline.message, status: 402)
        case .requiresAuthentication:
            guard case .card(let card) = payment else {
                return try show(session, error: "This card needs authentication; enter it again.", status: 402)
            }
            var hidden = try ledger.store.hidden(sessionID)
            hidden["pending"] = ["card": card.hidden, "email": .from(email), "name": .from(name)]
            try ledger.store.setHidden(sessionID, hidden)
            return HostedPages.page(title: "Authenticate", template: "challenge", [
                "last4": card.last4, "action": "\(base)/challenge",
                "dueToday": PriceMath.money(session["amount_total"].intValue ?? 0, session["currency"].stringValue ?? "usd"),
            ])
        }
    }

    func challengeAnswered(_ session: JSONValue, outcome: String) throws -> APIResponse {
        var hidden = try ledger.store.hidden(sessionID)
        let pending = hidden["pending"]
        hidden["pending"] = nil
        try ledger.store.setHidden(sessionID, hidden)
        guard session["status"] == "open", let card = Card(hidden: pending["card"]) else { return try show(session) }
        guard outcome == "complete" else {
            try CheckoutEngine.keepFailedPayment(sessionID, payment: .card(card), email: pending["email"].stringValue,
                                                 name: pending["name"].stringValue, authenticationFailed: true, ledger)
            return try show(session, error: "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
                            status: 402)
        }
        return try finish(session, payment: .card(card), email: pending["email"].stringValue, name: pending["name"].stringValue,
                          authenticated: true)
    }
}
