/// A JSON document as a value tree.
///
/// Stripe objects are open-ended (hundreds of fields, nested, expandable), so the emulator keeps
/// them as trees rather than as one Swift struct per shape: expansion, `previous_attributes` and
/// golden snapshots all walk the same tree. Rendering is deterministic (`id` and `object` first,
/// the other keys sorted) so identical state gives byte-identical JSON.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public subscript(key: String) -> JSONValue {
        get {
            if case .object(let o) = self { return o[key] ?? .null }
            return .null
        }
        // In place: the object is moved out of `self` before it changes, so neither a member
        // set nor a nested one (`invoice["status_transitions"]["paid_at"] = ...`) copies the
        // whole object, which the billing engine did for every field it touched.
        _modify {
            guard case .object(var o) = self else {
                var ignored = JSONValue.null
                yield &ignored
                return
            }
            self = .null
            defer { self = .object(o) }
            yield &o[key, default: .null]
        }
    }

    /// The value at a dotted path (`"parent.subscription_details.subscription"`), or null.
    public subscript(path path: String) -> JSONValue {
        // Most paths are one key: read without splitting (it allocates).
        if !path.utf8.contains(UInt8(ascii: ".")) { return self[path] }
        var value = self
        for key in path.split(separator: ".") { value = value[String(key)] }
        return value
    }

    /// The element at an index of an array, or null.
    public subscript(index: Int) -> JSONValue {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return .null
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    /// A number as a `Double` (integers included): percentages such as `percent_off` are either.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue {
    /// Wraps an optional, mapping `nil` to JSON `null`.
    public static func from(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func from(_ i: Int?) -> JSONValue { i.map { .int($0) } ?? .null }
    public static func from(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
}
