import StripeWire

/// A customer's one discount (`customer.discount`, rendered whole): it applies to the customer's
/// invoices that have no discounts of their own, subscriptions' included.
package enum CustomerDiscount {
    /// Applies a coupon or promotion code to the customer, replacing any discount it had:
    /// `customer.discount.created`, or `customer.discount.updated` for a replacement. The caller
    /// saves the customer and reports `customer.updated`.
    package static func set(_ customer: inout JSONValue, _ request: DiscountRequest, now: Int, _ ledger: Ledger) throws {
        let old = customer["discount"]
        let id = customer["id"].stringValue
        let created = try DiscountRequest.apply([request], target: .init(customer: id), now: now, ledger)[0].discount
        customer["discount"] = created
        if old.isNull {
            try ledger.emit(.customerDiscountCreated, created)
        } else {
            try ledger.emit(.customerDiscountUpdated, created, previous: PreviousAttributes.of(old, created))
        }
    }

    /// Removes the customer's discount: `customer.discount.deleted`, `customer.updated`; the deleted discount.
    package static func remove(_ customer: inout JSONValue, _ ledger: Ledger) throws -> JSONValue {
        let discount = customer["discount"]
        guard !discount.isNull else {
            throw StripeError.invalidRequest("Customer \(customer["id"].stringValue ?? "") does not have a discount.", code: "resource_missing",
                                             status: 404)
        }
        let before = customer
        let deleted = try clear(&customer, ledger)
        try ledger.store.update(customer)
        try ledger.emitUpdate(.customerUpdated, before: before, after: customer)
        return deleted
    }

    /// Takes the discount off the customer (`customer.discount.deleted`); the caller saves the
    /// customer and reports `customer.updated`. Nothing happens when it has none.
    @discardableResult
    package static func clear(_ customer: inout JSONValue, _ ledger: Ledger) throws -> JSONValue {
        let discount = customer["discount"]
        guard !discount.isNull else { return nil }
        customer["discount"] = nil
        let deleted = Discounts.deletedStub(discount)
        try ledger.emit(.customerDiscountDeleted, deleted)
        return deleted
    }
}
