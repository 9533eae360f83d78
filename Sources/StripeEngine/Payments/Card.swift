import StripeWire

/// A card as entered (number, expiry, CVC), validated as Stripe does, with its test behaviour.
package struct Card: Sendable, Equatable {
    package let number: String
    package let expMonth: Int
    package let expYear: Int
    package let cvcProvided: Bool
    /// The magic test id it came from, when its behaviour differs from its number's.
    package let magicName: String?

    package var brand: String { TestCards.brand(of: number) }
    package var last4: String { String(number.suffix(4)) }
    package var funding: String { TestCards.funding(of: number) }
    package var behavior: TestCards.Behavior {
        magicName.flatMap { TestCards.magic[$0]?.behavior } ?? TestCards.behavior(number: number)
    }

    /// Stripe fingerprints identify a card number; ours are derived from it, so the same number
    /// always has the same fingerprint.
    package var fingerprint: String {
        let digest = Digest.sha256(Array(("fingerprint:" + number).utf8))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String(digest.prefix(16).map { alphabet[Int($0) % alphabet.count] })
    }

    package static func fromMagic(_ name: String, _ magic: TestCards.Magic, now: Int) -> Card {
        Card(number: magic.number, expMonth: 12, expYear: UTCCalendar.yearOf(now) + 3, cvcProvided: true,
             magicName: magic.behavior == nil ? nil : name)
    }

    /// Validates raw card fields, with Stripe's card errors (402) for bad data.
    package static func validate(number rawNumber: String, expMonth: Int?, expYear: Int?, cvc: String?, now: Int,
                         paramPrefix: String) throws -> Card {
        let number = rawNumber.filter { $0 != " " && $0 != "-" }
        func cardError(_ code: String, _ message: String, _ field: String) -> StripeError {
            StripeError(status: 402, type: .cardError, code: code, message: message, param: "\(paramPrefix)[\(field)]")
        }
        guard TestCards.luhnValid(number) else {
            throw cardError("incorrect_number", "Your card number is incorrect.", "number")
        }
        guard let expMonth else { throw StripeError.missingParam("\(paramPrefix)[exp_month]") }
        guard let expYear else { throw StripeError.missingParam("\(paramPrefix)[exp_year]") }
        guard (1...12).contains(expMonth) else {
            throw cardError("invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month")
        }
        let year = expYear < 100 ? 2000 + expYear : expYear
        let (nowYear, nowMonth) = UTCCalendar.yearMonthOf(now)
        guard year > nowYear || (year == nowYear && expMonth >= nowMonth), year < nowYear + 50 else {
            throw cardError("invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year")
        }
        if let cvc, !cvc.isEmpty {
            let expected = TestCards.brand(of: number) == "amex" ? [4] : [3]
            guard cvc.allSatisfy({ $0.isASCII && $0.isNumber }), expected.contains(cvc.count) || cvc.count == 3 || cvc.count == 4 else {
                throw cardError("invalid_cvc", "Your card's security code is invalid.", "cvc")
            }
        }
        return Card(number: number, expMonth: expMonth, expYear: year, cvcProvided: !(cvc ?? "").isEmpty, magicName: nil)
    }

    package var hidden: JSONValue {
        ["number": .string(number), "magic": .from(magicName), "exp_month": .int(expMonth), "exp_year": .int(expYear),
         "cvc": .bool(cvcProvided)]
    }

    package init(number: String, expMonth: Int, expYear: Int, cvcProvided: Bool, magicName: String?) {
        self.number = number
        self.expMonth = expMonth
        self.expYear = expYear
        self.cvcProvided = cvcProvided
        self.magicName = magicName
    }

    package init?(hidden: JSONValue) {
        guard let n = hidden["number"].stringValue else { return nil }
        self.init(number: n, expMonth: hidden["exp_month"].intValue ?? 12, expYear: hidden["exp_year"].intValue ?? 2030,
                  cvcProvided: hidden["cvc"].boolValue ?? false, magicName: hidden["magic"].stringValue)
    }

    /// The `card` hash of a PaymentMethod.
    package var paymentMethodJSON: JSONValue {
        [
            "brand": .string(brand),
            "checks": ["address_line1_check": nil, "address_postal_code_check": nil,
                       "cvc_check": cvcProvided ? "pass" : nil],
            "country": "US",
            "display_brand": .string(brand == "amex" ? "american_express" : brand),
            "exp_month": .int(expMonth),
            "exp_year": .int(expYear),
            "fingerprint": .string(fingerprint),
            "funding": .string(funding),
            "generated_from": nil,
            "last4": .string(last4),
            "networks": ["available": [.string(brand)], "preferred": nil],
            "regulated_status": "unregulated",
            "three_d_secure_usage": ["supported": true],
            "wallet": nil,
        ]
    }

    package static let legacyBrands = ["visa": "Visa", "mastercard": "MasterCard", "amex": "American Express",
                               "discover": "Discover", "jcb": "JCB", "diners": "Diners Club", "unionpay": "UnionPay"]

    /// The legacy `card` object carried by tokens.
    package func legacyJSON(id: String) -> JSONValue {
        [
            "id": .string(id), "object": "card",
            "address_city": nil, "address_country": nil, "address_line1": nil, "address_line1_check": nil,
            "address_line2": nil, "address_state": nil, "address_zip": nil, "address_zip_check": nil,
            "allow_redisplay": "unspecified",
            "brand": .string(Self.legacyBrands[brand] ?? "Unknown"),
            "country": "US", "customer": nil,
            "cvc_check": cvcProvided ? "unchecked" : nil,
            "dynamic_last4": nil,
            "exp_month": .int(expMonth), "exp_year": .int(expYear),
            "fingerprint": .string(fingerprint), "funding": .string(funding),
            "last4": .string(last4), "metadata": [:], "name": nil,
            "networks": ["preferred": nil],
            "regulated_status": "unregulated",
            "tokenization_method": nil,
            "wallet": nil,
        ]
    }
}
