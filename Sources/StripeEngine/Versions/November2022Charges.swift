import StripeWire

/// 2022-11-15 removed `payment_intent.charges` (use `latest_charge`) and stopped including
/// `charge.refunds` unless expanded. Backward: the intent's charges as a list, newest first, and
/// the charge's refunds always there.
package enum November2022Charges: VersionChange {
    package static let version = APIVersion("2022-11-15")!
    package static let types: Set<String> = ["payment_intent", "charge"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        guard let id = o["id"].stringValue else { return }
        switch type {
        case "payment_intent":
            let charges = try context.charges(ofPaymentIntent: id)
            o["charges"] = ["object": "list", "data": .array(charges), "has_more": false, "total_count": .int(charges.count),
                            "url": .string("/v1/charges?payment_intent=\(id)")]
        case "charge":
            if o["refunds"].isNull {
                o["refunds"] = ["object": "list", "data": [], "has_more": false, "total_count": 0, "url": .string("/v1/charges/\(id)/refunds")]
            }
        default:
            return
        }
    }
}
