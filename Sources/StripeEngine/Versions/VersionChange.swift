import StripeWire

/// One breaking change of Stripe's API, the way Stripe describes its own: the version that
/// introduced it, the object types it touches, and how to turn an object of the newer shape into
/// the shape it had before. A reader at an older version gets an object walked down through
/// every change newer than its version, newest first (``VersionRenderer``).
package protocol VersionChange: Sendable {
    /// The first version with the new shape.
    static var version: APIVersion { get }
    /// The `object` types it changes.
    static var types: Set<String> { get }
    /// Rewrites `object` (of one of ``types``, already at this change's version) into the shape
    /// of the version before. Nested objects are walked separately.
    static func downgrade(_ object: inout JSONValue, type: String, _ context: RenderContext) throws
    /// Rewrites an event's `previous_attributes` for an object of `type` (the old values of the
    /// fields that changed) into the old shape: renamed fields get their old names. The default
    /// does nothing, for changes that add or remove fields no update event reports.
    static func downgradePrevious(_ previous: inout JSONValue, type: String, object: JSONValue, _ context: RenderContext) throws
}

extension VersionChange {
    package static func downgradePrevious(_ previous: inout JSONValue, type: String, object: JSONValue, _ context: RenderContext) throws {}
}

/// What a change may need to read: other objects of the account (a line item's price, the
/// charges of a payment intent, the invoice a payment belongs to).
package struct RenderContext {
    package let store: ObjectStore

    package init(store: ObjectStore) { self.store = store }

    package func find(_ id: String?) throws -> JSONValue? {
        guard let id, let row = try store.find(id), !row.deleted else { return nil }
        return row.object
    }

    /// The invoice that has this payment intent as a payment (pre-basil `payment_intent.invoice`, `charge.invoice`).
    package func invoice(ofPaymentIntent pi: String?) throws -> String? {
        guard let pi else { return nil }
        return try store.all(type: "invoice_payment", filters: [.field("payment.payment_intent", equals: .string(pi))])
            .first?["invoice"].stringValue
    }

    /// A payment intent's charges, newest first (pre-2022-11-15 `payment_intent.charges`).
    package func charges(ofPaymentIntent pi: String) throws -> [JSONValue] {
        try store.all(type: "charge", filters: [.field("payment_intent", equals: .string(pi))]).reversed()
    }
}
