import StripeEngine
import StripeWire

/// Bank transfers (the `customer_balance` payment method) at the API: an intent's
/// `payment_method_data[type]=customer_balance` and `payment_method_options[customer_balance]`,
/// the customer's `cash_balance` and its transactions, the `fund_cash_balance` test helper that
/// plays the customer's bank, and `apply_customer_balance` for manual reconciliation. The rules
/// are ``CashBalance``'s.
enum CustomerCashBalance {
    static func register(_ r: inout APIRouter) {
        r.get("/v1/customers/{customer}/cash_balance", retrieve)
        r.post("/v1/customers/{customer}/cash_balance", update)
        r.get("/v1/customers/{customer}/cash_balance_transactions", listTransactions)
        r.get("/v1/customers/{customer}/cash_balance_transactions/{transaction}", retrieveTransaction)
        r.post("/v1/test_helpers/customers/{customer}/fund_cash_balance", fund)
        r.post("/v1/payment_intents/{intent}/apply_customer_balance", applyToIntent)
    }

    // MARK: - On payment intents

    /// `payment_method_data` on an intent: a new payment method made for it. Only
    /// `customer_balance` is made this way here (cards and bank debits come from
    /// `/v1/payment_methods` or the test ids).
    static func paymentMethod(fromData req: inout APIRequest) throws -> JSONValue {
        let type = try req.params.requiredString("payment_method_data", "type")
        guard type == "customer_balance" else {
            throw StripeError.invalidRequest(
                "payment_method_data[type]=\(type) is not emulated; customer_balance is (create cards and bank debits with /v1/payment_methods).",
                param: "payment_method_data[type]")
        }
        let billing = try Address.billingDetails(&req.params, ["payment_method_data", "billing_details"])
        let pm = BankDebit.paymentMethod(id: try req.newID("pm"), type: type, details: [:], billingDetails: billing, now: req.now)
        try req.store.insert(pm, type: "payment_method")
        return pm
    }

    /// `payment_method_options[customer_balance]`: `funding_type=bank_transfer` and the transfer
    /// type (`bank_transfer[type]`, with `eu_bank_transfer[country]` for euros); nil when absent.
    static func options(_ params: inout Params) throws -> JSONValue? {
        let base = ["payment_method_options", "customer_balance"]
        guard params.has(base) else { return nil }
        let funding = try params.choice(base + ["funding_type"], in: ["bank_transfer"])
        var transfer: JSONValue? = nil
        if params.has(base + ["bank_transfer"]) {
            // The first names of the transfer types (`jp_bank_account`, … in 2022, which the CLI's
            // `payment_intent.partially_funded` trigger still sends) mean the same types.
            let legacy = ["eu_bank_account": "eu_bank_transfer", "gb_bank_account": "gb_bank_transfer", "jp_bank_account": "jp_bank_transfer"]
            let typePath = base + ["bank_transfer", "type"]
            guard let asked = try params.string(typePath), !asked.isEmpty else { throw StripeError.missingParam(Params.name(typePath)) }
            let type = legacy[asked] ?? asked
            guard CashBalance.transferCurrencies[type] != nil else {
                throw StripeError.invalidRequest(
                    "Invalid \(Params.name(typePath)): must be one of \(CashBalance.transferCurrencies.keys.sorted().joined(separator: ", "))",
                    param: Params.name(typePath), code: "parameter_invalid_string")
            }
            let defaults = ["eu_bank_transfer": "iban", "gb_bank_transfer": "sort_code", "jp_bank_transfer": "zengin",
                            "mx_bank_transfer": "spei", "us_bank_transfer": "aba"]
            let requested = try params.strings(base + ["bank_transfer", "requested_address_types"]) ?? [defaults[type]!]
            for r in requested where !["aba", "iban", "sepa", "sort_code", "spei", "swift", "zengin"].contains(r) {
                throw StripeError.invalidRequest("Invalid requested_address_types: \(r).",
                                                 param: "payment_method_options[customer_balance][bank_transfer][requested_address_types]")
            }
            var t: JSONValue = ["requested_address_types": .array(requested.map { .string($0) }), "type": .string(type)]
            if type == "eu_bank_transfer" {
                guard let country = try params.choice(base + ["bank_transfer", "eu_bank_transfer", "country"], in: CashBalance.euCountries) else {
                    throw StripeError.missingParam("payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]")
                }
                t["eu_bank_transfer"] = ["country": .string(country)]
            }
            transfer = t
        }
        if funding != nil, transfer == nil {
            throw StripeError.missingParam("payment_method_options[customer_balance][bank_transfer]")
        }
        var out: JSONValue = ["bank_transfer": transfer ?? .null, "funding_type": .from(funding)]
        if let s = try params.choice(base + ["setup_future_usage"], in: ["none"]) { out["setup_future_usage"] = .string(s) }
        return out
    }

