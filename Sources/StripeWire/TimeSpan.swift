/// A relative span of time (`3d`, `1mo`, `2h30m`, `1y2mo`), as written in scenario `advance` steps
/// and the emulator's time control API.
///
/// Months and years are calendar units (added with the day clamped to the month's length, as
/// Stripe's billing periods are); the other units are fixed numbers of seconds.
public struct TimeSpan: Sendable, Equatable, CustomStringConvertible {
    public var months: Int
    public var seconds: Int

    public init(months: Int = 0, seconds: Int = 0) {
        self.months = months
        self.seconds = seconds
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible, Sendable {
        public let text: String
        public let reason: String
        public var description: String { "invalid duration '\(text)': \(reason)" }
    }

    static let units: [(String, Int, Bool)] = [
        // (suffix, amount, is months) — longest suffixes first so "mo" is not read as "m".
        ("mo", 1, true), ("y", 12, true), ("w", 7 * 86400, false), ("d", 86400, false),
        ("h", 3600, false), ("m", 60, false), ("s", 1, false),
    ]

    /// Parses `<number><unit>` groups: `y`, `mo`, `w`, `d`, `h`, `m`, `s`.
    public init(parsing text: String) throws(ParseError) {
        var rest = Substring(text)
        var months = 0, seconds = 0
        guard !rest.isEmpty else { throw ParseError(text: text, reason: "it is empty") }
        var seen: Set<String> = []
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else {
                throw ParseError(text: text, reason: "expected a number at '\(rest)' (write e.g. 3d, 1mo, 2h30m)")
            }
            guard digits.count <= 7, let n = Int(digits) else { throw ParseError(text: text, reason: "number too large") }
            rest = rest.dropFirst(digits.count)
            guard let unit = Self.units.first(where: { rest.hasPrefix($0.0) }) else {
                throw ParseError(text: text, reason: "unknown unit at '\(rest)' (use y, mo, w, d, h, m or s)")
            }
            guard seen.insert(unit.0).inserted else { throw ParseError(text: text, reason: "unit '\(unit.0)' given twice") }
            rest = rest.dropFirst(unit.0.count)
            if unit.2 { months += n * unit.1 } else { seconds += n * unit.1 }
        }
        self.init(months: months, seconds: seconds)
    }

    public var description: String {
        var parts: [String] = []
        if months / 12 > 0 { parts.append("\(months / 12)y") }
        if months % 12 > 0 { parts.append("\(months % 12)mo") }
        var s = seconds
        for (suffix, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
            parts.append("\(s / size)\(suffix)")
            s %= size
        }
        return parts.isEmpty ? "0s" : parts.joined()
    }
}

extension TimeSpan {
    /// The moment this span after `t` (months first, on the calendar; then seconds).
    public func after(_ t: Int) -> Int {
        UTCCalendar.addMonths(t, months) + seconds
    }
}
