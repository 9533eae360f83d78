import StripeWire

/// 2023-08-16 removed fields Stripe called not fully operational (`product.attributes`,
/// `caption`, `deactivate_on`; `charge.destination`, `dispute`, `alternate_statement_descriptors`)
/// and turned on automatic payment methods by default (the fake's intents name `card` anyway).
/// Backward: the removed fields, empty (a disputed charge's `dispute` names its dispute).
package enum August2023RemovedFields: VersionChange {
    package static let version = APIVersion("2023-08-16")!
    package static let types: Set<String> = ["product", "charge"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        switch type {
        case "product":
            o["attributes"] = []
            o["caption"] = nil
            o["deactivate_on"] = []
        case "charge":
            o["destination"] = nil
            o["dispute"] = nil
            if o["disputed"].boolValue == true, let id = o["id"].stringValue,
               let dispute = try context.store.all(type: "dispute", filters: [.field("charge", equals: .string(id))]).last {
                o["dispute"] = dispute["id"]
            }
            o["alternate_statement_descriptors"] = nil
        default:
            return
        }
    }
}
