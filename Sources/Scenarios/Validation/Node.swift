import StripeWire

/// A JSON value and where it sits in its file, with typed accessors that record a
/// ``ScenarioError`` (and return nil) instead of failing at the first problem, so one
/// validation pass reports everything wrong with a file.
struct Node {
    let value: JSONValue
    let path: String
    let sink: ErrorSink

    func fail(_ message: String) { sink.add(path: path, message) }

    func child(_ key: String) -> Node? {
        guard case .object(let o) = value, let v = o[key] else { return nil }
        return Node(value: v, path: path.isEmpty ? key : "\(path).\(key)", sink: sink)
    }

    func element(_ i: Int, _ v: JSONValue) -> Node { Node(value: v, path: "\(path)[\(i)]", sink: sink) }

    /// The object's keys, after complaining about any not in `allowed`.
    @discardableResult
    func object(allowed: [String], required: [String] = []) -> JSONObject? {
        guard case .object(let o) = value else {
            fail("expected an object, found \(Self.typeName(value))")
            return nil
        }
        for key in o.keys.sorted() where !allowed.contains(key) {
            sink.add(path: path.isEmpty ? key : "\(path).\(key)", "unknown key '\(key)'\(NearestName.hint(key, among: allowed))")
        }
        for key in required where o[key] == nil { fail("missing required key '\(key)'") }
        return o
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let n = child(key) else {
            if required { fail("missing required key '\(key)'") }
            return nil
        }
        guard case .string(let s) = n.value else { n.fail("expected a string, found \(Self.typeName(n.value))"); return nil }
        return s
    }

    func int(_ key: String, in range: ClosedRange<Int>? = nil) -> Int? {
        guard let n = child(key) else { return nil }
        guard let i = n.value.intValue, !(n.value.isDoubleWithFraction) else {
            n.fail("expected an integer, found \(Self.typeName(n.value))")
            return nil
        }
        if let range, !range.contains(i) { n.fail("must be between \(range.lowerBound) and \(range.upperBound), found \(i)"); return nil }
        return i
    }

    func bool(_ key: String) -> Bool? {
        guard let n = child(key) else { return nil }
        guard case .bool(let b) = n.value else { n.fail("expected true or false, found \(Self.typeName(n.value))"); return nil }
        return b
    }

    func choice(_ key: String, _ options: [String], required: Bool = false) -> String? {
        guard let s = string(key, required: required) else { return nil }
        guard options.contains(s) else {
            child(key)!.fail("must be one of \(options.map { "'\($0)'" }.joined(separator: ", ")), found '\(s)'\(NearestName.hint(s, among: options))")
            return nil
        }
        return s
    }

    func strings(_ key: String) -> [String]? {
        guard let n = child(key) else { return nil }
        guard case .array(let a) = n.value else { n.fail("expected an array of strings, found \(Self.typeName(n.value))"); return nil }
        var out: [String] = []
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else { n.element(i, v).fail("expected a string, found \(Self.typeName(v))"); continue }
            out.append(s)
        }
        return out
    }

    func stringMap(_ key: String) -> [String: String]? {
        guard let n = child(key) else { return nil }
        guard case .object(let o) = n.value else { n.fail("expected an object of strings, found \(Self.typeName(n.value))"); return nil }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard case .string(let s) = v else { n.child(k)!.fail("expected a string, found \(Self.typeName(v))"); continue }
            out[k] = s
        }
        return out
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Collects the errors of one file.
final class ErrorSink {
    let file: String
    private(set) var errors: [ScenarioError] = []
    init(file: String) { self.file = file }
    func add(path: String, _ message: String) { errors.append(ScenarioError(file: file, path: path, message: message)) }
}

extension JSONValue {
    var isDoubleWithFraction: Bool {
        if case .double(let d) = self { return d != d.rounded() }
        return false
    }
}
