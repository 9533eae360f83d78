import Foundation
import StripeWire

/// `${name:json.path}` references of Stripe CLI fixtures (with `|default`, `${.env:VAR}` and the
/// CLI's built-ins `${generate-uuid}` and `${time-now-RFC3339}`), resolved against the responses
/// of earlier steps. As in the CLI, a reference whose field is absent stays in the text as it was
/// written. Scenarios add time expressions, which fixtures lack: `${.start:+8d}`, `${.now:+1h}`,
/// `${.now}` are Unix seconds (the start of the scenario, or the fake's clock now, plus a
/// duration), for `frozen_time`, `trial_end` and the like; `${.clock:name}` is the time of a test
/// clock (the one an earlier step created, or an id), read when the step runs.
public enum References {
    /// References written without a path.
    static let builtins: Set<String> = [".now", ".start", "generate-uuid", "time-now-RFC3339"]

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
            if builtins.contains(main) {
                out.append(Reference(name: main, path: "", fallback: fallback))
                rest = rest[rest.index(after: end)...]
                continue
            }
            guard let colon = main.firstIndex(of: ":"), colon != main.startIndex, main.index(after: colon) != main.endIndex else {
                throw Failure(reference: body, reason: "expected ${name:json.path}")
            }
            out.append(Reference(name: String(main[..<colon]), path: String(main[main.index(after: colon)...]), fallback: fallback))
            rest = rest[rest.index(after: end)...]
        }
        return out
    }

    /// `clock+8d` → the clock's name and the duration after its time (nil when malformed).
    public static func clockReference(_ path: String) -> (clock: String, offset: TimeSpan?) {
        guard let plus = path.firstIndex(of: "+") else { return (path, TimeSpan()) }
        return (String(path[..<plus]), timeOffset(String(path[plus...])))
    }

    /// The duration of a time expression: `+8d`, `8d`, or `0`.
    public static func timeOffset(_ path: String) -> TimeSpan? {
        let body = path.hasPrefix("+") ? String(path.dropFirst()) : path
        if body == "0" || body.isEmpty { return TimeSpan() }
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
                               times: (start: Int, now: Int)? = nil, clocks: [String: Int] = [:]) throws(Failure) -> JSONValue {
        let refs = try parse(text)
        guard !refs.isEmpty else { return .string(text) }
        var result = text
        for ref in refs {
            let token = ref.path.isEmpty ? "${\(ref.name)\(ref.fallback.map { "|\($0)" } ?? "")}"
                                         : "${\(ref.name):\(ref.path)\(ref.fallback.map { "|\($0)" } ?? "")}"
            let value: JSONValue
            if ref.name == "generate-uuid" {
                value = .string(UUID().uuidString.lowercased())
            } else if ref.name == "time-now-RFC3339" {
                guard let times else { throw Failure(reference: ref.name, reason: "no clock in this context") }
                value = .string(ScenarioTime.iso(times.now))
            } else if ref.name == ".clock" {
                let (clock, offset) = clockReference(ref.path)
                guard let t = clocks[clock] else {
                    throw Failure(reference: "\(ref.name):\(ref.path)", reason: "no test clock '\(clock)' (name the step that created it, or its id)")
                }
                guard let offset else {
                    throw Failure(reference: "\(ref.name):\(ref.path)", reason: "expected a duration like +8d after the clock's name")
                }
                value = .int(offset.after(t))
            } else if ref.name == ".start" || ref.name == ".now" {
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
            } else if let found = outputs[ref.name].flatMap({ lookup(ref.path, in: $0) }), !found.isNull {
                value = found
            } else if let f = ref.fallback {
                value = .string(f)
            } else {
                // The Stripe CLI leaves a reference it cannot fill as written.
                value = .string(token)
            }
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
