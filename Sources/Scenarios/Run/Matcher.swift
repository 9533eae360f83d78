import StripeWire

/// "Does this response contain that?": objects may have more keys than expected, arrays must
/// have the same length with each element matching, scalars must be equal (1 equals 1.0).
/// Three operators cover what plain JSON cannot say: `"$present"` (any value but null),
/// `{"$length": N}` (an array or string of N items) and `{"$contains": [a, b]}` (an array with
/// elements matching a, then b, among others). Returns one line per difference, with its path.
enum Matcher {
    static func mismatches(expected: JSONValue, actual: JSONValue, path: String = "") -> [String] {
        let here = path.isEmpty ? "(root)" : path
        if expected == "$present" {
            return actual.isNull ? ["\(here): expected a value, found null or nothing"] : []
        }
        if case .object(let o) = expected, o.count == 1, let n = o["$length"]?.intValue {
            let count: Int? = actual.arrayValue?.count ?? actual.stringValue?.count
            return count == n ? [] : ["\(here): expected \(n) items, found \(count.map(String.init) ?? short(actual))"]
        }
        if case .object(let o) = expected, o.count == 1, let wanted = o["$contains"]?.arrayValue {
            guard let items = actual.arrayValue else { return ["\(here): expected an array, found \(short(actual))"] }
            var i = 0
            for item in items where i < wanted.count && mismatches(expected: wanted[i], actual: item).isEmpty { i += 1 }
            return i == wanted.count ? [] : ["\(here): no element matches \(JSONWriter.string(wanted[i]))\(i > 0 ? " after the earlier ones" : ""): \(short(actual))"]
        }
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            return e.keys.sorted().flatMap { key -> [String] in
                let p = path.isEmpty ? key : "\(path).\(key)"
                    guard let value = a[key] else {
                    return e[key] == .null ? [] : ["\(p): expected \(JSONWriter.string(e[key]!)), but it is missing"]
                }
                return mismatches(expected: e[key]!, actual: value, path: p)
            }
        case (.array(let e), .array(let a)):
            guard e.count == a.count else {
                return ["\(path.isEmpty ? "(root)" : path): expected \(e.count) items, found \(a.count): \(short(actual))"]
            }
            return zip(e, a).enumerated().flatMap { i, pair in mismatches(expected: pair.0, actual: pair.1, path: "\(path)[\(i)]") }
        default:
            if expected == actual { return [] }
            if let x = number(expected), let y = number(actual), x == y { return [] }
            return ["\(path.isEmpty ? "(root)" : path): expected \(JSONWriter.string(expected)), found \(short(actual))"]
        }
    }

    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    static func short(_ v: JSONValue) -> String {
        let s = JSONWriter.string(v)
        return s.count > 300 ? String(s.prefix(300)) + "…" : s
    }
}

/// Fixture `params` as a form, the way the Stripe CLI encodes them: nested objects in brackets,
/// arrays indexed, numbers without trailing zeros, booleans as `true`/`false`, null as empty.
enum FixtureForm {
    static func encode(_ params: JSONValue) -> String {
        guard case .object(let o) = params else { return "" }
        return FormEncoder.encode(o.keys.sorted().map { ($0, value(o[$0]!)) })
    }

    static func value(_ v: JSONValue) -> FormValue {
        switch v {
        case .null: .string("")
        case .bool(let b): .string(b ? "true" : "false")
        case .int(let i): .string(String(i))
        case .double(let d): .string(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d))
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(value))
        case .object(let o): .dict(o.mapValues(value))
        }
    }
}
