/// Mustache context helpers for the pages.
enum TemplateContext {
    /// The context without its empty strings, at any depth: Mustache counts `""` as a value, so
    /// `{{#error}}…{{/error}}` would draw an empty alert for a missing message.
    static func pruned(_ value: Any) -> Any {
        switch value {
        case let d as [String: Any]:
            var out: [String: Any] = [:]
            for (k, v) in d {
                if let s = v as? String, s.isEmpty { continue }
                out[k] = pruned(v)
            }
            return out
        case let a as [[String: Any]]:
            return a.map { pruned($0) }
        case let a as [Any]:
            return a.map { pruned($0) }
        default:
            return value
        }
    }

    static func pruned(_ context: [String: Any]) -> [String: Any] {
        pruned(context as Any) as? [String: Any] ?? context
    }
}
