/// "Did you mean …?" for a misspelled step, key or user name: the candidate with the smallest
/// edit distance, if it is close enough to be a plausible typo.
public enum NearestName {
    public static func suggest(_ word: String, among candidates: some Sequence<String>) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word, c)
            if best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        guard let (name, d) = best, d <= max(2, word.count / 3), d < word.count else { return nil }
        return name
    }

    /// " (did you mean 'x'?)", or "" when nothing is close.
    static func hint(_ word: String, among candidates: some Sequence<String>) -> String {
        suggest(word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
