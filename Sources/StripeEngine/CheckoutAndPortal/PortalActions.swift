import StripeWire

/// What a customer can do in the Billing Portal: the page and the control API both call these,
/// and each makes the same API changes (and so the same events) as on Stripe.
package enum PortalActions {
    package enum Action: Equatable {
        case cancel(subscription: String, reason: String?, comment: String?)
        case undoCancel(subscription: String)
        case switchPlan(subscription: String, price: String)
        /// The customer redeems a promotion code on a subscription (its discounts become that code's).
        case applyPromotionCode(subscription: String, code: String)
        /// `authentication` answers the 3D Secure challenge of a card that needs one to be set up
        /// (`complete` or `fail`); nil when the customer has not been challenged yet.
        /// `setupIntent` continues the one a challenge was shown for (the hosted page).
        case updateCard(Card, authentication: String? = nil, setupIntent: String? = nil)
    }

    /// The card needs the customer to authenticate before it can be saved (the page shows the
    /// challenge, the control API asks for `authentication`).
    package struct NeedsAuthentication: Error {
        package let setupIntent: String
    }

    package struct Refused: Error {
        package let message: String
    }

    package static func perform(_ action: Action, session: JSONValue, _ ledger: Ledger) throws -> String {
        let customerID = session["customer"].stringValue ?? ""
        let config = try ledger.store.find(session["configuration"].stringValue ?? "")?.object ?? PortalConfiguration.defaultFeatures()
        let features = config["features"].isNull ? config : config["features"]
        func subscription(_ id: String) throws -> JSONValue {
            guard let s = try ledger.store.find(id)?.object, s["object"] == "subscription", s["customer"].stringValue == customerID else {
                throw Refused(message: "That subscription does not belong to this customer.")
            }
            return s
        }
        switch action {
        case .cancel(let id, let reason, let comment):
            guard features["subscription_cancel"]["enabled"] == true else { throw Refused(message: "Cancelling is turned off in this portal.") }
            var sub = try subscription(id)
            if let reason {
                let allowed = features["subscription_cancel"]["cancellation_reason"]["options"].arrayValue?.compactMap(\.stringValue) ?? []
                guard allowed.contains(reason) else { throw Refused(message: "Unknown cancellation reason '\(reason)'.") }
            }
            if features["subscription_cancel"]["mode"] == "immediately" {
                if let reason { sub["cancellation_details"]["feedback"] = .string(reason) }
                if let comment { sub["cancellation_details"]["comment"] = .string(comment) }
                try SubscriptionEngine.cancelNow(&sub, reason: "cancellation_requested", ledger,
                                                 prorate: features["subscription_cancel"]["proration_behavior"] != "none")
                return "Your subscription has been canceled."
            }
            var change = SubscriptionChange()
            change.cancelAtPeriodEnd = true
            change.cancellationReason = .some("cancellation_requested")
            if let reason { change.cancellationFeedback = .some(reason) }
            if let comment { change.cancellationComment = .some(comment) }
            try SubscriptionEngine.update(&sub, change, ledger)
            return "Your subscription will end on \(PriceMath.date(SubscriptionEngine.periodEnd(sub)))."
        case .undoCancel(let id):
            var sub = try subscription(id)
            guard sub["cancel_at_period_end"] == true else { throw Refused(message: "This subscription is not set to cancel.") }
            var change = SubscriptionChange()
            change.cancelAtPeriodEnd = false
            try SubscriptionEngine.update(&sub, change, ledger)
            return "Your subscription will renew."
        case .applyPromotionCode(let id, let code):
            // Stripe turns promotion codes on in the portal's Dashboard settings, which its API does
            // not expose; here they come with plan changes (`features.subscription_update.enabled`).
            guard features["subscription_update"]["enabled"] == true else { throw Refused(message: "Promotion codes are turned off in this portal.") }
            var sub = try subscription(id)
            let now = try ledger.now(for: sub)
            guard let promo = try Discounts.activePromotionCode(code, ledger), let coupon = try ledger.store.find(Discounts.couponID(ofPromotionCode: promo))?.object else {
                throw Refused(message: "This code is invalid.")
            }
            do {
                try Discounts.checkPromotionCode(promo, customer: customerID, currency: sub["currency"].stringValue, amount: nil, now: now,
                                                 param: "promotion_code", ledger)
            } catch let e as StripeError {
                throw Refused(message: e.message)
            }
            var change = SubscriptionChange()
            change.discounts = [.coupon(coupon, promotionCode: promo)]
            change.prorationBehavior = "none"
            try SubscriptionEngine.update(&sub, change, ledger)
            return "Code \(promo["code"].stringValue ?? code) applied to your subscription."
        case .switchPlan(let id, let priceID):
            guard features["subscription_update"]["enabled"] == true else { throw Refused(message: "Changing plans is turned off in this portal.") }
            var sub = try subscription(id)
            guard let price = try ledger.store.find(priceID)?.object, price["object"] == "price", price["active"] != false else {
                throw Refused(message: "That plan is not available.")
            }
            guard allowedPrices(features, sub: sub, ledger).contains(where: { $0["id"] == price["id"] }) else {
                throw Refused(message: "That plan is not offered in this portal.")
            }
            if try scheduledAtPeriodEnd(features, sub: &sub, to: price, ledger) {
                let product = try SubscriptionEngine.product(of: price, ledger)
                return "You will move to \(product["name"].stringValue ?? "the new plan") on \(PriceMath.date(SubscriptionEngine.periodEnd(sub)))."
            }
            var change = SubscriptionChange()
            change.items = [SubscriptionChange.Item(id: SubscriptionEngine.items(sub).first?["id"].stringValue, price: price)]
            change.prorationBehavior = features["subscription_update"]["proration_behavior"].stringValue ?? "create_prorations"
            if sub["status"] == "trialing", features["subscription_update"]["trial_update_behavior"] == "end_trial" { change.trialEnd = .now }
            try SubscriptionEngine.update(&sub, change, ledger)
            let product = try SubscriptionEngine.product(of: price, ledger)
            return "You are now on \(product["name"].stringValue ?? "the new plan")."
        case .updateCard(let card, let authentication, let continued):
            guard features["payment_method_update"]["enabled"] == true else { throw Refused(message: "Updating cards is turned off in this portal.") }
            if let decline = card.behavior.declineOnAttach { throw Refused(message: decline.message) }
            let now = try ledger.now(clock: nil)
            // As Stripe's portal does: the card is saved through a SetupIntent for off-session use,
            // so a card that needs authentication unless set up is challenged here, once.
            var pm: JSONValue
            var si: JSONValue
            if let continued, let found = try ledger.store.find(continued)?.object, found["status"] == "requires_action",
               found["customer"].stringValue == customerID, let pmID = found["payment_method"].stringValue {
                si = found
                pm = try ledger.store.get(pmID, type: "payment_method")
            } else {
                pm = PaymentMethodObject.card(id: try ledger.newID("pm"), card: card, now: now)
                try ledger.store.insert(pm, type: "payment_method", hidden: card.hidden)
                si = try SetupIntentObject.new(ledger, now: now, customer: customerID, paymentMethod: pm["id"].stringValue)
                try ledger.store.insert(si, type: "setup_intent")
                try ledger.emit(.setupIntentCreated, si)
            }
            if card.behavior.authentication == .always || card.behavior.authentication == .unlessSetUp {
                switch authentication {
                case "complete":
                    break
                case "fail":
                    si["status"] = "requires_payment_method"
                    si["payment_method"] = nil
                    si["last_setup_error"] = [
                        "code": "setup_intent_authentication_failure",
                        "doc_url": "https://stripe.com/docs/error-codes/setup-intent-authentication-failure",
                        "message": "The latest attempt to set up the payment method has failed because authentication failed.",
                        "payment_method": pm, "type": "invalid_request_error",
                    ]
                    try ledger.store.update(si)
                    try ledger.emit(.setupIntentSetupFailed, si)
                    throw Refused(message: "We are unable to authenticate your payment method. Please choose a different payment method and try again.")
                default:
                    si["status"] = "requires_action"
                    si["next_action"] = ["type": "use_stripe_sdk", "use_stripe_sdk": [
                        "type": "three_d_secure_redirect",
                        "stripe_js": .string("\(ledger.settings.baseURL)/_emulator/authenticate/\(si["id"].stringValue!)"),
                    ]]
                    try ledger.store.update(si)
                    try ledger.emit(.setupIntentRequiresAction, si)
                    throw NeedsAuthentication(setupIntent: si["id"].stringValue!)
                }
            }
            si["next_action"] = nil
            pm["customer"] = .string(customerID)
            try ledger.store.update(pm)
            var hidden = try ledger.store.hidden(pm["id"].stringValue!)
            hidden["set_up"] = true
            try ledger.store.setHidden(pm["id"].stringValue!, hidden)
            try ledger.emit(.paymentMethodAttached, pm)
            si["status"] = "succeeded"
            try ledger.store.update(si)
            try ledger.emit(.setupIntentSucceeded, si)
            var customer = try ledger.store.get(customerID, type: "customer")
            let before = customer
            customer["invoice_settings"]["default_payment_method"] = pm["id"]
            try ledger.store.update(customer)
            try ledger.emitUpdate(.customerUpdated, before: before, after: customer)
            for var sub in try ledger.store.all(type: "subscription", filters: [.column("customer", customerID)])
            where SubscriptionEngine.live.contains(sub["status"].stringValue ?? "") && !sub["default_payment_method"].isNull {
                var change = SubscriptionChange()
                change.defaultPaymentMethod = .some(pm["id"].stringValue)
                try SubscriptionEngine.update(&sub, change, ledger)
            }
            return "Your card ending in \(card.last4) is now on file."
        }
    }

    /// The prices a subscription may switch to: those the configuration lists, or else every
    /// active recurring price with the same interval and currency.
    /// `features.subscription_update.schedule_at_period_end`: a switch that lowers the amount
    /// (`decreasing_item_amount`) or shortens the interval (`shortening_interval`) waits for the
    /// period end, through a subscription schedule whose second phase is the new price, as
    /// Stripe's portal does. Returns false when the switch applies now.
    static func scheduledAtPeriodEnd(_ features: JSONValue, sub: inout JSONValue, to price: JSONValue, _ ledger: Ledger) throws -> Bool {
        let conditions = Set((features["subscription_update"]["schedule_at_period_end"]["conditions"].arrayValue ?? []).compactMap { $0["type"].stringValue })
        guard !conditions.isEmpty, let item = SubscriptionEngine.items(sub).first else { return false }
        let old = item["price"], q = item["quantity"].intValue ?? 1
        func days(_ p: JSONValue) -> Int {
            let n = p["recurring"]["interval_count"].intValue ?? 1
            return n * (["day": 1, "week": 7, "month": 30, "year": 365][p["recurring"]["interval"].stringValue ?? "month"] ?? 30)
        }
        let decreasing = conditions.contains("decreasing_item_amount") && PriceMath.amount(price, quantity: q) < PriceMath.amount(old, quantity: q)
        let shortening = conditions.contains("shortening_interval") && days(price) < days(old)
        guard decreasing || shortening else { return false }
        var schedule: JSONValue
        if let existing = sub["schedule"].stringValue, let s = try ledger.store.find(existing)?.object, s["status"] == "active" {
            schedule = s
        } else {
            schedule = try ScheduleEngine.fromSubscription(&sub, ledger)
        }
        var current = SchedulePhase(items: SubscriptionEngine.items(sub).map {
            SchedulePhase.Item(price: $0["price"], quantity: $0["quantity"].intValue ?? 1, metadata: $0["metadata"])
        })
        current.endDate = SubscriptionEngine.periodEnd(sub)
        var next = SchedulePhase(items: [SchedulePhase.Item(price: price, quantity: q)])
        next.iterations = 1
        let before = schedule
        try ScheduleEngine.replacePhases(&schedule, [current, next], startDate: SubscriptionEngine.periodStart(sub), ledger)
        try ledger.store.update(schedule)
        try ledger.emitUpdate(.subscriptionScheduleUpdated, before: before, after: schedule)
        sub = try ledger.store.find(sub["id"].stringValue!)?.object ?? sub
        return true
    }

    package static func allowedPrices(_ features: JSONValue, sub: JSONValue, _ ledger: Ledger) -> [JSONValue] {
        let current = SubscriptionEngine.items(sub).first?["price"] ?? .null
        if let products = features["subscription_update"]["products"].arrayValue {
            let ids = Set(products.flatMap { $0["prices"].arrayValue?.compactMap(\.stringValue) ?? [] })
            return ids.sorted().compactMap { (try? ledger.store.find($0))??.object }
        }
        let all = (try? ledger.store.all(type: "price", filters: [.field("type", equals: "recurring"), .field("active", equals: .bool(true))])) ?? []
        return all.filter {
            $0["currency"] == current["currency"] && $0["recurring"]["interval"] == current["recurring"]["interval"]
                && $0["recurring"]["interval_count"] == current["recurring"]["interval_count"]
        }.sorted { ($0["unit_amount"].intValue ?? 0) < ($1["unit_amount"].intValue ?? 0) }
    }
}
