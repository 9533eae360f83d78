import StripeWire

/// Payments that settle later: SEPA Direct Debit and ACH (`us_bank_account`). Confirming one
/// leaves the intent `processing` and the charge `pending` (`charge.pending`,
/// `payment_intent.processing`); the outcome comes when the settlement is due on the clock
/// (``settle(_:_:)``, scheduled as `payment_intent.settle_debit`), and moves whatever waited
/// on it: the invoice (paid, or failed into dunning) and the Checkout Session
/// (`checkout.session.async_payment_succeeded/failed`).
///
/// Test account numbers, from Stripe's testing docs (docs.stripe.com/testing#sepa-direct-debit,
/// #ach-direct-debit): those Stripe settles at once in test mode settle as soon as the clock
/// runs the due work (right after the request); the "after three minutes" ones three minutes
/// later. A valid account that is not a test number fails, as the CLI's
/// `checkout.session.async_payment_failed` fixture relies on (IT60X0542811101000000123456).
package enum BankDebit {
    package static let types = ["sepa_debit", "us_bank_account"]

    package struct Settlement: Equatable, Sendable {
        package var succeeds: Bool
        /// Seconds between confirmation and the outcome.
        package var delay: Int = 0
        package var failureCode: String? = nil
        package var failureMessage: String? = nil
    }

    static func fails(_ code: String, _ message: String, delay: Int = 0) -> Settlement {
        Settlement(succeeds: false, delay: delay, failureCode: code, failureMessage: message)
    }

    package static let sepaTestIBANs: [String: Settlement] = [
        "AT611904300234573201": Settlement(succeeds: true),
        "AT321904300235473204": Settlement(succeeds: true, delay: 180),
        "AT861904300235473202": fails("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
        "AT051904300235473205": fails("insufficient_funds", "The customer's account has insufficient funds to cover this payment.", delay: 180),
        "AT591904300235473203": Settlement(succeeds: true),
        "DE89370400440532013000": Settlement(succeeds: true),
        "FR1420041010050500013M02606": Settlement(succeeds: true),
        "NL39RABO0300065264": Settlement(succeeds: true),
    ]
    static let unknownSEPA = fails("generic_could_not_process", "The payment could not be processed.")

    package static let achTestAccounts: [String: Settlement] = [
        "000123456789": Settlement(succeeds: true),
        "000111111113": fails("account_closed", "The customer's bank account has been closed."),
        "000111111116": fails("no_account", "The customer's bank account could not be located."),
        "000222222227": fails("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
        "000333333335": fails("debit_not_authorized", "The customer has notified their bank that this payment was unauthorized."),
        "000444444440": fails("invalid_currency", "The bank was unable to process this payment because of its currency."),
    ]
    static let unknownACH = fails("generic_could_not_process", "The payment could not be processed.")

    package static func isBankDebit(_ pm: JSONValue) -> Bool { types.contains(pm["type"].stringValue ?? "") }

    package static func settlement(hidden: JSONValue) -> Settlement {
        let number = hidden["account"].stringValue ?? ""
        if hidden["bank"] == "us_bank_account" { return achTestAccounts[number] ?? unknownACH }
        return sepaTestIBANs[number] ?? unknownSEPA
    }

    /// Whether an IBAN is well formed (country, check digits, mod 97).
    package static func validIBAN(_ raw: String) -> Bool {
        let iban = raw.uppercased().filter { $0 != " " }
        guard iban.count >= 15, iban.count <= 34, iban.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
              iban.prefix(2).allSatisfy(\.isLetter) else { return false }
        let rearranged = iban.dropFirst(4) + iban.prefix(4)
        var remainder = 0
        for ch in rearranged {
            let value = ch.isNumber ? Int(String(ch))! : Int(ch.asciiValue! - 55)
            for digit in String(value) { remainder = (remainder * 10 + Int(String(digit))!) % 97 }
        }
        return remainder == 1
    }

    /// `YYYY-MM-DD` (UTC) of a timestamp.
    static func dateString(_ t: Int) -> String {
        let (y, m, d) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    static func fingerprint(_ s: String) -> String {
        let digest = Digest.sha256(Array(("bank:" + s).utf8))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String(digest.prefix(16).map { alphabet[Int($0) % alphabet.count] })
    }

    package static func sepaDetails(iban raw: String) -> JSONValue {
        let iban = raw.uppercased().filter { $0 != " " }
        let bban = Array(iban.dropFirst(4))
        return [
            "bank_code": .string(String(bban.prefix(5))), "branch_code": "", "country": .string(String(iban.prefix(2))),
            "fingerprint": .string(fingerprint(iban)), "generated_from": ["charge": nil, "setup_attempt": nil],
            "last4": .string(String(iban.suffix(4))),
        ]
    }

    package static func usBankDetails(account: String, routing: String, holderType: String, accountType: String) -> JSONValue {
        [
            "account_holder_type": .string(holderType), "account_type": .string(accountType), "bank_name": "STRIPE TEST BANK",
            "financial_connections_account": nil, "fingerprint": .string(fingerprint(routing + ":" + account)),
            "last4": .string(String(account.suffix(4))), "networks": ["preferred": "ach", "supported": ["ach"]],
            "routing_number": .string(routing), "status_details": [:],
        ]
    }

    /// A new bank-debit payment method (`sepa_debit` or `us_bank_account`).
    package static func paymentMethod(id: String, type: String, details: JSONValue, billingDetails: JSONValue, now: Int) -> JSONValue {
        var pm: JSONValue = [
            "id": .string(id), "object": "payment_method", "allow_redisplay": "unspecified", "billing_details": billingDetails,
            "created": .int(now), "customer": nil, "customer_account": nil, "livemode": false, "metadata": [:], "type": .string(type),
        ]
        pm[type] = details
        return pm
    }

    /// The payment method's mandate: made on its first confirmation (from `mandate_data`, or an
    /// online acceptance), reused afterwards.
    package static func mandate(for pm: JSONValue, acceptance: JSONValue?, now: Int, _ ledger: Ledger) throws -> String {
        let pmID = pm["id"].stringValue!
        var hidden = try ledger.store.hidden(pmID)
        if let existing = hidden["mandate"].stringValue { return existing }
        let id = try ledger.newID("mandate")
        let type = pm["type"].stringValue ?? "sepa_debit"
        let reference = String(id.dropFirst("mandate_".count).prefix(16)).uppercased()
        var accepted: JSONValue = acceptance ?? ["type": "online", "online": ["ip_address": "127.0.0.1", "user_agent": "effinity"]]
        accepted["accepted_at"] = .int(now)
        if accepted["type"] == "online" { accepted["offline"] = nil } else { accepted["online"] = nil }
        let details: JSONValue = type == "sepa_debit"
            ? ["sepa_debit": ["reference": .string(reference), "url": .string("\(ledger.settings.baseURL)/_emulator/mandates/\(id)")],
               "type": "sepa_debit"]
            : ["type": "us_bank_account", "us_bank_account": ["collection_method": nil]]
        let mandate: JSONValue = [
            "id": .string(id), "object": "mandate", "customer_acceptance": accepted, "livemode": false, "multi_use": [:],
            "on_behalf_of": nil, "payment_method": .string(pmID), "payment_method_details": details, "status": "active",
            "type": "multi_use",
        ]
        try ledger.store.insert(mandate, type: "mandate")
        hidden["mandate"] = .string(id)
        try ledger.store.setHidden(pmID, hidden)
        return id
    }

    /// Confirms with a bank debit: a pending charge, the intent `processing`, the settlement scheduled.
    package static func begin(_ pi: inout JSONValue, pm: JSONValue, acceptance: JSONValue?, now: Int, _ ledger: Ledger) throws -> JSONValue {
        let type = pm["type"].stringValue!
        let mandate = try mandate(for: pm, acceptance: acceptance, now: now, ledger)
        let settlement = settlement(hidden: try ledger.store.hidden(pm["id"].stringValue!))
        var details = pm[type]
        details["generated_from"] = nil
        details["financial_connections_account"] = nil
        details["networks"] = nil
        details["status_details"] = nil
        details["expected_debit_date"] = .string(dateString(now + settlement.delay))
        details["mandate"] = .string(mandate)
        if type == "us_bank_account" { details["payment_reference"] = nil }
        var paymentDetails: JSONValue = ["type": .string(type)]
        paymentDetails[type] = details
        let charge = try ChargeObject.settledLater(pi: pi, pm: pm, details: paymentDetails, status: "pending", now: now, ledger)
        pi["payment_method"] = pm["id"]
        pi["payment_method_types"] = [.string(type)]
        var options: JSONValue = [:]
        options[type] = type == "us_bank_account" ? ["verification_method": "automatic"] : [:]
        pi["payment_method_options"] = options
        pi["status"] = "processing"
        pi["latest_charge"] = charge["id"]
        pi["last_payment_error"] = nil
        pi["next_action"] = nil
        pi["processing"] = nil
        try ledger.store.update(pi)
        try ledger.emit(.chargePending, charge)
        try ledger.emit(.paymentIntentProcessing, pi)
        let clock = try ledger.clock(of: pi)
        try Scheduler.schedule(ledger, clock: clock, at: now + settlement.delay, .settleDebit, target: pi["id"].stringValue!)
        return charge
    }

    /// The bank's answer: the charge and intent succeed or fail, then the invoice or Checkout
    /// Session that waited on them follows.
    package static func settle(_ piID: String, _ ledger: inout Ledger) throws {
        guard var pi = try ledger.store.find(piID)?.object, pi["status"] == "processing",
              let chargeID = pi["latest_charge"].stringValue, var charge = try ledger.store.find(chargeID)?.object,
              let pmID = pi["payment_method"].stringValue, let pm = try ledger.store.find(pmID)?.object else { return }
        let settlement = settlement(hidden: try ledger.store.hidden(pmID))
        let now = try ledger.now(for: pi)
        if settlement.succeeds {
            charge["status"] = "succeeded"
            charge["paid"] = true
            try ledger.store.update(charge)
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]
            try ledger.store.update(pi)
            try ledger.emit(.chargeSucceeded, charge)
            try ledger.emit(.paymentIntentSucceeded, pi)
        } else {
            charge["status"] = "failed"
            charge["failure_code"] = .from(settlement.failureCode)
            charge["failure_message"] = .from(settlement.failureMessage)
            charge["outcome"]["network_status"] = "declined_by_network"
            charge["outcome"]["type"] = "issuer_declined"
            charge["outcome"]["seller_message"] = "The bank returned the debit."
            try ledger.store.update(charge)
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = [
                "charge": .string(chargeID), "code": .from(settlement.failureCode), "decline_code": nil, "doc_url": nil,
                "message": .from(settlement.failureMessage), "param": nil, "payment_method": pm,
                "payment_method_type": pm["type"], "type": "card_error",
            ]
            try ledger.store.update(pi)
            try ledger.emit(.chargeFailed, charge)
            try ledger.emit(.paymentIntentPaymentFailed, pi)
        }
        try Invoicing.settled(paymentIntent: pi, succeeded: settlement.succeeds, now: now, &ledger)
        try CheckoutEngine.settled(paymentIntent: pi, succeeded: settlement.succeeds, ledger)
    }
}
