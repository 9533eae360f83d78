import Testing
import StripeWire
@testable import StripeEmulator

/// Bank transfers into a customer's cash balance: `customer_balance` intents, their transfer
/// instructions, `fund_cash_balance`, automatic and manual reconciliation.
@Suite struct CashBalanceTests {
    func customer(_ s: TestStripe) async -> String {
        await s.post("/v1/customers", [("name", "Yamada Taro")]).id
    }

    func transferIntent(_ s: TestStripe, customer: String, amount: Int, currency: String = "jpy",
                        type: String = "jp_bank_transfer", extra: [(String, String)] = []) async -> TestStripe.Reply {
        await s.post("/v1/payment_intents", [("amount", String(amount)), ("currency", currency), ("customer", customer),
                                             ("payment_method_types[]", "customer_balance"),
                                             ("payment_method_data[type]", "customer_balance"),
                                             ("payment_method_options[customer_balance][funding_type]", "bank_transfer"),
                                             ("payment_method_options[customer_balance][bank_transfer][type]", type),
                                             ("confirm", "true")] + extra)
    }

    @Test func partiallyFundedThenSucceeded() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        var piID = ""
        let confirmed = await s.events {
            let pi = await transferIntent(s, customer: cus, amount: 20000)
            #expect(pi.status == 200, "\(pi.response.bodyString)")
            piID = pi.id
            #expect(pi.json["status"] == "requires_action")
            let instructions = pi.json["next_action"]["display_bank_transfer_instructions"]
            #expect(pi.json["next_action"]["type"] == "display_bank_transfer_instructions")
            #expect(instructions["amount_remaining"] == 20000)
            #expect(instructions["currency"] == "jpy")
            #expect(instructions["type"] == "jp_bank_transfer")
            #expect(instructions["financial_addresses"][0]["type"] == "zengin")
            #expect(instructions["financial_addresses"][0]["zengin"]["bank_code"] == "0999")
            #expect(pi.json["payment_method_options"]["customer_balance"]["funding_type"] == "bank_transfer")
            #expect(pi.json["payment_method_options"]["customer_balance"]["bank_transfer"]["requested_address_types"] == ["zengin"])
        }
        #expect(confirmed == ["payment_intent.created", "payment_intent.requires_action"])
        let pm = await s.get("/v1/payment_methods/\(await s.get("/v1/payment_intents/\(piID)").json["payment_method"].stringValue!)").json
        #expect(pm["type"] == "customer_balance")
        #expect(pm["customer_balance"] == [:])

