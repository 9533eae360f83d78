import StripeEngine
import StripeWire

/// A request's decoded parameters, read by a handler through typed accessors.
///
/// Every accessor records the path it read. After the handler has read what it understands,
/// ``finish()`` names the first parameter nobody read, so an unknown or misspelt parameter is
/// always a 400 that names it (`Received unknown parameter: invoice_settings[fooo]`), as Stripe does.
struct Params {
    let root: [String: FormValue]
    private(set) var consumed: Set<String> = []

    init(_ root: [String: FormValue]) { self.root = root }

    static func name(_ path: [String]) -> String {
        guard let first = path.first else { return "" }
        return first + path.dropFirst().map { "[\($0)]" }.joined()
    }

    func raw(_ path: [String]) -> FormValue? {
        guard let first = path.first, var current = root[first] else { return nil }
        for part in path.dropFirst() {
            switch current {
            case .dict(let d):
                guard let next = d[part] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(part), a.indices.contains(i) else { return nil }
                current = a[i]
            case .string:
                return nil
            }
        }
        return current
    }

    func has(_ path: String...) -> Bool { raw(path) != nil }
    func has(_ path: [String]) -> Bool { raw(path) != nil }

    /// Marks a path as understood without reading it.
    ///
    /// Only what the request sent is recorded: ``finish()`` walks the parameters sent, so a path
    /// under a parameter that is absent can never be asked about. A handler tries every field it
    /// knows (forty or so for a customer) and a request sends a few, so most reads skip building
    /// the name and hashing it (a tenth of `POST /v1/customers` in `perf`).
    mutating func consume(_ path: [String]) {
        guard let first = path.first, root[first] != nil else { return }
        consumed.insert(path.count == 1 ? first : Self.name(path))
    }

    mutating func value(_ path: [String]) -> FormValue? {
        consume(path)
        return raw(path)
    }

    /// A string, or nil when absent. An empty string is returned as is (meaning "unset").
    mutating func string(_ path: String...) throws -> String? { try string(path) }

    mutating func string(_ path: [String]) throws -> String? {
        guard let v = value(path) else { return nil }
        guard case .string(let s) = v else {
            throw StripeError.invalidRequest("Invalid string: \(Self.name(path)) must be a string, not an object or array.",
                                             param: Self.name(path), code: "parameter_invalid_string")
        }
        return s
    }

    mutating func requiredString(_ path: String...) throws -> String {
        guard let s = try string(path), !s.isEmpty else { throw StripeError.missingParam(Self.name(path)) }
        return s
    }

    /// A non-empty string, or nil when absent or empty.
    mutating func nonEmpty(_ path: String...) throws -> String? { try nonEmptyPath(path) }

    mutating func nonEmptyPath(_ path: [String]) throws -> String? {
        guard let s = try string(path), !s.isEmpty else { return nil }
        return s
    }

    mutating func int(_ path: String...) throws -> Int? { try int(path) }

    mutating func int(_ path: [String]) throws -> Int? {
        guard let s = try string(path), !s.isEmpty else { return nil }
        guard let i = Int(s) else {
            throw StripeError.invalidRequest("Invalid integer: \(s)", param: Self.name(path), code: "parameter_invalid_integer")
        }
        try IntegerLimits.check(i, path: path)
        return i
    }

    mutating func bool(_ path: String...) throws -> Bool? { try bool(path) }

    mutating func bool(_ path: [String]) throws -> Bool? {
        guard let s = try string(path), !s.isEmpty else { return nil }
        // stripe-python before 12 sends Python's spelling (`True`/`False`); Stripe accepts it.
        switch s {
        case "true", "True": return true
        case "false", "False": return false
        default:
            throw StripeError.invalidRequest("Invalid boolean: \(s)", param: Self.name(path), code: "parameter_invalid_boolean")
        }
    }

    /// One of a fixed set of values.
    mutating func choice(_ path: String..., in allowed: [String]) throws -> String? { try choice(path, in: allowed) }

    mutating func choice(_ path: [String], in allowed: [String]) throws -> String? {
        guard let s = try string(path), !s.isEmpty else { return nil }
        guard allowed.contains(s) else {
            throw StripeError.invalidRequest(
                "Invalid \(Self.name(path)): must be one of \(allowed.joined(separator: ", "))",
                param: Self.name(path), code: "parameter_invalid_string")
        }
        return s
    }

    /// A list of strings sent as `a[]=x` or `a[0]=x`; a single `a=x` counts as a list of one.
    mutating func strings(_ path: String...) throws -> [String]? { try strings(path) }

    mutating func strings(_ path: [String]) throws -> [String]? {
        guard let v = value(path) else { return nil }
        switch v {
        case .string(let s): return s.isEmpty ? [] : [s]
        case .array(let a):
            return try a.enumerated().map { i, item in
                guard case .string(let s) = item else {
                    throw StripeError.invalidRequest("Invalid array: \(Self.name(path))[\(i)] must be a string.",
                                                     param: "\(Self.name(path))[\(i)]")
                }
                return s
            }
        case .dict:
            throw StripeError.invalidRequest("Invalid array: \(Self.name(path)) must be an array.", param: Self.name(path))
        }
    }

    /// The number of elements of an array of objects (`items[0][price]`), 0 when absent.
    func count(_ path: String...) throws -> Int { try count(path) }

    func count(_ path: [String]) throws -> Int {
        guard let v = raw(path) else { return 0 }
        switch v {
        case .array(let a): return a.count
        case .string(let s) where s.isEmpty: return 0
        default:
            throw StripeError.invalidRequest("Invalid array: \(Self.name(path)) must be an array.", param: Self.name(path))
        }
    }

    /// Names the first parameter that no accessor read.
    func finish() throws {
        for key in root.keys.sorted() { try check(root[key]!, path: [key]) }
    }

    private func check(_ value: FormValue, path: [String]) throws {
        let name = Self.name(path)
        if consumed.contains(name) { return }
        switch value {
        case .string: throw StripeError.unknownParam(name)
        case .dict(let d):
            if d.isEmpty { throw StripeError.unknownParam(name) }
            for k in d.keys.sorted() { try check(d[k]!, path: path + [k]) }
        case .array(let a):
            if a.isEmpty { throw StripeError.unknownParam(name) }
            for i in a.indices { try check(a[i], path: path + [String(i)]) }
        }
    }
}
