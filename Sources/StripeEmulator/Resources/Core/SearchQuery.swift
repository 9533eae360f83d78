import StripeEngine
import StripeWire

/// Stripe's search query language, the part that search endpoints need here:
/// `email:'a@b.test'`, `name~'ann'` (substring), `metadata['plan']:'pro'`, `created>1700000000`,
/// `-field:'x'` (negation), clauses joined by all-`AND` or all-`OR`.
struct SearchQuery {
    struct Clause {
        let field: String
        let metadataKey: String?
        let op: String
        let value: String
        let negated: Bool
    }

    let clauses: [Clause]
    let any: Bool

    init(_ text: String) throws {
        var rest = text.trimmed(of: " ")
        var clauses: [Clause] = []
        var joiners: Set<String> = []
        func bad(_ why: String) -> StripeError {
            StripeError.invalidRequest("Invalid search query '\(text)': \(why). See https://stripe.com/docs/search#search-query-language.",
                                       param: "query")
        }
        while !rest.isEmpty {
            var negated = false
            if rest.first == "-" { negated = true; rest = rest.dropFirst() }
            let fieldEnd = rest.firstIndex { ":~<>=".contains($0) } ?? rest.endIndex
            var field = String(rest[..<fieldEnd])
            guard fieldEnd < rest.endIndex, !field.isEmpty else { throw bad("expected field:value") }
            var metadataKey: String?
            if field.hasPrefix("metadata["), field.hasSuffix("]") {
                let inner = field.dropFirst(9).dropLast()
                metadataKey = String(inner.filter { $0 != "'" && $0 != "\"" })
                field = "metadata"
            }
            rest = rest[fieldEnd...]
            var op = String(rest.first!)
            rest = rest.dropFirst()
            if (op == "<" || op == ">"), rest.first == "=" { op += "="; rest = rest.dropFirst() }
            var value: String
            if let q = rest.first, q == "'" || q == "\"" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: q) else { throw bad("unterminated quoted value") }
                value = String(rest[..<close])
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            guard !value.isEmpty || op == ":" else { throw bad("empty value") }
            clauses.append(Clause(field: field, metadataKey: metadataKey, op: op, value: value, negated: negated))
            rest = rest.drop { $0 == " " }
            if rest.hasPrefix("AND ") { joiners.insert("AND"); rest = rest.dropFirst(4) }
            else if rest.hasPrefix("OR ") { joiners.insert("OR"); rest = rest.dropFirst(3) }
            else if !rest.isEmpty { throw bad("clauses must be joined with AND or OR") }
            rest = rest.drop { $0 == " " }
        }
        guard !clauses.isEmpty else { throw bad("it is empty") }
        guard joiners.count <= 1 else { throw bad("AND and OR cannot be mixed") }
        self.clauses = clauses
        self.any = joiners.contains("OR")
    }

    func matches(_ object: JSONValue) -> Bool {
        any ? clauses.contains { test($0, object) } : clauses.allSatisfy { test($0, object) }
    }

    private func test(_ c: Clause, _ object: JSONValue) -> Bool {
        let field = c.metadataKey.map { object["metadata"][$0] } ?? object[c.field]
        let result: Bool
        switch c.op {
        case ":":
            if c.value == "null" { result = field.isNull }
            else if let s = field.stringValue { result = s.lowercased() == c.value.lowercased() }
            else if let i = field.intValue { result = String(i) == c.value }
            else if let b = field.boolValue { result = String(b) == c.value }
            else { result = false }
        case "~":
            result = field.stringValue.map { $0.lowercased().contains(c.value.lowercased()) } ?? false
        default:
            guard let lhs = field.intValue, let rhs = Int(c.value) else { result = false; break }
            switch c.op {
            case ">": result = lhs > rhs
            case ">=": result = lhs >= rhs
            case "<": result = lhs < rhs
            case "<=": result = lhs <= rhs
            default: result = lhs == rhs
            }
        }
        return c.negated ? !result : result
    }
}

extension APIRequest {
    /// A search endpoint (`/v1/<resource>/search`): `query`, `limit` 1..100, and `page` tokens
    /// (`next_page` of the previous result), newest first.
    mutating func search(type: String, url: String) throws -> JSONValue {
        let query = try SearchQuery(try params.requiredString("query"))
        let limit = try params.int("limit") ?? 10
        guard (1...100).contains(limit) else {
            throw StripeError.invalidRequest("Invalid limit: must be between 1 and 100.", param: "limit")
        }
        var start = 0
        if let token = try params.nonEmpty("page") {
            guard token.hasPrefix("page_"), let n = Int(token.dropFirst(5)), n >= 0 else {
                throw StripeError.invalidRequest("Invalid page: '\(token)' is not a next_page value of this search.", param: "page")
            }
            start = n
        }
        let matches = try store.all(type: type).reversed().filter { query.matches($0) }
        let slice = Array(matches.dropFirst(start).prefix(limit))
        let more = start + slice.count < matches.count
        return [
            "object": "search_result", "data": .array(slice), "has_more": .bool(more),
            "next_page": more ? .string("page_\(start + slice.count)") : nil,
            "url": .string(url), "total_count": .int(matches.count),
        ]
    }
}