        // 10,000 of 20,000 arrives: applied to the intent, which still needs 10,000.
        let first = await s.events {
            let funded = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "10000"), ("currency", "jpy")])
            #expect(funded.status == 200, "\(funded.response.bodyString)")
            #expect(funded.json["object"] == "customer_cash_balance_transaction")
            #expect(funded.json["type"] == "funded")
            #expect(funded.json["net_amount"] == 10000)
            #expect(funded.json["ending_balance"] == 10000)
            #expect(funded.json["funded"]["bank_transfer"]["type"] == "jp_bank_transfer")
            #expect(funded.json["funded"]["bank_transfer"]["jp_bank_transfer"]["sender_name"] == "Yamada Taro")
        }
        #expect(first == ["customer_cash_balance_transaction.created", "customer_cash_balance_transaction.created",
                          "payment_intent.partially_funded"])
        let half = await s.get("/v1/payment_intents/\(piID)").json
        #expect(half["status"] == "requires_action")
        #expect(half["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] == 10000)
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["jpy": 0])

        // 15,000 more: 10,000 pays the rest, 5,000 stays in the cash balance.
        let second = await s.events {
            _ = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "15000"), ("currency", "jpy")])
        }
        #expect(second == ["customer_cash_balance_transaction.created", "customer_cash_balance_transaction.created",
                           "charge.succeeded", "payment_intent.succeeded", "cash_balance.funds_available"])
        let paid = await s.get("/v1/payment_intents/\(piID)").json
        #expect(paid["status"] == "succeeded")
        #expect(paid["amount_received"] == 20000)
        #expect(paid["next_action"] == .null)
        let charge = await s.charge(paid["latest_charge"].stringValue!)
        #expect(charge["amount"] == 20000)
        #expect(charge["status"] == "succeeded")
        #expect(charge["payment_method_details"] == ["customer_balance": [:], "type": "customer_balance"])
        let balance = await s.get("/v1/customers/\(cus)/cash_balance").json
        #expect(balance["object"] == "cash_balance")
        #expect(balance["available"] == ["jpy": 5000])
        #expect(balance["settings"] == ["reconciliation_mode": "automatic", "using_merchant_default": true])

        let txns = await s.get("/v1/customers/\(cus)/cash_balance_transactions").json["data"].arrayValue ?? []
        // Newest first: applied 10,000 (ending 5,000), funded 15,000, applied 10,000, funded 10,000.
        #expect(txns.map { $0["type"].stringValue ?? "" } == ["applied_to_payment", "funded", "applied_to_payment", "funded"])
        #expect(txns.map { $0["net_amount"].intValue ?? 0 } == [-10000, 15000, -10000, 10000])
        #expect(txns.map { $0["ending_balance"].intValue ?? 0 } == [5000, 15000, 0, 10000])
        #expect(txns[0]["applied_to_payment"]["payment_intent"] == .string(piID))
        let one = await s.get("/v1/customers/\(cus)/cash_balance_transactions/\(txns[1]["id"].stringValue!)")
        #expect(one.json["net_amount"] == 15000)
    }

    @Test func balanceOnHandPaysAtConfirmation() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        _ = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "3000"), ("currency", "gbp"),
                                                                                 ("reference", "REF-1")])
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["gbp": 3000])
        var piID = ""
        let events = await s.events {
            let pi = await transferIntent(s, customer: cus, amount: 2500, currency: "gbp", type: "gb_bank_transfer")
            #expect(pi.json["status"] == "succeeded", "\(pi.response.bodyString)")
            piID = pi.id
        }
        #expect(events == ["payment_intent.created", "payment_intent.requires_action", "customer_cash_balance_transaction.created",
                           "charge.succeeded", "payment_intent.succeeded"])
        #expect(await s.get("/v1/payment_intents/\(piID)").json["amount_received"] == 2500)
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["gbp": 500])
    }

    @Test func manualReconciliationWaitsForApply() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        let set = await s.post("/v1/customers/\(cus)/cash_balance", [("settings[reconciliation_mode]", "manual")])
        #expect(set.json["settings"] == ["reconciliation_mode": "manual", "using_merchant_default": false])
        let pi = await transferIntent(s, customer: cus, amount: 1000, currency: "eur", type: "eu_bank_transfer",
                                      extra: [("payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]", "NL")])
        #expect(pi.json["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]["iban"]["country"] == "NL")
        let funded = await s.events {
            _ = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "1500"), ("currency", "eur")])
        }
        #expect(funded == ["customer_cash_balance_transaction.created", "cash_balance.funds_available"])
        #expect(await s.get("/v1/payment_intents/\(pi.id)").json["status"] == "requires_action")
        let tooMuch = await s.post("/v1/payment_intents/\(pi.id)/apply_customer_balance", [("amount", "2000")])
        #expect(tooMuch.status == 400)
        #expect(tooMuch.json["error"]["param"] == "amount")
        let applied = await s.post("/v1/payment_intents/\(pi.id)/apply_customer_balance", [("amount", "400")])
        #expect(applied.json["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] == 600)
        let rest = await s.post("/v1/payment_intents/\(pi.id)/apply_customer_balance")
        #expect(rest.json["status"] == "succeeded")
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["eur": 500])
        let again = await s.post("/v1/payment_intents/\(pi.id)/apply_customer_balance")
        #expect(again.json["error"]["code"] == "payment_intent_unexpected_state")
    }

    @Test func errorsNameTheParam() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        let wrongCurrency = await transferIntent(s, customer: cus, amount: 1000, currency: "usd", type: "jp_bank_transfer")
        #expect(wrongCurrency.status == 400)
        #expect(wrongCurrency.json["error"]["param"] == "currency")
        let noCountry = await transferIntent(s, customer: cus, amount: 1000, currency: "eur", type: "eu_bank_transfer")
        #expect(noCountry.json["error"]["param"] == "payment_method_options[customer_balance][bank_transfer][eu_bank_transfer][country]")
        let noCustomer = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "jpy"),
                                                              ("payment_method_types[]", "customer_balance"),
                                                              ("payment_method_data[type]", "customer_balance"),
                                                              ("payment_method_options[customer_balance][funding_type]", "bank_transfer"),
                                                              ("payment_method_options[customer_balance][bank_transfer][type]", "jp_bank_transfer"),
                                                              ("confirm", "true")])
        #expect(noCustomer.json["error"]["param"] == "customer")
        let otherData = await s.post("/v1/payment_intents", [("amount", "1000"), ("currency", "usd"), ("payment_method_data[type]", "ideal")])
        #expect(otherData.json["error"]["param"] == "payment_method_data[type]")
        let badFund = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "100"), ("currency", "chf")])
        #expect(badFund.json["error"]["param"] == "currency")
        let zero = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "0"), ("currency", "jpy")])
        #expect(zero.json["error"]["param"] == "amount")
        let unknown = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "10"), ("currency", "jpy"),
                                                                                           ("colour", "red")])
        #expect(unknown.json["error"]["code"] == "parameter_unknown")
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == .null)
        let missing = await s.get("/v1/customers/\(cus)/cash_balance_transactions/ccsbtxn_nope")
        #expect(missing.status == 404)
    }
}

