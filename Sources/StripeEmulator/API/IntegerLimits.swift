import StripeEngine
import StripeWire

/// The range every integer parameter must fall in, chosen by its name, checked as it is read
/// (``Params/int(_:)``), so no request can bring a number into the engine's arithmetic that makes
/// it trap: amounts times quantities, sums of items, timestamps plus periods all stay far inside
/// 64 bits.
///
/// Stripe's own limits where it documents them (amounts: eight digits; trial periods: 730 days);
/// elsewhere a bound documented here:
///
/// | parameter (last name in its path) | range |
/// |---|---|
/// | `amount`, `unit_amount`, `flat_amount`, `amount_off`, `balance`, any `*_amount` | ±99,999,999 (the smallest currency unit) |
/// | `quantity`, `up_to`, `transform_quantity[divide_by]` | 0 … 100,000,000 |
/// | timestamps (`frozen_time`, `trial_end`, `cancel_at`, `billing_cycle_anchor`, `proration_date`, `due_date`, `expires_at`, `at`, `to`, `created[gt]` …) | 0 … 253,402,300,799 (the last second of 9999) |
/// | `seconds`, `delay_seconds`, `grace_period`, `signature_skew_seconds` | ±3,153,600,000 (a hundred years) |
/// | `*_days` | 0 … 3,650 |
/// | `interval_count` | 1 … 1,000 (prices check Stripe's three years) |
/// | anything else | ±1,000,000,000,000 |
enum IntegerLimits {
    static let maxAmount = 99_999_999
    static let maxQuantity = 100_000_000
    static let maxTimestamp = Scheduler.maxTimestamp
    static let maxSeconds = 100 * 365 * 86_400
    static let maxDays = 3_650
    static let maxOther = 1_000_000_000_000

    static let timestampNames: Set<String> = [
        "frozen_time", "trial_end", "cancel_at", "billing_cycle_anchor", "proration_date", "due_date", "expires_at",
        "at", "to", "created", "gt", "gte", "lt", "lte", "start", "end", "effective_at", "date", "period_start", "period_end",
    ]
    static let secondNames: Set<String> = ["seconds", "delay_seconds", "grace_period", "signature_skew_seconds"]

    /// The allowed range for a parameter at `path`.
    static func range(for path: [String]) -> ClosedRange<Int> {
        let name = path.last ?? ""
        if name == "amount" || name == "balance" || name.hasSuffix("_amount") || name == "amount_off" {
            return -maxAmount...maxAmount
        }
        if name == "quantity" || name == "up_to" || name == "divide_by" { return 0...maxQuantity }
        if timestampNames.contains(name) { return 0...maxTimestamp }
        if secondNames.contains(name) { return -maxSeconds...maxSeconds }
        if name.hasSuffix("_days") || name == "days" { return 0...maxDays }
        if name == "interval_count" { return 1...1_000 }
        return -maxOther...maxOther
    }

    /// Stripe's 400 for a value out of range, naming the parameter.
    static func check(_ value: Int, path: [String]) throws {
        let range = range(for: path)
        guard !range.contains(value) else { return }
        let param = Params.name(path)
        let name = path.last ?? ""
        if range.upperBound == maxAmount, value > maxAmount {
            throw StripeError.invalidRequest("Amount must be no more than 99999999 (in the currency's smallest unit, e.g. $999,999.99): \(param) was \(value).",
                                             param: param, code: "amount_too_large")
        }
        if range.upperBound == maxAmount {
            throw StripeError.invalidRequest("Amount must be no less than -99999999: \(param) was \(value).", param: param, code: "amount_too_small")
        }
        let what = timestampNames.contains(name) ? " (a Unix timestamp no later than the year 9999)" : ""
        throw StripeError.invalidRequest(
            "This value must be greater than or equal to \(range.lowerBound) and less than or equal to \(range.upperBound)\(what) (\(param) was \(value)).",
            param: param, code: "parameter_invalid_integer")
    }
}
