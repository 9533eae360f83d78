import Foundation
import StripeWire

/// Makes a snapshot stable: times become offsets from the scenario's start (`+14d 01:00:00`),
/// the loopback addresses of the fake and the app become `{stripe}` and `{app}`, and session
/// token hashes are redacted. Ids need nothing: both sides mint them sequentially.
///
/// An integer is a time when it falls between a year before the start and forty years after it
/// (amounts that large, over $17M in cents, do not occur in test billing).
struct Normalizer: Sendable {
    let start: Int
    let replacements: [(String, String)]

    /// `replacements`: loopback URLs and the stable names snapshots give them.
    init(start: Int, replacements: [(String, String)]) {
        self.start = start
        self.replacements = replacements
    }

    var window: ClosedRange<Int> { (start - 366 * 86400)...(start + 40 * 366 * 86400) }

    func normalize(_ v: JSONValue, key: String? = nil) -> JSONValue {
        switch v {
        case .int(let i) where window.contains(i): return .string(ScenarioTime.offset(i, from: start))
        case .string(let s):
            if key == "token_hash" { return "<redacted>" }
            var out = s
            for (from, to) in replacements where out.contains(from) { out = out.replacingOccurrences(of: from, with: to) }
            return .string(out)
        case .array(let a): return .array(a.map { normalize($0) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, value) in o { out[k] = normalize(value, key: k) }
            return .object(out)
        default: return v
        }
    }
}