extension CashBalanceTests {
    /// The 2022 name of JP bank transfers, as the Stripe CLI's `payment_intent.partially_funded`
    /// trigger sends it, is the same type.
    @Test func theFirstNameOfJapaneseTransfersStillWorks() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        let pi = await transferIntent(s, customer: cus, amount: 20000, type: "jp_bank_account")
        #expect(pi.json["status"] == "requires_action", "\(pi.response.bodyString)")
        #expect(pi.json["next_action"]["display_bank_transfer_instructions"]["type"] == "jp_bank_transfer")
        #expect(pi.json["payment_method_options"]["customer_balance"]["bank_transfer"]["type"] == "jp_bank_transfer")
        let wrong = await transferIntent(s, customer: cus, amount: 20000, type: "jp_bank")
        #expect(wrong.json["error"]["param"] == "payment_method_options[customer_balance][bank_transfer][type]")
    }
}

extension CashBalanceTests {
    /// Canceling a partly funded intent gives the applied money back to the cash balance.
    @Test func cancelingAPartlyFundedIntentReturnsTheMoney() async throws {
        let s = try TestStripe()
        let cus = await customer(s)
        let pi = await transferIntent(s, customer: cus, amount: 8000)
        #expect(pi.json["payment_method_options"].objectValue.map { Array($0.keys) } == ["customer_balance"])
        _ = await s.post("/v1/test_helpers/customers/\(cus)/fund_cash_balance", [("amount", "3000"), ("currency", "jpy")])
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["jpy": 0])
        let canceled = await s.post("/v1/payment_intents/\(pi.id)/cancel")
        #expect(canceled.json["status"] == "canceled")
        #expect(await s.get("/v1/customers/\(cus)/cash_balance").json["available"] == ["jpy": 3000])
        let last = await s.get("/v1/customers/\(cus)/cash_balance_transactions", [("limit", "1")]).json["data"][0]
        #expect(last["type"] == "unapplied_from_payment")
        #expect(last["net_amount"] == 3000)
        #expect(last["ending_balance"] == 3000)
        #expect(last["unapplied_from_payment"]["payment_intent"] == .string(pi.id))
    }
}
