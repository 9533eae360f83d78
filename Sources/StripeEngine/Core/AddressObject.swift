import StripeWire

/// The address hash several objects share (customers, billing details, shipping), all null.
package enum AddressObject {
    package static let fields = ["city", "country", "line1", "line2", "postal_code", "state"]

    package static let empty: JSONValue = .object(Dictionary(uniqueKeysWithValues: fields.map { ($0, JSONValue.null) }))
}
