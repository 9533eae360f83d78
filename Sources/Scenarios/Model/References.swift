import Foundation
import StripeWire

/// `${name:json.path}` references of Stripe CLI fixtures (with `|default` and `${.env:VAR}`),
/// resolved against the responses of earlier steps. Scenarios add time expressions, which
/// fixtures lack: `${.start:+8d}` and `${.now:+1h}` are Unix seconds (the start of the scenario,
/// or the fake's clock now, plus a duration), for `frozen_time`, `trial_end` and the like.
public enum References {
    public struct Failure: Error, Equatable, CustomStringConvertible, Sendable {
        public let reference: String
        public let reason: String
        public var description: String { "cannot resolve ${\(reference)}: \(reason)" }
    }

    /// One `${...}` occurrence: the step name (or `.env`), the path, and an optional default.
    public struct Reference: Equatable, Sendable {
        public let name: String
        public let path: String
        public let fallback: String?
    }

    /// The references in a string, in order; malformed ones (`${x}` without a path) are errors.
    public static func parse(_ text: String) throws(Failure) -> [Reference] {
        var out: [Reference] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Failure(reference: String(rest[start.upperBound...]), reason: "missing closing '}'")
            }
            let body = String(rest[start.upperBound..<end])
            var main = body
            var fallback: String? = nil
            if let bar = body.firstIndex(of: "|") {
                main = String(body[..<bar])
                fallback = String(body[body.index(after: bar)...])
            }
            guard let colon = main.firstIndex(of: ":"), colon != main.startIndex, main.index(after: colon) != main.endIndex else {
                throw Failure(reference: body, reason: "expected ${name:json.path}")
            }
            out.append(Reference(name: String(main[..<colon]), path: String(main[main.index(after: colon)...]), fallback: fallback))
            rest = rest[rest.index(after: end)...]
        }
        return out
    }

    /// The duration of a time expression: `+8d`, `8d`, or `0`.
    public static func timeOffset(_ path: String) -> TimeSpan? {
        let body = path.hasPrefix("+") ? String(path.dropFirst()) : path
        if body == "0" { return TimeSpan() }
        return try? TimeSpan(parsing: body)
    }

    /// Follows a fixture path: dotted keys, and `[N]` or `.N` for array elements (`data[0].id`).
    public static func lookup(_ path: String, in value: JSONValue) -> JSONValue? {
        var current = value
        let normalized = path.replacingBrackets()
        for part in normalized.split(separator: ".") {
            if let i = Int(part), case .array(let a) = current {
                guard a.indices.contains(i) else { return nil }
                current = a[i]
            } else if case .object(let o) = current, let next = o[String(part)] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    /// Replaces every reference in `text`. A string that is exactly one reference keeps its JSON
    /// type (a number stays a number); otherwise values are spliced in as text.
    public static func resolve(_ text: String, outputs: [String: JSONValue], env: [String: String],
                               times: (start: Int, now: Int)? = nil) throws(Failure) -> JSONValue {
        let refs = try parse(text)
        guard !refs.isEmpty else { return .string(text) }
        var result = text
        for ref in refs {
            let value: JSONValue
            if ref.name == ".start" || ref.name == ".now" {
                guard let times else { throw Failure(reference: "\(ref.name):\(ref.path)", reason: "no clock in this context") }
                guard let offset = timeOffset(ref.path) else {
                    throw Failure(reference: "\(ref.name):\(ref.path)", reason: "expected a duration like +8d or +1h30m")
                }
                value = .int(offset.after(ref.name == ".start" ? times.start : times.now))
            } else if ref.name == ".env" {
                guard let v = env[ref.path] ?? ref.fallback else {
                    throw Failure(reference: "\(ref.name):\(ref.path)", reason: "environment variable \(ref.path) is not set")
                }
                value = .string(v)
            } else if let output = outputs[ref.name] {
                if let found = lookup(ref.path, in: output), !found.isNull { value = found }
                else if let f = ref.fallback { value = .string(f) }
                else { throw Failure(reference: "\(ref.name):\(ref.path)", reason: "step '\(ref.name)' has no value at '\(ref.path)'") }
            } else if let f = ref.fallback {
                value = .string(f)
            } else {
                throw Failure(reference: "\(ref.name):\(ref.path)", reason: "no earlier step is named '\(ref.name)'")
            }
            let token = "${\(ref.name):\(ref.path)\(ref.fallback.map { "|\($0)" } ?? "")}"
            if refs.count == 1, text == token { return value }
            let spliced: String
            switch value {
            case .string(let s): spliced = s
            default: spliced = JSONWriter.string(value)
            }
            result = result.replacingFirst(token, with: spliced)
        }
        return .string(result)
    }
}

extension String {
    func replacingBrackets() -> String {
        var out = ""
        for ch in self {
            if ch == "[" { out.append(".") } else if ch != "]" { out.append(ch) }
        }
        return out
    }

    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
