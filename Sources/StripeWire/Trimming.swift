extension StringProtocol {
    /// Without the given characters at either end (a header value's blanks, a query's spaces).
    /// Foundation's `trimmingCharacters(in:)` goes through `NSString` and showed in profiles of
    /// the request path.
    public func trimmed(of characters: Character...) -> SubSequence {
        guard let first = firstIndex(where: { !characters.contains($0) }),
              let last = lastIndex(where: { !characters.contains($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
