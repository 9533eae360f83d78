import StripeWire

/// Stripe's test cards and what each does: which decline on attach, which attach and fail later,
/// which need authentication. The magic `pm_card_*` and `tok_*` ids map to these numbers.
///
/// Source: shared/reference/stripe-behavior.md §5 (docs.stripe.com/testing).
package enum TestCards {
    /// A card's scripted outcome.
    package struct Behavior: Sendable, Equatable {
        /// Fails when the card is attached or set up (and on every charge).
        package var declineOnAttach: Decline?
        /// Attaches fine, every charge fails.
        package var declineOnCharge: Decline?
        package var authentication: Authentication = .none
        /// What happens to a refund of a charge on this card (docs.stripe.com/testing#refunds).
        package var refund: RefundBehavior? = nil
        /// The dispute the issuer opens right after a charge on this card succeeds (docs.stripe.com/testing#disputes).
        package var dispute: DisputeKind? = nil
    }

    package enum RefundBehavior: Sendable, Equatable {
        /// 4000000000005126: the refund looks `succeeded`, then fails (`expired_or_canceled_card`).
        case failsLater
        /// 4000000000007726: the refund is `pending`, then succeeds.
        case pendingThenSucceeds
    }

    package enum DisputeKind: Sendable, Equatable {
        /// 4000000000000259: a chargeback, reason `fraudulent`.
        case fraudulent
        /// 4000000000002685: a chargeback, reason `product_not_received`.
        case productNotReceived
        /// 4000000000001976: an inquiry (`warning_needs_response`), no funds withdrawn.
        case inquiry
    }

    package enum Authentication: Sendable, Equatable {
        case none
        /// Needs authentication on-session and off-session unless it was set up first (3155).
        case unlessSetUp
        /// Needs authentication on every payment, even off-session renewals (3184).
        case always
        /// Already set up for off-session: only on-session payments need authentication (0446).
        case onSessionOnly
    }

    package struct Decline: Sendable, Equatable {
        package let code: String
        package let declineCode: String?
        package let message: String
        package let param: String?

        package func error(extra: [String: JSONValue] = [:]) -> StripeError {
            StripeError(status: 402, type: .cardError, code: code, declineCode: declineCode, message: message,
                        param: param, extra: extra)
        }

        package static func declined(_ declineCode: String, _ message: String = "Your card was declined.") -> Decline {
            Decline(code: "card_declined", declineCode: declineCode, message: message, param: nil)
        }
        package static let generic = declined("generic_decline")
        package static let insufficientFunds = declined("insufficient_funds", "Your card has insufficient funds.")
        package static let lostCard = declined("lost_card")
        package static let stolenCard = declined("stolen_card")
        package static let velocity = declined("card_velocity_exceeded")
        package static let fraudulent = declined("fraudulent")
        package static let expired = Decline(code: "expired_card", declineCode: "expired_card", message: "Your card has expired.", param: "exp_month")
        package static let incorrectCVC = Decline(code: "incorrect_cvc", declineCode: "incorrect_cvc", message: "Your card's security code is incorrect.", param: "cvc")
        package static let processingError = Decline(code: "processing_error", declineCode: "processing_error",
                                             message: "An error occurred while processing your card. Try again in a little bit.", param: nil)
        package static let incorrectNumber = Decline(code: "incorrect_number", declineCode: nil, message: "Your card number is incorrect.", param: "number")
        package static let authenticationRequired = Decline(code: "authentication_required", declineCode: "authentication_required",
                                                    message: "Your card was declined. This transaction requires authentication.", param: nil)

        package init(code: String, declineCode: String? = nil, message: String, param: String? = nil) {
            self.code = code
            self.declineCode = declineCode
            self.message = message
            self.param = param
        }
    }

    /// Behaviour by card number; numbers not listed simply succeed.
    package static let byNumber: [String: Behavior] = [
        "4000000000000002": Behavior(declineOnAttach: .generic),
        "4000000000009995": Behavior(declineOnAttach: .insufficientFunds),
        "4000000000009987": Behavior(declineOnAttach: .lostCard),
        "4000000000009979": Behavior(declineOnAttach: .stolenCard),
        "4000000000000069": Behavior(declineOnAttach: .expired),
        "4000000000000127": Behavior(declineOnAttach: .incorrectCVC),
        "4000000000000119": Behavior(declineOnAttach: .processingError),
        "4000000000006975": Behavior(declineOnAttach: .velocity),
        "4100000000000019": Behavior(declineOnAttach: .fraudulent),
        "4000000000000341": Behavior(declineOnCharge: .generic),
        "4000002500003155": Behavior(authentication: .unlessSetUp),
        "4000002760003184": Behavior(authentication: .always),
        "4000003800000446": Behavior(authentication: .onSessionOnly),
        "4000008260003178": Behavior(declineOnCharge: .insufficientFunds, authentication: .always),
        "4000000000003220": Behavior(authentication: .always),
        "4000008400001629": Behavior(declineOnCharge: .generic, authentication: .always),
        "4000000000005126": Behavior(refund: .failsLater),
        "4000000000007726": Behavior(refund: .pendingThenSucceeds),
        "4000000000000259": Behavior(dispute: .fraudulent),
        "4000000000002685": Behavior(dispute: .productNotReceived),
        "4000000000001976": Behavior(dispute: .inquiry),
    ]

    /// A magic test id: the card number it stands for, and a behaviour override where the id
    /// means more than its number (`tok_visa_chargeCustomerFailLostCard`).
    package struct Magic: Sendable {
        package let number: String
        package var behavior: Behavior?
    }

    /// The suffixes shared by `pm_card_<name>` and `tok_<name>`.
    package static let magic: [String: Magic] = [
        "visa": Magic(number: "4242424242424242"),
        "visa_debit": Magic(number: "4000056655665556"),
        "mastercard": Magic(number: "5555555555554444"),
        "mastercard_debit": Magic(number: "5200828282828210"),
        "amex": Magic(number: "378282246310005"),
        "discover": Magic(number: "6011111111111117"),
        "diners": Magic(number: "3056930009020004"),
        "jcb": Magic(number: "3566002020360505"),
        "unionpay": Magic(number: "6200000000000005"),
        "visa_chargeDeclined": Magic(number: "4000000000000002"),
        "chargeDeclined": Magic(number: "4000000000000002"),
        "visa_chargeDeclinedInsufficientFunds": Magic(number: "4000000000009995"),
        "chargeDeclinedInsufficientFunds": Magic(number: "4000000000009995"),
        "visa_chargeDeclinedLostCard": Magic(number: "4000000000009987"),
        "chargeDeclinedLostCard": Magic(number: "4000000000009987"),
        "visa_chargeDeclinedStolenCard": Magic(number: "4000000000009979"),
        "chargeDeclinedStolenCard": Magic(number: "4000000000009979"),
        "chargeDeclinedExpiredCard": Magic(number: "4000000000000069"),
        "chargeDeclinedIncorrectCvc": Magic(number: "4000000000000127"),
        "chargeDeclinedProcessingError": Magic(number: "4000000000000119"),
        "visa_chargeDeclinedVelocityLimitExceeded": Magic(number: "4000000000006975"),
        "chargeDeclinedFraudulent": Magic(number: "4100000000000019"),
        "radarBlock": Magic(number: "4100000000000019"),
        "chargeCustomerFail": Magic(number: "4000000000000341"),
        "visa_chargeCustomerFail": Magic(number: "4000000000000341"),
        "visa_chargeCustomerFailLostCard": Magic(number: "4000000000000341", behavior: Behavior(declineOnCharge: .lostCard)),
        "visa_chargeCustomerFailStolenCard": Magic(number: "4000000000000341", behavior: Behavior(declineOnCharge: .stolenCard)),
        "authenticationRequiredOnSetup": Magic(number: "4000002500003155"),
        "authenticationRequired": Magic(number: "4000002760003184"),
        "authenticationRequiredSetupForOffSession": Magic(number: "4000003800000446"),
        "authenticationRequiredChargeDeclinedInsufficientFunds": Magic(number: "4000008260003178"),
        "threeDSecure2Required": Magic(number: "4000000000003220"),
        "threeDSecureRequiredChargeDeclined": Magic(number: "4000008400001629"),
        "threeDSecureOptional": Magic(number: "4000000000003055"),
        "createDispute": Magic(number: "4000000000000259"),
        "createDisputeProductNotReceived": Magic(number: "4000000000002685"),
        "createDisputeInquiry": Magic(number: "4000000000001976"),
        "refundFail": Magic(number: "4000000000005126"),
        "pendingRefund": Magic(number: "4000000000007726"),
        "bypassPending": Magic(number: "4000000000000077"),
    ]

    /// The magic entry for `pm_card_<name>` or `tok_<name>`, if the id is one.
    package static func magic(forID id: String) -> (name: String, Magic)? {
        let name: String
        if id.hasPrefix("pm_card_") { name = String(id.dropFirst("pm_card_".count)) }
        else if id.hasPrefix("tok_") { name = String(id.dropFirst("tok_".count)) }
        else { return nil }
        return magic[name].map { (name, $0) }
    }

    package static func behavior(number: String) -> Behavior { byNumber[number] ?? Behavior() }

    /// Card brands by number prefix.
    package static func brand(of number: String) -> String {
        let d = number
        func starts(_ p: String...) -> Bool { p.contains { d.hasPrefix($0) } }
        if starts("4") { return "visa" }
        if starts("34", "37") { return "amex" }
        if starts("51", "52", "53", "54", "55") { return "mastercard" }
        if let p4 = Int(d.prefix(4)), (2221...2720).contains(p4) { return "mastercard" }
        if starts("6011", "65", "644", "645", "646", "647", "648", "649") { return "discover" }
        if starts("35") { return "jcb" }
        if starts("36", "30", "38", "39") { return "diners" }
        if starts("62", "81") { return "unionpay" }
        return "unknown"
    }

    package static func funding(of number: String) -> String {
        ["4000056655665556", "5200828282828210"].contains(number) ? "debit" : "credit"
    }

    package static func luhnValid(_ number: String) -> Bool {
        guard number.count >= 12, number.count <= 19, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber) else { return false }
        var sum = 0
        for (i, ch) in number.reversed().enumerated() {
            var v = Int(String(ch))!
            if i % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        return sum % 10 == 0
    }
}
