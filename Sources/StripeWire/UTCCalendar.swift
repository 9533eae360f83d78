/// Civil-calendar arithmetic on Unix seconds in UTC, without Foundation's calendar (which is slow
/// and locale-dependent). Billing periods, card expiries and durations all use it.
public enum UTCCalendar {
    /// (year, month, day) for days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    public static func yearMonthOf(_ t: Int) -> (Int, Int) {
        let (y, m, _) = civil(fromDays: floorDiv(t, 86400))
        return (y, m)
    }

    public static func yearOf(_ t: Int) -> Int { yearMonthOf(t).0 }

    public static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Adds calendar months, clamping the day to the month's length (Jan 31 + 1 month = Feb 28/29),
    /// as Stripe's billing periods do.
    public static func addMonths(_ t: Int, _ months: Int, anchorDay: Int? = nil) -> Int {
        let days = floorDiv(t, 86400)
        let secs = t - days * 86400
        let (y, m, d) = civil(fromDays: days)
        let total = y * 12 + (m - 1) + months
        let ny = floorDiv(total, 12), nm = total - ny * 12 + 1
        let nd = min(anchorDay ?? d, daysInMonth(ny, nm))
        return self.days(fromCivil: ny, nm, nd) * 86400 + secs
    }
}
