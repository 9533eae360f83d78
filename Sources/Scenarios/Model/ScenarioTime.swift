import StripeWire

/// Absolute times in scenarios: Unix seconds, `2027-01-01`, or `2027-01-01T09:30:00Z`; and the
/// stable rendering of times in snapshots as offsets from the start, like `+14d 01:00:00`.
public enum ScenarioTime {
    public static func parse(_ text: String) -> Int? {
        if let i = Int(text) { return i }
        let chars = Array(text.utf8)
        func number(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= chars.count else { return nil }
            var n = 0
            for i in r {
                guard chars[i] >= 48, chars[i] <= 57 else { return nil }
                n = n * 10 + Int(chars[i] - 48)
            }
            return n
        }
        guard chars.count == 10 || chars.count == 20, chars.count >= 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
              let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
              (1...12).contains(m), d >= 1, d <= UTCCalendar.daysInMonth(y, m) else { return nil }
        var seconds = 0
        if chars.count == 20 {
            guard chars[10] == UInt8(ascii: "T"), chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":"), chars[19] == UInt8(ascii: "Z"),
                  let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19), h < 24, mi < 60, s < 60 else { return nil }
            seconds = h * 3600 + mi * 60 + s
        }
        return UTCCalendar.days(fromCivil: y, m, d) * 86400 + seconds
    }

    /// `+14d 01:00:00` (or `-0d 00:00:05` before the start).
    public static func offset(_ t: Int, from start: Int) -> String {
        let delta = t - start
        let sign = delta < 0 ? "-" : "+"
        let a = abs(delta)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(sign)\(a / 86400)d \(two(a % 86400 / 3600)):\(two(a % 3600 / 60)):\(two(a % 60))"
    }

    public static func iso(_ t: Int) -> String {
        let (y, m, d) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        let s = t - UTCCalendar.floorDiv(t, 86400) * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60))Z"
    }
}
