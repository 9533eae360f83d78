/// A decoded form parameter: Stripe's bracket notation (`items[0][price]=x`) turned into a tree.
public enum FormValue: Sendable, Equatable, Hashable {
    case string(String)
    case dict([String: FormValue])
    case array([FormValue])

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var dictValue: [String: FormValue]? { if case .dict(let d) = self { return d } else { return nil } }
    public var arrayValue: [FormValue]? { if case .array(let a) = self { return a } else { return nil } }

    /// A canonical JSON rendering, used to compare two requests' parameters (idempotency).
    public var canonicalJSON: JSONValue {
        switch self {
        case .string(let s): return .string(s)
        case .array(let a): return .array(a.map(\.canonicalJSON))
        case .dict(let d): return .object(d.mapValues(\.canonicalJSON))
        }
    }
}

extension FormValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
