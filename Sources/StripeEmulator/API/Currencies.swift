import StripeWire

/// The currencies Stripe accepts for charges (lowercase ISO 4217), so `currency=xxx` is the 400
/// Stripe gives and not an object in a currency nobody can pay.
enum Currencies {
    static let supported: [String] = """
        usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf \
        clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils \
        inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk \
        mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp \
        sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
        """.split(separator: " ").map(String.init)

    static let set = Set(supported)

    /// The currency, lowercased, or Stripe's 400 naming `param`.
    static func check(_ code: String, param: String) throws -> String {
        let lower = code.lowercased()
        guard set.contains(lower) else {
            throw StripeError.invalidRequest(
                "Invalid currency: \(lower). Stripe currently supports these currencies: \(supported.joined(separator: ", "))",
                param: param)
        }
        return lower
    }
}

extension Params {
    /// A currency parameter: nil when absent or empty, else a supported code, lowercased.
    mutating func currency(_ path: String...) throws -> String? {
        guard let code = try nonEmptyPath(path) else { return nil }
        return try Currencies.check(code, param: Self.name(path))
    }
}
