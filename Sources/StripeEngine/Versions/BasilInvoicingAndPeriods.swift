import StripeWire

/// 2025-03-31.basil, the big one for billing: subscription periods moved to items; invoices got
/// `parent` and `payments` instead of `subscription`, `payment_intent`, `charge`, `paid`; line
/// items and invoice items got `parent` and `pricing` instead of `type`, `price`, `plan`,
/// `subscription_item`...; `charge.invoice` and `payment_intent.invoice` went away.
/// Backward: each removed field is rebuilt from its replacement.
package enum BasilInvoicingAndPeriods: VersionChange {
    package static let version = APIVersion("2025-03-31.basil")!
    package static let types: Set<String> = [
        "subscription", "subscription_item", "invoice", "line_item", "invoiceitem", "charge", "payment_intent", "price", "plan",
        "checkout.session", "credit_note", "credit_note_line_item",
    ]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        switch type {
        case "subscription":
            let items = o["items"]["data"].arrayValue ?? []
            let starts = items.compactMap { $0["current_period_start"].intValue }, ends = items.compactMap { $0["current_period_end"].intValue }
            o["current_period_start"] = starts.min().map { .int($0) } ?? .null
            o["current_period_end"] = ends.max().map { .int($0) } ?? .null
            o["discount"] = try singleDiscount(o, context)
            // The thresholds the subscription has (null when none): older versions show them.
            if o["billing_thresholds"] == .null { o["billing_thresholds"] = nil }
            remove(&o, ["billing_mode"])
        case "subscription_item":
            remove(&o, ["current_period_start", "current_period_end"])
            if o["billing_thresholds"] == .null { o["billing_thresholds"] = nil }
        case "invoice":
            let details = o["parent"]["subscription_details"]
            o["subscription"] = details["subscription"]
            o["subscription_details"] = o["parent"]["type"] == "subscription_details" ? ["metadata": details["metadata"]] : nil
            if let date = details["subscription_proration_date"].intValue { o["subscription_proration_date"] = .int(date) }
            o["quote"] = o["parent"]["quote_details"]["quote"]
            let payment = (o["payments"]["data"].arrayValue ?? []).last { $0["is_default"] == true && $0["payment"]["type"] == "payment_intent" }
            let piID = payment?["payment"]["payment_intent"].stringValue
            o["payment_intent"] = .from(piID)
            var charge: JSONValue = nil
            if let pi = try context.find(piID), pi["status"] == "succeeded" { charge = pi["latest_charge"] }
            o["charge"] = charge
            o["paid"] = .bool(o["status"] == "paid")
            o["paid_out_of_band"] = .bool(o["status"] == "paid" && piID == nil && (o["amount_due"].intValue ?? 0) > 0)
            let taxes = o["total_taxes"].arrayValue ?? []
            o["tax"] = taxes.isEmpty ? nil : .int(taxes.compactMap { $0["amount"].intValue }.reduce(0, +))
            o["total_tax_amounts"] = .array(taxes.map(taxAmount))
            o["discount"] = try singleDiscount(o, context)
            o["application_fee_amount"] = nil
            o["transfer_data"] = nil
            remove(&o, ["parent", "payments", "total_taxes", "amount_overpaid", "confirmation_secret"])
        case "line_item":
            let parent = o["parent"]
            let sub = parent["subscription_item_details"], item = parent["invoice_item_details"]
            let isSubscription = parent["type"] == "subscription_item_details"
            o["type"] = isSubscription ? "subscription" : "invoiceitem"
            o["subscription"] = isSubscription ? sub["subscription"] : item["subscription"]
            o["subscription_item"] = isSubscription ? sub["subscription_item"] : nil
            o["invoice_item"] = isSubscription ? sub["invoice_item"] : item["invoice_item"]
            o["proration"] = (isSubscription ? sub["proration"] : item["proration"]).boolValue.map { .bool($0) } ?? false
            o["proration_details"] = isSubscription ? sub["proration_details"] : item["proration_details"]
            let price = try context.find(o["pricing"]["price_details"]["price"].stringValue)
            o["price"] = price ?? nil
            o["plan"] = price.flatMap { $0["type"] == "recurring" ? plan(of: $0) : nil } ?? nil
            let lineTaxes = o["taxes"].arrayValue ?? []
            o["tax_amounts"] = .array(lineTaxes.map(taxAmount))
            o["tax_rates"] = .array(try lineTaxes.compactMap { try context.store.find($0["tax_rate_details"]["tax_rate"].stringValue ?? "")?.object })
            let inclusive = lineTaxes.filter { $0["tax_behavior"] == "inclusive" }.compactMap { $0["amount"].intValue }.reduce(0, +)
            o["amount_excluding_tax"] = .int((o["amount"].intValue ?? 0) - inclusive)
            o["unit_amount_excluding_tax"] = o["pricing"]["unit_amount_decimal"]
            o["discountable"] = o["discountable"].isNull ? true : o["discountable"]
            remove(&o, ["parent", "pricing", "taxes"])
        case "invoiceitem":
            let price = try context.find(o["pricing"]["price_details"]["price"].stringValue)
            o["price"] = price ?? nil
            o["plan"] = price.flatMap { $0["type"] == "recurring" ? plan(of: $0) : nil } ?? nil
            let decimal = o["pricing"]["unit_amount_decimal"].stringValue
            o["unit_amount_decimal"] = .from(decimal)
            o["unit_amount"] = decimal.flatMap { Double($0) }.map { .int(Int($0)) } ?? (price?["unit_amount"] ?? nil)
            o["subscription"] = o["parent"]["subscription_details"]["subscription"]
            o["subscription_item"] = o["parent"]["subscription_details"]["subscription_item"]
            remove(&o, ["parent", "pricing"])
        case "charge":
            o["invoice"] = .from(try context.invoice(ofPaymentIntent: o["payment_intent"].stringValue))
        case "payment_intent":
            o["invoice"] = .from(try context.invoice(ofPaymentIntent: o["id"].stringValue))
        case "price":
            // Legacy metered prices keep theirs; every other recurring price shows null.
            if case .object = o["recurring"], o["recurring"]["aggregate_usage"].stringValue == nil { o["recurring"]["aggregate_usage"] = nil }
        case "plan":
            if o["aggregate_usage"].stringValue == nil { o["aggregate_usage"] = nil }
        case "checkout.session":
            o["shipping_details"] = o["collected_information"]["shipping_details"]
        case "credit_note":
            let refunds = o["refunds"].arrayValue ?? []
            o["refund"] = refunds.count == 1 ? refunds[0]["refund"] : nil
            o["tax_amounts"] = .array((o["total_taxes"].arrayValue ?? []).map(taxAmount))
            remove(&o, ["refunds", "total_taxes"])
        case "credit_note_line_item":
            let taxes = o["taxes"].arrayValue ?? []
            o["tax_amounts"] = .array(taxes.map(taxAmount))
            let inclusive = taxes.filter { $0["tax_behavior"] == "inclusive" }.compactMap { $0["amount"].intValue }.reduce(0, +)
            o["amount_excluding_tax"] = .int((o["amount"].intValue ?? 0) - inclusive)
            o["unit_amount_excluding_tax"] = o["unit_amount_decimal"]
            remove(&o, ["taxes"])
        default:
            return
        }
    }

    /// Item-level period changes are reported at the subscription's level, as before basil:
    /// `previous_attributes.items` goes away when nothing but the periods changed in it.
    package static func downgradePrevious(_ previous: inout JSONValue, type: String, object: JSONValue, _ context: RenderContext) throws {
        // An invoice whose status changed was (or was not) `paid` before.
        if type == "invoice", let status = previous["status"].stringValue, object["status"] != previous["status"] {
            if (status == "paid") != (object["status"] == "paid") { previous["paid"] = .bool(status == "paid") }
        }
        guard type == "subscription", let items = previous["items"]["data"].arrayValue else { return }
        if let start = items.compactMap({ $0["current_period_start"].intValue }).min() { previous["current_period_start"] = .int(start) }
        if let end = items.compactMap({ $0["current_period_end"].intValue }).max() { previous["current_period_end"] = .int(end) }
        func withoutPeriods(_ list: [JSONValue]) -> [JSONValue] {
            list.map { item in
                var i = item
                remove(&i, ["current_period_start", "current_period_end"])
                return i
            }
        }
        let before = withoutPeriods(items), now = withoutPeriods(object["items"]["data"].arrayValue ?? [])
        if before == now { remove(&previous, ["items"]) } else { previous["items"]["data"] = .array(before) }
    }

    /// Pre-basil singular `discount`: the one discount, whole, when `discounts` has exactly one; else null.
    static func singleDiscount(_ o: JSONValue, _ context: RenderContext) throws -> JSONValue {
        guard let list = o["discounts"].arrayValue, list.count == 1 else { return nil }
        if case .object = list[0] { return list[0] }
        return try context.store.find(list[0].stringValue ?? "")?.object ?? nil
    }

    /// Pre-basil `total_tax_amounts[]` / `tax_amounts[]` from basil's `taxes[]`.
    static func taxAmount(_ t: JSONValue) -> JSONValue {
        ["amount": t["amount"], "inclusive": .bool(t["tax_behavior"] == "inclusive"), "tax_rate": t["tax_rate_details"]["tax_rate"],
         "taxability_reason": t["taxability_reason"], "taxable_amount": t["taxable_amount"]]
    }

    /// The plan-shaped view of a recurring price, as pre-basil line items embed it.
    package static func plan(of price: JSONValue) -> JSONValue {
        let r = price["recurring"]
        return [
            "id": price["id"], "object": "plan", "active": price["active"], "aggregate_usage": r["aggregate_usage"].stringValue.map { .string($0) } ?? nil,
            "amount": price["unit_amount"], "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": price["billing_scheme"], "created": price["created"], "currency": price["currency"],
            "interval": r["interval"], "interval_count": r["interval_count"], "livemode": false, "metadata": price["metadata"],
            "meter": r["meter"], "nickname": price["nickname"], "product": price["product"], "tiers_mode": price["tiers_mode"],
            "transform_usage": price["transform_quantity"], "trial_period_days": r["trial_period_days"], "usage_type": r["usage_type"],
        ]
    }
}

/// Removes keys from an object (a `nil` assignment would keep them as JSON null).
func remove(_ value: inout JSONValue, _ keys: [String]) {
    guard case .object(var o) = value else { return }
    for k in keys { o[k] = Optional<JSONValue>.none }
    value = .object(o)
}
