import StripeWire

/// Who reads an object or an event as it leaves the fake, and at which API version.
///
/// Every object and event leaves through ``Rendering/render(_:stored:for:store:)`` with its
/// reader, so the one place that knows "which API version does this reader expect" is here: an
/// API response is read at the request's `Stripe-Version` (or the account's default), a webhook
/// delivery at its endpoint's `api_version` (or the account's default).
package enum Reader: Sendable, Equatable {
    /// The body of an API response (objects, lists, expansions, events read through the API:
    /// each event at the version it was created under).
    case apiResponse(version: APIVersion)
    /// The payload of a webhook delivery, at the endpoint's version.
    case webhookDelivery(version: APIVersion)
}

/// The rendering seam. Objects are stored in the shape of ``StripeAPIVersion/current``; a reader
/// at that version gets the stored bytes as they are (no parse, no copy); an older reader gets
/// them walked through ``VersionRenderer``.
package enum Rendering {
    /// The bytes `reader` receives for `value`; `stored` is the exact bytes it was stored as,
    /// when the caller has them (sent unchanged when no transformation applies). `store` lets a
    /// version change read related objects (a line item's price, an intent's charges).
    package static func render(_ value: JSONValue, stored: [UInt8]?, for reader: Reader, store: ObjectStore) throws -> [UInt8] {
        switch reader {
        case .apiResponse(let version):
            guard VersionRenderer.needsWork(value, at: version) else {
                if let stored { return stored }
                // A page of objects read as stored (a list) sends each one's stored bytes.
                if let cache = store.cache, value["data"].arrayValue != nil {
                    return JSONWriter.data(value, storedElements: { cache.bytes(of: $0) })
                }
                return JSONWriter.data(value)
            }
            let walked = { JSONWriter.data(try VersionRenderer.render(value, at: version, RenderContext(store: store))) }
            // An object read as stored renders the same while the account's objects are unchanged
            // (only reads keep renderings: a transaction that wrote could write again after).
            guard stored != nil, store.cache?.stampTouched == false, let id = value["id"].stringValue,
                  let stamp = try RenderStamp.read(store.db, account: store.account) else { return try walked() }
            if let kept = RenderedVersions.shared.bytes(account: store.account, id: id, version: version, stamp: stamp) { return kept }
            let bytes = try walked()
            RenderedVersions.shared.keep(bytes, account: store.account, id: id, version: version, stamp: stamp)
            return bytes
        case .webhookDelivery(let version):
            return JSONWriter.data(try VersionRenderer.render(value, at: version, RenderContext(store: store), eventsAtOwnVersion: false))
        }
    }
}
