import Testing
import StripeWire
@testable import StripeEmulator

/// Customer balance transactions, credit notes and invoices sent for payment, through the API,
/// amounts checked against hand-computed figures.
@Suite struct CreditNoteAndBalanceTests {
    /// A finalized one-off invoice of `amount` sent for payment, due in `days`.
    func openInvoice(_ s: TestStripe, amount: Int, days: Int = 30) async -> (customer: String, invoice: JSONValue) {
        let customer = await s.customer()
        let id = await s.post("/v1/invoices", [("customer", customer), ("collection_method", "send_invoice"),
                                               ("days_until_due", String(days))]).json["id"].stringValue!
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("invoice", id), ("amount", String(amount)), ("currency", "usd")])
        return (customer, await s.post("/v1/invoices/\(id)/finalize", []).json)
    }

    @Test func balanceTransactionsKeepARunningBalance() async throws {
        let s = try TestStripe()
        let customer = await s.customer()
        let a = await s.post("/v1/customers/\(customer)/balance_transactions", [("amount", "-1500"), ("currency", "usd")]).json
        let b = await s.post("/v1/customers/\(customer)/balance_transactions", [("amount", "400"), ("currency", "usd")]).json
        #expect(a["ending_balance"] == -1500)
        #expect(b["ending_balance"] == -1100)  // -1500 + 400
        #expect(await s.get("/v1/customers/\(customer)").json["balance"] == -1100)
        let zero = await s.post("/v1/customers/\(customer)/balance_transactions", [("amount", "0"), ("currency", "usd")])
        #expect(zero.status == 400)
        #expect(zero.json["error"]["param"] == "amount")
    }

    @Test func prePaymentCreditNoteThenVoid() async throws {
        let s = try TestStripe()
        let (_, invoice) = await openInvoice(s, amount: 8000)
        let id = invoice["id"].stringValue!
        let note = await s.post("/v1/credit_notes", [("invoice", id), ("amount", "2500")]).json
        #expect(note["type"] == "pre_payment")
        #expect(await s.invoice(id)["amount_remaining"] == 5500)  // 8000 - 2500
        let voided = await s.post("/v1/credit_notes/\(note["id"].stringValue!)/void", []).json
        #expect(voided["status"] == "void")
        #expect(await s.invoice(id)["amount_remaining"] == 8000)
        #expect(await s.invoice(id)["pre_payment_credit_notes_amount"] == 0)
    }

    @Test func postPaymentCreditGoesToTheBalanceAndVoidTakesItBack() async throws {
        let s = try TestStripe()
        let (customer, invoice) = await openInvoice(s, amount: 3000)
        let id = invoice["id"].stringValue!
        #expect(await s.post("/v1/invoices/\(id)/pay", [("paid_out_of_band", "true")]).json["status"] == "paid")
        let note = await s.post("/v1/credit_notes", [("invoice", id), ("amount", "1000")]).json
        #expect(note["type"] == "post_payment")
        #expect(await s.get("/v1/customers/\(customer)").json["balance"] == -1000)
        let tooMuch = await s.post("/v1/credit_notes", [("invoice", id), ("amount", "2001")])
        #expect(tooMuch.status == 400)  // 3000 - 1000 = 2000 left to credit
        _ = await s.post("/v1/credit_notes/\(note["id"].stringValue!)/void", [])
        #expect(await s.get("/v1/customers/\(customer)").json["balance"] == 0)
        #expect(await s.invoice(id)["post_payment_credit_notes_amount"] == 0)
    }

    @Test func sentInvoiceRemindsThenGoesOverdue() async throws {
        let s = try TestStripe()
        let (_, invoice) = await openInvoice(s, amount: 1200, days: 10)
        let id = invoice["id"].stringValue!
        #expect(invoice["due_date"].intValue == TestStripe.start + 10 * 86400)
        let sent = await s.events(during: { _ = await s.post("/v1/invoices/\(id)/send", []) })
        #expect(sent == ["invoice.sent"])
        let later = await s.events(during: { _ = await s.advance("11d") })
        #expect(later.filter { $0.hasPrefix("invoice.") } == ["invoice.will_be_due", "invoice.overdue"])
    }
}
