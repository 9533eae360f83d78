import StripeWire

/// `subscription_item.plan` (the plan-shaped view of the item's price) is in the 2025-03-31.basil
/// schemas and not in endive's. The reference records no removal at clover or dahlia, so the fake
/// takes endive (2026-09-30) as the version that removed it — unconfirmed; documented in the README.
/// Backward: the plan view of the item's price.
package enum EndiveSubscriptionItemPlan: VersionChange {
    package static let version = APIVersion("2026-09-30.endive")!
    package static let types: Set<String> = ["subscription_item"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        guard case .object = o["price"], o["price"]["type"] == "recurring" else { return }
        o["plan"] = BasilInvoicingAndPeriods.plan(of: o["price"])
    }
}
