import StripeWire

/// The differences between a golden snapshot and the one just taken, one per JSON path:
/// a changed value, a key only in one of them, or array items added or removed.
public enum JSONDiff {
    public struct Change: Sendable, Equatable {
        public let path: String
        public let expected: JSONValue?
        public let actual: JSONValue?
    }

    public static func changes(expected: JSONValue, actual: JSONValue, path: String = "") -> [Change] {
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            return Set(e.keys).union(a.keys).sorted().flatMap { key -> [Change] in
                let p = path.isEmpty ? key : "\(path).\(key)"
                switch (e[key], a[key]) {
                case (let x?, let y?): return changes(expected: x, actual: y, path: p)
                case (let x, let y): return [Change(path: p, expected: x, actual: y)]
                }
            }
        case (.array(let e), .array(let a)):
            if let byID = changesByID(expected: e, actual: a, path: path) { return byID }
            return (0..<max(e.count, a.count)).flatMap { i -> [Change] in
                let p = "\(path)[\(i)]"
                if i < e.count, i < a.count { return changes(expected: e[i], actual: a[i], path: p) }
                // Optional.none, not JSONValue's nil literal (which is JSON null).
                let x: JSONValue? = i < e.count ? .some(e[i]) : .none, y: JSONValue? = i < a.count ? .some(a[i]) : .none
                return [Change(path: p, expected: x, actual: y)]
            }
        default:
            return expected == actual ? [] : [Change(path: path.isEmpty ? "(root)" : path, expected: expected, actual: actual)]
        }
    }

    /// The key that identifies list elements in snapshots: Stripe's and the app's objects have an
    /// `id`; the app's processed events an `event_id`.
    static let identityKeys = ["id", "event_id"]

    /// Lists whose elements all carry a unique id are compared element by element by that id
    /// (`leads[id=lead_000002].name`), so one inserted or removed element is one difference, not
    /// a difference at every later index. Nil when the elements have no ids to match on.
    static func changesByID(expected e: [JSONValue], actual a: [JSONValue], path: String) -> [Change]? {
        guard !e.isEmpty, !a.isEmpty else { return nil }
        guard let key = identityKeys.first(where: { k in (e + a).allSatisfy { $0[k].stringValue != nil } }) else { return nil }
        let eIDs = e.map { $0[key].stringValue! }, aIDs = a.map { $0[key].stringValue! }
        guard Set(eIDs).count == eIDs.count, Set(aIDs).count == aIDs.count else { return nil }
        let aByID = Dictionary(uniqueKeysWithValues: zip(aIDs, a)), eByID = Dictionary(uniqueKeysWithValues: zip(eIDs, e))
        var out: [Change] = []
        for (id, x) in zip(eIDs, e) {
            let p = "\(path)[\(key)=\(id)]"
            if let y = aByID[id] { out += changes(expected: x, actual: y, path: p) } else { out.append(Change(path: p, expected: x, actual: .none)) }
        }
        for (id, y) in zip(aIDs, a) where eByID[id] == nil {
            out.append(Change(path: "\(path)[\(key)=\(id)]", expected: .none, actual: y))
        }
        // The same elements in another order is a difference too.
        let common = Set(eIDs).intersection(aIDs)
        let eOrder = eIDs.filter(common.contains), aOrder = aIDs.filter(common.contains)
        if eOrder != aOrder {
            out.append(Change(path: "\(path) (order of \(key)s)", expected: .array(eOrder.map { .string($0) }),
                              actual: .array(aOrder.map { .string($0) })))
        }
        return out
    }

    /// `path: - expected` / `+ actual` lines, red and green on a terminal.
    public static func render(_ changes: [Change], color: Bool, limit: Int = 60) -> [String] {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        var lines: [String] = []
        for c in changes.prefix(limit) {
            lines.append(paint(c.path, "1"))
            lines.append("  " + paint("- expected: " + (c.expected.map(Self.short) ?? "(absent)"), "31"))
            lines.append("  " + paint("+ actual:   " + (c.actual.map(Self.short) ?? "(absent)"), "32"))
        }
        if changes.count > limit { lines.append("… and \(changes.count - limit) more differences") }
        return lines
    }

    static func short(_ v: JSONValue) -> String {
        let s = JSONWriter.string(v)
        return s.count > 200 ? String(s.prefix(200)) + "…" : s
    }
}
