import Foundation
import Testing
import StripeWire
@testable import StripeEmulator

/// The hosted invoice page at `hosted_invoice_url`: no key, the invoice's lines and totals, and
/// paying it through the same route as `/_emulator/invoices/{id}/pay`.
@Suite(.timeLimit(.minutes(1))) struct InvoicePageTests {
    /// An open $132.84 invoice (see ``DocumentPDFTests/finalizedInvoice(_:)``) of a customer without a card.
    static func openInvoice(_ s: TestStripe) async -> JSONValue {
        await DocumentPDFTests.finalizedInvoice(s)
    }

    @Test func openInvoiceShowsLinesTotalsAndThePayForm() async throws {
        let s = try TestStripe()
        let invoice = await Self.openInvoice(s)
        let page = await s.page("GET", invoice["hosted_invoice_url"].stringValue!)
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        let html = page.bodyString
        for expected in ["Invoice \(invoice["number"].stringValue!)", "Seat licence", "Setup fee", "$123.00", "-$12.30", "VAT (20%)",
                         "$22.14", "$132.84", "Pay $132.84", "Download invoice (PDF)", "No payment attempts yet.", "4000002760003184"] {
            #expect(html.contains(expected), "page lacks \(expected.debugDescription)")
        }
        #expect(html.contains("href=\"\(invoice["invoice_pdf"].stringValue!.replacingOccurrences(of: s.emulator.settings.baseURL, with: ""))\""))
        #expect(html.contains("<label for=\"card\">Card number</label>"))
    }

    @Test func payingWithATestCardPaysTheInvoice() async throws {
        let s = try TestStripe()
        let invoice = await Self.openInvoice(s)
        let url = invoice["hosted_invoice_url"].stringValue!
        var answer = APIResponse(status: 0, body: [])
        let events = await s.events { answer = await s.page("POST", url, form: [("test_card", "4242424242424242")]) }
        #expect(answer.status == 303)
        #expect(answer.header("Location")?.hasSuffix("?paid=1") == true)
        #expect(events.contains("invoice.paid"))
        let paid = await s.invoice(invoice["id"].stringValue!)
        #expect(paid["status"] == "paid")
        #expect(paid["amount_paid"] == 13284)
        let after = await s.page("GET", url + "?paid=1")
        #expect(after.bodyString.contains("Thank you: this invoice is paid."))
        #expect(after.bodyString.contains("$132.84 paid"))
        #expect(after.bodyString.contains("Succeeded"))
        #expect(!after.bodyString.contains("Pay $132.84"))
    }

    @Test func aDeclineIsShownAndRecordedInTheHistory() async throws {
        let s = try TestStripe()
        let invoice = await Self.openInvoice(s)
        let url = invoice["hosted_invoice_url"].stringValue!
        // 0341 is saved to the customer, then its charge is declined: an attempt the history keeps.
        let declined = await s.page("POST", url, form: [("card", "4000 0000 0000 0341"), ("exp", "12 / 34"), ("cvc", "123")])
        #expect(declined.status == 402)
        #expect(declined.bodyString.contains("Your card was declined."))
        #expect(declined.bodyString.contains("role=\"alert\""))
        #expect(await s.invoice(invoice["id"].stringValue!)["status"] == "open")
        let page = await s.page("GET", url)
        #expect(page.bodyString.contains("Failed"))
        #expect(page.bodyString.contains("visa ···· 0341"))
        // A card the bank refuses to save is refused before any charge, and said so.
        let refused = await s.page("POST", url, form: [("test_card", "4000000000009995")])
        #expect(refused.status == 402)
        #expect(refused.bodyString.contains("Your card has insufficient funds."))
    }

    @Test(arguments: [("complete", "paid"), ("fail", "open")])
    func threeDSecureChallenge(outcome: String, status: String) async throws {
        let s = try TestStripe()
        let invoice = await Self.openInvoice(s)
        let url = invoice["hosted_invoice_url"].stringValue!
        let challenge = await s.page("POST", url, form: [("test_card", "4000002760003184")])
        #expect(challenge.status == 200)
        #expect(challenge.bodyString.contains("3D Secure test challenge"))
        #expect(challenge.bodyString.contains("Card ending in <strong>3184</strong>"))
        let pm = try #require(challenge.bodyString.firstMatch(of: /name="card" value="(pm_[A-Za-z0-9]+)"/)?.1)
        let answered = await s.page("POST", url + "/challenge", form: [("card", String(pm)), ("outcome", outcome)])
        if outcome == "complete" {
            #expect(answered.status == 303)
        } else {
            #expect(answered.status == 402)
            #expect(answered.bodyString.contains("The provided PaymentMethod has failed authentication."))
        }
        #expect(await s.invoice(invoice["id"].stringValue!)["status"] == .string(status))
    }

    @Test func aPaidOrVoidInvoiceHasNoPayForm() async throws {
        let s = try TestStripe()
        let invoice = await Self.openInvoice(s)
        _ = await s.post("/v1/invoices/\(invoice["id"].stringValue!)/void")
        let page = await s.page("GET", invoice["hosted_invoice_url"].stringValue!)
        #expect(page.status == 200)
        #expect(page.bodyString.contains("This invoice was voided"))
        #expect(!page.bodyString.contains("<form"))
        // Posting anyway is refused by the route underneath and shown, not a crash.
        let post = await s.page("POST", invoice["hosted_invoice_url"].stringValue!, form: [("test_card", "4242424242424242")])
        #expect(post.status == 400)
        #expect(post.bodyString.contains("This invoice is void and cannot be paid."))
    }
}
