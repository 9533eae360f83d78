import StripeEngine
import StripeWire

/// Fields older API versions could expand that the newest shape no longer has: an integration
/// pinned before basil still asks for `latest_invoice.payment_intent` (the classic SCA flow).
/// They are expanded on the value already rendered at the reader's version.
enum LegacyExpansion {
    static let beforeBasil: [String: Set<String>] = [
        "invoice": ["payment_intent", "charge", "subscription"],
        "line_item": ["subscription", "invoice_item"],
        "invoiceitem": ["subscription"],
        "charge": ["invoice"],
        "payment_intent": ["invoice"],
    ]

    static func paths(at version: APIVersion) -> [String: Set<String>] {
        version < BasilInvoicingAndPeriods.version ? beforeBasil : [:]
    }
}
