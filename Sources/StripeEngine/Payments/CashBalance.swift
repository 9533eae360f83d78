import StripeWire

/// Bank transfers into a customer's cash balance: the `customer_balance` payment method.
///
/// Confirming a `customer_balance` intent does not charge anything: it takes what the customer's
/// cash balance already holds in the intent's currency and, for the rest, answers
/// `requires_action` with `display_bank_transfer_instructions` (the virtual bank account to
/// send the money to and `amount_remaining`). Money arrives with
/// `POST /v1/test_helpers/customers/{id}/fund_cash_balance` (``fund(customer:amount:currency:reference:_:)``):
/// a `funded` cash balance transaction, then, when the balance reconciles automatically (the
/// default), the money goes to the customer's waiting intents, oldest first, each application an
/// `applied_to_payment` transaction. An intent still short is `payment_intent.partially_funded`;
/// a fully funded one succeeds with a charge. What is left over stays in the cash balance
/// (`cash_balance.funds_available`). Under `manual` reconciliation nothing is applied by itself.
///
/// The balance lives in the customer's hidden state: `cash_balance.available` (currency →
/// amount) and `cash_balance.reconciliation_mode` (absent: the account's default, automatic).
package enum CashBalance {
    /// The bank transfer types and the one currency each takes.
    package static let transferCurrencies: [String: String] = [
        "eu_bank_transfer": "eur", "gb_bank_transfer": "gbp", "jp_bank_transfer": "jpy", "mx_bank_transfer": "mxn",
        "us_bank_transfer": "usd",
    ]
    /// The countries an `eu_bank_transfer` account can be opened in.
    package static let euCountries = ["BE", "DE", "ES", "FR", "IE", "NL"]

    package static func transferType(forCurrency currency: String) -> String? {
        transferCurrencies.first { $0.value == currency }?.key
    }

    // MARK: - The cash balance object

    static func state(_ customerID: String, _ ledger: Ledger) throws -> JSONValue {
        let state = try ledger.store.hidden(customerID)["cash_balance"]
        return state.isNull ? [:] : state
    }

    static func setState(_ customerID: String, _ state: JSONValue, _ ledger: Ledger) throws {
        var hidden = try ledger.store.hidden(customerID)
        hidden["cash_balance"] = state
        try ledger.store.setHidden(customerID, hidden)
    }

    /// What the customer's cash balance holds in a currency.
    package static func available(_ customerID: String, currency: String, _ ledger: Ledger) throws -> Int {
        try state(customerID, ledger)["available"][currency].intValue ?? 0
    }

    /// The `cash_balance` object: `available` is null until money first arrives.
    package static func object(customerID: String, _ ledger: Ledger) throws -> JSONValue {
        let state = try state(customerID, ledger)
        let mode = state["reconciliation_mode"].stringValue
        return [
            "object": "cash_balance", "available": state["available"].isNull ? nil : state["available"],
            "customer": .string(customerID), "customer_account": nil, "livemode": false,
            "settings": ["reconciliation_mode": .string(mode ?? "automatic"), "using_merchant_default": .bool(mode == nil)],
        ]
    }

    /// `settings[reconciliation_mode]`: `automatic`, `manual`, or `merchant_default` (back to the
    /// account's default, automatic).
    package static func setReconciliationMode(_ mode: String, customerID: String, _ ledger: Ledger) throws -> JSONValue {
        var state = try state(customerID, ledger)
        state["reconciliation_mode"] = mode == "merchant_default" ? nil : .string(mode)
        try setState(customerID, state, ledger)
        return try object(customerID: customerID, ledger)
    }

    static func isAutomatic(_ customerID: String, _ ledger: Ledger) throws -> Bool {
        try state(customerID, ledger)["reconciliation_mode"].stringValue != "manual"
    }

    // MARK: - Transactions

    /// Records a `customer_cash_balance_transaction` (`ccsbtxn_…`) that moves the balance by
    /// `net`, and sends `customer_cash_balance_transaction.created`.
    @discardableResult
    static func record(_ customerID: String, type: String, net: Int, currency: String, detail: JSONValue, now: Int,
                       _ ledger: Ledger) throws -> JSONValue {
        var state = try state(customerID, ledger)
        let ending = (state["available"][currency].intValue ?? 0) + net
        if state["available"].isNull { state["available"] = [:] }
        state["available"][currency] = .int(ending)
        try setState(customerID, state, ledger)
        var txn: JSONValue = [
            "id": .string(try ledger.newID("ccsbtxn")), "object": "customer_cash_balance_transaction",
            "adjusted_for_overdraft": nil, "applied_to_payment": nil, "created": .int(now), "currency": .string(currency),
            "customer": .string(customerID), "customer_account": nil, "ending_balance": .int(ending), "funded": nil,
            "livemode": false, "net_amount": .int(net), "refunded_from_payment": nil, "transferred_to_balance": nil,
            "type": .string(type), "unapplied_from_payment": nil,
        ]
        txn[type] = detail
        try ledger.store.insert(txn, type: "customer_cash_balance_transaction")
        try ledger.emit(.customerCashBalanceTransactionCreated, txn)
        return txn
    }

    /// A bank transfer arrives (the test helper): `funded`, then reconciliation, then
    /// `cash_balance.funds_available` if money is left over. Answers the `funded` transaction.
    package static func fund(customer: JSONValue, amount: Int, currency: String, reference: String?, _ ledger: Ledger) throws -> JSONValue {
        let customerID = customer["id"].stringValue!
        guard let type = transferType(forCurrency: currency) else {
            throw StripeError.invalidRequest(
                "Bank transfers into a cash balance are in \(transferCurrencies.values.sorted().joined(separator: ", ")), not \(currency).",
                param: "currency")
        }
        let now = try ledger.now(for: customer)
        var transfer: JSONValue = ["type": .string(type), "reference": .from(reference), "eu_bank_transfer": nil,
                                   "gb_bank_transfer": nil, "jp_bank_transfer": nil, "us_bank_transfer": nil]
        let sender = customer["name"].stringValue ?? customer["email"].stringValue
        switch type {
        case "eu_bank_transfer": transfer[type] = ["bic": "STRIPEXXXXX", "iban_last4": "3000", "sender_name": .from(sender)]
        case "gb_bank_transfer": transfer[type] = ["account_number_last4": "0002", "sender_name": .from(sender), "sort_code": "108800"]
        case "jp_bank_transfer": transfer[type] = ["sender_bank": "テスト銀行", "sender_branch": "本店", "sender_name": .from(sender)]
        case "us_bank_transfer": transfer[type] = ["network": "ach", "sender_name": .from(sender)]
        default: break
        }
        let funded = try record(customerID, type: "funded", net: amount, currency: currency, detail: ["bank_transfer": transfer],
                                now: now, ledger)
        if try isAutomatic(customerID, ledger) {
            try reconcile(customerID: customerID, currency: currency, reference: reference, now: now, ledger)
        }
        if try available(customerID, currency: currency, ledger) > 0 {
            try ledger.emit(.cashBalanceFundsAvailable, try object(customerID: customerID, ledger))
        }
        return funded
    }

    /// Applies the balance to the customer's intents that wait on a transfer in this currency:
    /// the one whose reference the transfer quoted first, then the oldest.
    static func reconcile(customerID: String, currency: String, reference: String?, now: Int, _ ledger: Ledger) throws {
        var waiting = try ledger.store.all(type: "payment_intent", filters: [
            .column("customer", customerID), .field("status", equals: "requires_action"),
            .field("next_action.type", equals: "display_bank_transfer_instructions"), .field("currency", equals: .string(currency)),
        ])
        if let reference, let i = waiting.firstIndex(where: { $0["next_action"]["display_bank_transfer_instructions"]["reference"] == .string(reference) }) {
            waiting.insert(waiting.remove(at: i), at: 0)
        }
        for var pi in waiting {
            let balance = try available(customerID, currency: currency, ledger)
            guard balance > 0 else { return }
            try apply(&pi, amount: balance, now: now, ledger)
        }
    }

    /// Moves up to `amount` of the cash balance onto a waiting intent (`applied_to_payment`);
    /// the intent is saved, and succeeds once nothing remains. Answers what was applied.
    @discardableResult
    package static func apply(_ pi: inout JSONValue, amount: Int, now: Int, _ ledger: Ledger) throws -> Int {
        let remaining = pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"].intValue ?? pi["amount"].intValue ?? 0
        let applied = min(amount, remaining)
        guard applied > 0, let customerID = pi["customer"].stringValue, let currency = pi["currency"].stringValue else { return 0 }
        try record(customerID, type: "applied_to_payment", net: -applied, currency: currency, detail: ["payment_intent": pi["id"]],
                   now: now, ledger)
        let left = remaining - applied
        if left > 0 {
            pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] = .int(left)
            try ledger.store.update(pi)
            try ledger.emit(.paymentIntentPartiallyFunded, pi)
        } else {
            try succeed(&pi, now: now, ledger)
        }
        return applied
    }

    /// Canceling an intent that was partly funded gives what was applied back to the cash
    /// balance (`unapplied_from_payment`).
    package static func returnFunds(of pi: JSONValue, _ ledger: Ledger) throws {
        guard pi["next_action"]["type"] == "display_bank_transfer_instructions",
              let remaining = pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"].intValue,
              let amount = pi["amount"].intValue, amount > remaining,
              let customerID = pi["customer"].stringValue, let currency = pi["currency"].stringValue else { return }
        try record(customerID, type: "unapplied_from_payment", net: amount - remaining, currency: currency,
                   detail: ["payment_intent": pi["id"]], now: try ledger.now(for: pi), ledger)
    }

    /// The intent is paid in full from the cash balance: a succeeded charge.
    static func succeed(_ pi: inout JSONValue, now: Int, _ ledger: Ledger) throws {
        guard let pmID = pi["payment_method"].stringValue, let pm = try ledger.store.find(pmID)?.object else { return }
        let charge = try ChargeObject.settledLater(pi: pi, pm: pm, details: ["customer_balance": [:], "type": "customer_balance"],
                                                   status: "succeeded", now: now, ledger)
        try Payments.succeed(&pi, charge: charge, ledger)
    }

    // MARK: - Confirming an intent

    /// Confirms a `customer_balance` intent: the instructions for the whole amount
    /// (`requires_action`), then whatever the balance already holds is applied (automatic
    /// reconciliation), which may fund it in full at once.
    package static func confirm(_ pi: inout JSONValue, pm: JSONValue, now: Int, _ ledger: Ledger) throws -> Payments.Outcome {
        guard let customerID = pi["customer"].stringValue else {
            throw StripeError.invalidRequest("A customer is required to use the customer_balance payment method: pass customer.",
                                             param: "customer")
        }
        let currency = pi["currency"].stringValue ?? ""
        let type = pi["payment_method_options"]["customer_balance"]["bank_transfer"]["type"].stringValue
            ?? transferType(forCurrency: currency)
        guard pi["payment_method_options"]["customer_balance"]["funding_type"] == "bank_transfer", let type else {
            throw StripeError.invalidRequest(
                "payment_method_options[customer_balance][funding_type] must be bank_transfer, with payment_method_options[customer_balance][bank_transfer][type], to confirm with customer_balance.",
                param: "payment_method_options[customer_balance][funding_type]")
        }
        guard transferCurrencies[type] == currency else {
            throw StripeError.invalidRequest(
                "The currency provided (\(currency)) is invalid for \(type): it takes \(transferCurrencies[type] ?? "none").",
                param: "currency")
        }
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_action"
        pi["last_payment_error"] = nil
        pi["next_action"] = [
            "type": "display_bank_transfer_instructions",
            "display_bank_transfer_instructions": [
                "amount_remaining": pi["amount"], "currency": .string(currency),
                "financial_addresses": [try financialAddress(type, pi: pi, customerID: customerID, ledger)],
                "hosted_instructions_url": .string("\(ledger.settings.baseURL)/_emulator/bank_transfer_instructions/\(pi["id"].stringValue!)"),
                "reference": .string(reference(of: pi)), "type": .string(type),
            ],
        ]
        try ledger.store.update(pi)
        try ledger.emit(.paymentIntentRequiresAction, pi)
        let balance = try available(customerID, currency: currency, ledger)
        if balance > 0, try isAutomatic(customerID, ledger) { try apply(&pi, amount: balance, now: now, ledger) }
        return pi["status"] == "succeeded" ? .succeeded(charge: try ledger.store.get(pi["latest_charge"].stringValue!, type: "charge"))
                                           : .requiresAction
    }

    /// The code a payer quotes with the transfer so it reaches this intent first.
    static func reference(of pi: JSONValue) -> String {
        let id = pi["id"].stringValue ?? ""
        return String(id.dropFirst("pi_".count).suffix(10)).uppercased()
    }

    /// The customer's virtual bank account for a transfer type: stable per customer (digits
    /// derived from its id), at Stripe's test bank.
    static func financialAddress(_ type: String, pi: JSONValue, customerID: String, _ ledger: Ledger) throws -> JSONValue {
        let digits = String(BankDebit.fingerprint(customerID).unicodeScalars.map { String($0.value % 10) }.joined())
        let holder: JSONValue = .string(try AccountObject.identity(ledger).descriptor)
        let address: JSONValue = ["city": "South San Francisco", "country": "US", "line1": "354 Oyster Point Blvd", "line2": nil,
                                  "postal_code": "94080", "state": "CA"]
        switch type {
        case "jp_bank_transfer":
            let bank: JSONValue = ["city": "Chiyoda-ku", "country": "JP", "line1": "1-1 Marunouchi", "line2": nil,
                                   "postal_code": "100-0005", "state": "Tokyo"]
            return ["type": "zengin", "supported_networks": ["zengin"], "zengin": [
                "account_holder_address": address, "account_holder_name": holder, "account_number": .string(String(digits.prefix(7))),
                "account_type": "futsu", "bank_address": bank, "bank_code": "0999", "bank_name": "テスト銀行",
                "branch_code": "001", "branch_name": "本店",
            ]]
        case "eu_bank_transfer":
            let country = pi["payment_method_options"]["customer_balance"]["bank_transfer"]["eu_bank_transfer"]["country"].stringValue ?? "DE"
            return ["type": "iban", "supported_networks": ["sepa"], "iban": [
                "account_holder_address": address, "account_holder_name": holder, "bank_address": address, "bic": "STRIPEXXXXX",
                "country": .string(country), "iban": .string("\(country)00STRP\(digits.prefix(14))"),
            ]]
        case "gb_bank_transfer":
            return ["type": "sort_code", "supported_networks": ["bacs", "fps"], "sort_code": [
                "account_holder_address": address, "account_holder_name": holder, "account_number": .string(String(digits.prefix(8))),
                "bank_address": address, "sort_code": "108800",
            ]]
        case "mx_bank_transfer":
            return ["type": "spei", "supported_networks": ["spei"], "spei": [
                "account_holder_address": address, "account_holder_name": holder, "bank_address": address, "bank_code": "002",
                "bank_name": "STRIPE TEST BANK", "clabe": .string("002\(digits.prefix(15))"),
            ]]
        default:
            return ["type": "aba", "supported_networks": ["ach", "domestic_wire_us"], "aba": [
                "account_holder_address": address, "account_holder_name": holder, "account_number": .string(String(digits.prefix(12))),
                "account_type": "checking", "bank_address": address, "bank_name": "STRIPE TEST BANK", "routing_number": "110000000",
            ]]
        }
    }
}
