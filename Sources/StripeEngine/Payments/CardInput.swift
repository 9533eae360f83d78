import StripeWire

/// A card as a person or a test types it: a number with expiry and CVC, a magic test id
/// (`pm_card_visa`, `tok_visa`), or an existing payment method id.
package enum CardInput {
    package static func payment(_ value: String?, exp: String?, expMonth: Int?, expYear: Int?, cvc: String?, now: Int) throws -> CheckoutEngine.Payment {
        guard let value, !value.isEmpty else { return .none }
        let trimmed = value.filter { $0 != " " }
        if let (name, magic) = TestCards.magic(forID: trimmed) { return .card(Card.fromMagic(name, magic, now: now)) }
        if trimmed.hasPrefix("pm_") { return .paymentMethod(trimmed) }
        var month = expMonth, year = expYear
        if let exp, !exp.isEmpty {
            let parts = exp.split(whereSeparator: { $0 == "/" || $0 == " " })
            guard parts.count == 2, let m = Int(parts[0]), let y = Int(parts[1]) else {
                throw StripeError(status: 402, type: .cardError, code: "invalid_expiry_month",
                                  message: "Your card's expiration date is incomplete (write it as MM / YY).", param: "exp")
            }
            month = m
            year = y
        }
        let (thisYear, _) = UTCCalendar.yearMonthOf(now)
        return .card(try Card.validate(number: trimmed, expMonth: month ?? 12, expYear: year ?? thisYear + 3, cvc: cvc, now: now,
                                       paramPrefix: "card"))
    }
}
