import Synchronization
import StripeWire

/// Parsed objects shared by every request of the process, keyed by account and id and checked
/// against the stored text: a read whose row holds the same text as last time reuses the parsed
/// value instead of parsing it again (a retrieve of an unchanged object, the price an old-version
/// line item embeds). A changed row has another text, so a stale value is never returned.
///
/// Bounded: past ``capacity`` entries it starts over.
package final class ParsedObjects: Sendable {
    package static let shared = ParsedObjects()
    package let capacity: Int

    private struct Entry {
        let text: String
        let value: JSONValue
    }

    private let entries = Mutex<[String: Entry]>([:])

    package init(capacity: Int = 2048) { self.capacity = capacity }

    /// The value of `text`, parsed once per distinct text of this object.
    package func value(account: String, id: String, text: String) throws -> JSONValue {
        let key = account + "\u{0}" + id
        if let hit = entries.withLock({ $0[key] }), hit.text == text { return hit.value }
        let value = try JSONParser.parse(text)
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[key] = Entry(text: text, value: value)
        }
        return value
    }
}
