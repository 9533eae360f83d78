import StripeWire

/// 2024-04-10: `product.features` renamed `marketing_features`; `invoice.rendering_options`
/// removed for `rendering`; the portal's `subscription_pause` feature removed. Backward: the old
/// fields, rebuilt from the new ones.
package enum April2024ProductFeatures: VersionChange {
    package static let version = APIVersion("2024-04-10")!
    package static let types: Set<String> = ["product", "invoice", "billing_portal.configuration"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        switch type {
        case "product":
            o["features"] = o["marketing_features"].isNull ? [] : o["marketing_features"]
            remove(&o, ["marketing_features"])
        case "invoice":
            let display = o["rendering"]["amount_tax_display"]
            o["rendering_options"] = display.isNull ? nil : ["amount_tax_display": display]
        case "billing_portal.configuration":
            if case .object = o["features"] { o["features"]["subscription_pause"] = ["enabled": false] }
        default:
            return
        }
    }

    package static func downgradePrevious(_ previous: inout JSONValue, type: String, object: JSONValue, _ context: RenderContext) throws {
        guard type == "product", case .object = previous, !previous["marketing_features"].isNull else { return }
        previous["features"] = previous["marketing_features"]
        remove(&previous, ["marketing_features"])
    }
}
