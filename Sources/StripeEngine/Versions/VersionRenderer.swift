import StripeWire

/// Renders objects stored in the newest shape for a reader at an older API version: every
/// object in the value (nested, expanded, in lists and search results, inside events) is walked
/// down through the ``VersionChange``s newer than the reader's version, newest first.
///
/// Events keep their own version: an event read through the API is rendered at the version it
/// was created under (its `api_version`, the account default then, as Stripe does), a webhook
/// delivery at its endpoint's version; `api_version` then says which.
package enum VersionRenderer {
    /// Every breaking change the fake renders, newest first.
    package static let changes: [any VersionChange.Type] = [
        EndiveSubscriptionItemPlan.self, DahliaCheckoutUIModes.self, CloverDiscountSource.self, BasilInvoicingAndPeriods.self, April2024ProductFeatures.self,
        August2023RemovedFields.self, November2022Charges.self, August2022CheckoutAndCustomer.self,
    ]

    /// The changes a reader at `target` must be walked through.
    package static func changes(for target: APIVersion) -> [any VersionChange.Type] {
        // Every reader at or after the newest change (most of them) needs none: no filtering, no array.
        if !(target < newestChange) { return [] }
        return changes.filter { target < $0.version }
    }

    /// The version of the newest change.
    private static let newestChange: APIVersion = changes.map { $0.version }.max()!

    /// Whether anything in `value` reads differently at `target`: an older reader, or an event
    /// created under another version.
    package static func needsWork(_ value: JSONValue, at target: APIVersion) -> Bool {
        if !changes(for: target).isEmpty { return true }
        return containsEventNotAt(target, value)
    }

    private static func containsEventNotAt(_ target: APIVersion, _ value: JSONValue) -> Bool {
        if value["object"] == "event" { return value["api_version"].stringValue != target.raw }
        if value["object"] == "list" || value["object"] == "search_result", let data = value["data"].arrayValue {
            return data.contains { $0["object"] == "event" && $0["api_version"].stringValue != target.raw }
        }
        return false
    }

    /// `value` as a reader at `target` sees it. `eventsAtOwnVersion`: API reads (an event keeps
    /// the version it was created under); false for a webhook delivery (rendered at `target`).
    package static func render(_ value: JSONValue, at target: APIVersion, _ context: RenderContext,
                               eventsAtOwnVersion: Bool = true) throws -> JSONValue {
        var v = value
        try walk(&v, at: target, context, eventsAtOwnVersion: eventsAtOwnVersion)
        return v
    }

    private static func walk(_ v: inout JSONValue, at target: APIVersion, _ context: RenderContext, eventsAtOwnVersion: Bool) throws {
        let applicable = changes(for: target)
        try walk(&v, at: target, applicable, context, eventsAtOwnVersion: eventsAtOwnVersion)
    }

    private static func walk(_ v: inout JSONValue, at target: APIVersion, _ applicable: [any VersionChange.Type], _ context: RenderContext,
                             eventsAtOwnVersion: Bool) throws {
        switch v {
        case .object:
            if let type = v["object"].stringValue {
                if type == "event" {
                    let version = eventsAtOwnVersion ? (v["api_version"].stringValue.flatMap(APIVersion.init) ?? target) : target
                    try renderEvent(&v, at: version, context)
                    return
                }
                // The object itself first: a change may read children (a subscription reads its
                // items' periods) before their own changes remove what it needs.
                for change in applicable where change.types.contains(type) {
                    try change.downgrade(&v, type: type, context)
                }
            }
            if applicable.isEmpty && !eventsAtOwnVersion { return }
            guard case .object(var o) = v else { return }
            // Moved out, changed in place and moved back: no level copies the tree below it.
            v = .null
            defer { v = .object(o) }
            for key in o.keys {
                switch o[key] {
                case .object?, .array?:
                    try walk(&o[key, default: .null], at: target, applicable, context, eventsAtOwnVersion: eventsAtOwnVersion)
                default: continue
                }
            }
        case .array(var items):
            v = .null
            defer { v = .array(items) }
            for i in items.indices { try walk(&items[i], at: target, applicable, context, eventsAtOwnVersion: eventsAtOwnVersion) }
        default:
            return
        }
    }

    private static func renderEvent(_ event: inout JSONValue, at version: APIVersion, _ context: RenderContext) throws {
        let object = event["data"]["object"]
        if let type = object["object"].stringValue, case .object = event["data"]["previous_attributes"] {
            var previous = event["data"]["previous_attributes"]
            for change in changes(for: version) where change.types.contains(type) {
                try change.downgradePrevious(&previous, type: type, object: object, context)
            }
            event["data"]["previous_attributes"] = previous
        }
        var data = object
        try walk(&data, at: version, context, eventsAtOwnVersion: false)
        event["data"]["object"] = data
        event["api_version"] = .string(version.raw)
    }
}
