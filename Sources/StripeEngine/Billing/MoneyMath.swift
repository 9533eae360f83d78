import StripeWire

/// Sums of money that cannot trap: request limits keep each amount within eight digits times a
/// bounded quantity, but an invoice may gather any number of them, so totals are added with
/// overflow checked and a total beyond 64 bits is Stripe's `amount_too_large`, not a crash.
package enum MoneyMath {
    package static func total(_ amounts: some Sequence<Int>) throws -> Int {
        var sum = 0
        for a in amounts {
            let (next, overflow) = sum.addingReportingOverflow(a)
            guard !overflow else {
                throw StripeError.invalidRequest("The total amount is too large to represent.", code: "amount_too_large")
            }
            sum = next
        }
        return sum
    }

    /// `Int(value.rounded())` for an amount computed in floating point (decimal prices,
    /// prorations), refusing a value no 64-bit amount can hold.
    package static func rounded(_ value: Double) throws -> Int {
        let r = value.rounded()
        guard r.isFinite, r > -9.0e18, r < 9.0e18 else {
            throw StripeError.invalidRequest("The amount is too large to represent.", code: "amount_too_large")
        }
        return Int(r)
    }
}
