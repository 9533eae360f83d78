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
