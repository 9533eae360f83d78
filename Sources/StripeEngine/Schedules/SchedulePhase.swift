import StripeWire

/// One phase of a subscription schedule as asked for: its items and how long it lasts
/// (`end_date`, or `iterations` billing periods of its first price; the last phase lasts one
/// period when it says neither).
package struct SchedulePhase {
    package struct Item {
        package var price: JSONValue
        package var quantity: Int
        package var metadata: JSONValue = [:]

        package init(price: JSONValue, quantity: Int, metadata: JSONValue = [:]) {
            self.price = price
            self.quantity = quantity
            self.metadata = metadata
        }
    }

    /// `add_invoice_items[N]`: a one-time price billed once, on the phase's first invoice.
    package struct AddInvoiceItem {
        package var price: JSONValue
        package var quantity: Int
        package var metadata: JSONValue = [:]
        package var taxRates: [JSONValue] = []

        package init(price: JSONValue, quantity: Int) {
            self.price = price
            self.quantity = quantity
        }
    }

    package var items: [Item]
    package var addInvoiceItems: [AddInvoiceItem] = []
    /// The phase's discounts as the phase renders them (`coupon`, `discount`, `promotion_code`).
    package var discounts: [JSONValue] = []
    /// `trial_end`: the phase's subscription trials until then.
    package var trialEnd: Int?
    /// `trial=true`: the whole phase is a trial (`trial_end` is the phase's end).
    package var trial = false
    package var iterations: Int?
    package var endDate: Int?
    package var prorationBehavior = "create_prorations"
    package var metadata: JSONValue = [:]
    package var description: String?
    package var defaultTaxRates: [JSONValue] = []

    package init(items: [Item]) { self.items = items }

    /// The phase's end when it starts at `start`.
    package func end(from start: Int) -> Int {
        if let endDate { return endDate }
        let recurring = items.first?.price["recurring"] ?? .null
        var t = start
        for _ in 0..<max(1, iterations ?? 1) { t = PriceMath.periodEnd(start: t, recurring: recurring, anchor: start) }
        return t
    }

    /// The phase as the schedule renders it (every field of Stripe's phase).
    package func json(start: Int, end: Int, currency: String) -> JSONValue {
        [
            "add_invoice_items": .array(addInvoiceItems.map {
                ["discounts": [], "metadata": $0.metadata,
                 "period": ["end": ["timestamp": nil, "type": "phase_end"], "start": ["timestamp": nil, "type": "phase_start"]],
                 "price": $0.price["id"], "quantity": .int($0.quantity), "tax_rates": .array($0.taxRates)]
            }),
            "application_fee_percent": nil, "automatic_tax": nil, "billing_cycle_anchor": nil,
            "billing_thresholds": nil, "collection_method": nil, "currency": .string(currency), "default_payment_method": nil,
            "default_tax_rates": .array(defaultTaxRates), "description": .from(description), "discounts": .array(discounts), "end_date": .int(end),
            "invoice_settings": nil,
            "items": .array(items.map {
                ["billing_thresholds": nil, "discounts": [], "metadata": $0.metadata, "price": $0.price["id"], "quantity": .int($0.quantity),
                 "tax_rates": []]
            }),
            "metadata": metadata, "on_behalf_of": nil, "proration_behavior": .string(prorationBehavior), "start_date": .int(start),
            "transfer_data": nil, "trial_end": trial ? .int(end) : .from(trialEnd),
        ]
    }
}
