import StripeWire

/// 2026-03-25.dahlia renamed Checkout's `ui_mode` values (`hosted` → `hosted_page`, `embedded` →
/// `embedded_page`, `custom` → `elements`). Backward: the old names.
package enum DahliaCheckoutUIModes: VersionChange {
    package static let version = APIVersion("2026-03-25.dahlia")!
    package static let types: Set<String> = ["checkout.session"]
    static let oldNames = ["hosted_page": "hosted", "embedded_page": "embedded", "elements": "custom", "form": "hosted"]

    package static func downgrade(_ o: inout JSONValue, type: String, _ context: RenderContext) throws {
        if let mode = o["ui_mode"].stringValue, let old = oldNames[mode] { o["ui_mode"] = .string(old) }
    }

    package static func downgradePrevious(_ previous: inout JSONValue, type: String, object: JSONValue, _ context: RenderContext) throws {
        try downgrade(&previous, type: type, context)
    }
}
