extension String {
    /// The text made safe inside HTML or XML, in element content and in quoted attributes
    /// (`&`, `<`, `>`, `"` and `'` as entities). The hosted pages and the JUnit report both use it.
    public var markupEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in self {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