    /// `POST /v1/payment_intents/{id}/apply_customer_balance`: under manual reconciliation, moves
    /// `amount` (default: all it can) of the cash balance onto a waiting intent.
    static func applyToIntent(_ req: inout APIRequest) throws -> JSONValue {
        var pi = try PaymentIntents.get(req.pathParam(), req)
        guard pi["status"] == "requires_action", pi["next_action"]["type"] == "display_bank_transfer_instructions",
              let customer = pi["customer"].stringValue, let currency = pi["currency"].stringValue else {
            throw StripeError.invalidRequest(
                "You can only apply a cash balance to a PaymentIntent that is waiting for a bank transfer (customer_balance, status requires_action); this one has a status of \(pi["status"].stringValue ?? "").",
                code: "payment_intent_unexpected_state")
        }
        if let c = try req.params.currency("currency"), c.lowercased() != currency {
            throw StripeError.invalidRequest("The currency must be the PaymentIntent's (\(currency)).", param: "currency")
        }
        let balance = try CashBalance.available(customer, currency: currency, req.ledger)
        let amount = try req.params.int("amount") ?? balance
        guard amount > 0, amount <= balance else {
            throw StripeError.invalidRequest(
                "The customer's cash balance holds \(balance) \(currency); the amount to apply must be between 1 and that.", param: "amount")
        }
        try CashBalance.apply(&pi, amount: amount, now: try req.ledger.now(for: pi), req.ledger)
        return pi
    }

    // MARK: - The customer's cash balance

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req, param: "customer")
        return try CashBalance.object(customerID: customer["id"].stringValue!, req.ledger)
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req, param: "customer")
        let id = customer["id"].stringValue!
        guard let mode = try req.params.choice("settings", "reconciliation_mode", in: ["automatic", "manual", "merchant_default"]) else {
            return try CashBalance.object(customerID: id, req.ledger)
        }
        return try CashBalance.setReconciliationMode(mode, customerID: id, req.ledger)
    }

    static func fund(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req, param: "customer")
        guard let amount = try req.params.int("amount") else { throw StripeError.missingParam("amount") }
        guard amount > 0 else { throw StripeError.invalidRequest("The amount must be positive.", param: "amount") }
        guard let currency = try req.params.currency("currency")?.lowercased() else { throw StripeError.missingParam("currency") }
        return try CashBalance.fund(customer: customer, amount: amount, currency: currency, reference: try req.params.nonEmpty("reference"),
                                    req.ledger)
    }

    static func listTransactions(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req, param: "customer")
        var (page, filters) = try req.listPage()
        filters.append(.field("customer", equals: customer["id"]))
        return try req.store.list(type: "customer_cash_balance_transaction", filters: filters, page: page,
                                  url: "/v1/customers/\(req.pathParam())/cash_balance_transactions",
                                  noun: "customer_cash_balance_transaction")
    }

    static func retrieveTransaction(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(0), req, param: "customer")
        let txn = try req.store.get(req.pathParam(1), type: "customer_cash_balance_transaction",
                                    noun: "customer_cash_balance_transaction", param: "transaction")
        guard txn["customer"] == customer["id"] else {
            throw StripeError.noSuch("customer_cash_balance_transaction", req.pathParam(1), param: "transaction")
        }
        return txn
    }
}
