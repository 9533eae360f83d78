import StripeWire

/// Who reads an object or an event as it leaves the fake.
///
/// Every object and event leaves through ``Rendering/render(_:stored:for:)`` with its reader, so
/// the one place that knows "which API version does this reader expect" is here: an API response
/// is read at the request's `Stripe-Version`, a webhook delivery at its endpoint's `api_version`
/// (the account's default when the endpoint pins none).
package enum Reader: Sendable, Equatable {
    /// The body of an API response (objects, lists, expansions, events read through the API).
    case apiResponse(version: String)
    /// The payload of a webhook delivery to an endpoint.
    case webhookDelivery(endpointVersion: String?)
}

/// The rendering seam. Objects are stored in the shape of ``StripeAPIVersion/current``; today
/// every reader gets that shape, so the stored bytes go out as they are (no parse, no copy).
/// Version transformations plug in here, keyed by the reader's version.
package enum Rendering {
    /// The bytes `reader` receives for `value`; `stored` is the exact bytes it was stored as,
    /// when the caller has them (sent unchanged when no transformation applies).
    @inline(__always)
    package static func render(_ value: JSONValue, stored: [UInt8]?, for reader: Reader) -> [UInt8] {
        stored ?? JSONWriter.data(value)
    }
}
