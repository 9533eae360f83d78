import Foundation
import Testing
import EffinityTesting
import StripeWire
@testable import StripeEmulator

/// Invoices', credit notes' and quotes' PDFs, read back with poppler (`pdftotext`, `pdftoppm`):
/// the number, the lines and the totals are on the page, and the file converts to an image.
@Suite(.timeLimit(.minutes(1))) struct DocumentPDFTests {
    /// An invoice of two lines (2 × $49.00 seats and a $25.00 setup fee), 10% off and 20% VAT:
    /// subtotal 98.00 + 25.00 = 123.00; discount 12.30; tax 20% of 110.70 = 22.14; total 132.84.
    static func finalizedInvoice(_ s: TestStripe) async -> JSONValue {
        let customer = await s.customer(extra: [("name", "Ada Lovelace"), ("email", "ada@acme.test"),
                                                ("address[line1]", "12 Analytical Row"), ("address[city]", "London"),
                                                ("address[postal_code]", "N1 9GU"), ("address[country]", "GB")])
        let product = await s.post("/v1/products", [("name", "Seat licence")]).id
        let price = await s.post("/v1/prices", [("product", product), ("currency", "usd"), ("unit_amount", "4900")]).id
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("price", price), ("quantity", "2")])
        _ = await s.post("/v1/invoiceitems", [("customer", customer), ("amount", "2500"), ("currency", "usd"), ("description", "Setup fee")])
        let coupon = await s.post("/v1/coupons", [("percent_off", "10"), ("name", "Launch"), ("duration", "once")]).id
        let vat = await s.post("/v1/tax_rates", [("display_name", "VAT"), ("percentage", "20"), ("inclusive", "false")]).id
        let invoice = await s.post("/v1/invoices", [("customer", customer), ("pending_invoice_items_behavior", "include"),
                                                    ("discounts[0][coupon]", coupon), ("default_tax_rates[0]", vat),
                                                    ("collection_method", "send_invoice"), ("days_until_due", "30")])
        precondition(invoice.status == 200, invoice.response.bodyString)
        let finalized = await s.post("/v1/invoices/\(invoice.id)/finalize")
        precondition(finalized.status == 200, finalized.response.bodyString)
        return finalized.json
    }

    @Test(.enabled(if: Poppler.installed, Comment(rawValue: Poppler.skipReason)))
    func invoicePDFHasTheNumberLinesAndTotals() async throws {
        let s = try TestStripe()
        let invoice = await Self.finalizedInvoice(s)
        #expect(invoice["subtotal"] == 12300)
        #expect(invoice["total"] == 13284)
        let number = try #require(invoice["number"].stringValue)
        let url = try #require(invoice["invoice_pdf"].stringValue)
        let pdf = await s.page("GET", url)
        #expect(pdf.status == 200)
        #expect(pdf.header("Content-Type") == "application/pdf")
        #expect(pdf.header("Content-Disposition") == "inline; filename=\"Invoice-\(number).pdf\"")
        #expect(pdf.body.starts(with: Array("%PDF-1.4".utf8)))

        let (text, warnings) = try await Poppler.text(of: pdf.body)
        #expect(warnings.isEmpty, "poppler complained: \(warnings)")
        for expected in ["Invoice", number, "Ada Lovelace", "ada@acme.test", "12 Analytical Row", "N1 9GU London",
                         "Seat licence", "Setup fee", "$49.00", "$98.00", "$25.00", "$123.00", "Launch (10% off)", "-$12.30",
                         "VAT (20%)", "$22.14", "$132.84", "$132.84 due by", "Page 1 of 1"] {
            #expect(text.contains(expected), "pdftotext output lacks \(expected.debugDescription):\n\(text)")
        }
        // Quantity 2 on the seats' row, right of the description.
        #expect(text.split(separator: "\n").contains { $0.contains("Seat licence") && $0.contains(" 2 ") && $0.contains("$98.00") })
        let (png, pngWarnings) = try await Poppler.png(of: pdf.body)
        #expect(pngWarnings.isEmpty, "pdftoppm complained: \(pngWarnings)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "pdftoppm did not write a PNG")
        #expect(png.count > 5_000, "the PNG looks blank (\(png.count) bytes)")
        let dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(png).write(to: dir.appendingPathComponent("invoice-pdf.png"))
    }

    @Test(.enabled(if: Poppler.installed, Comment(rawValue: Poppler.skipReason)))
    func paidInvoiceSaysPaid() async throws {
        let s = try TestStripe()
        let invoice = await Self.finalizedInvoice(s)
        let paid = await s.post("/v1/invoices/\(invoice["id"].stringValue!)/pay", [("payment_method", "pm_card_visa")])
        #expect(paid.status == 200, "\(paid.response.bodyString)")
        let (text, _) = try await Poppler.text(of: await s.page("GET", invoice["invoice_pdf"].stringValue!).body)
        #expect(text.contains("Amount paid"))
        #expect(text.contains("Paid on 15 Jan 2027"), "\(text)")
        #expect(text.range(of: #"Amount due\s+\$0\.00"#, options: .regularExpression) != nil, "\(text)")
    }

    @Test(.enabled(if: Poppler.installed, Comment(rawValue: Poppler.skipReason)))
    func creditNotePDF() async throws {
        let s = try TestStripe()
        let invoice = await Self.finalizedInvoice(s)
        let note = await s.post("/v1/credit_notes", [("invoice", invoice["id"].stringValue!), ("amount", "2000"), ("memo", "Goodwill credit")])
        #expect(note.status == 200, "\(note.response.bodyString)")
        let url = try #require(note.json["pdf"].stringValue)
        #expect(!url.contains("/_emulator/"))
        let pdf = await s.page("GET", url)
        #expect(pdf.status == 200)
        let (text, warnings) = try await Poppler.text(of: pdf.body)
        #expect(warnings.isEmpty)
        for expected in ["Credit note", note.json["number"].stringValue!, invoice["number"].stringValue!, "$20.00", "Goodwill credit", "Ada Lovelace"] {
            #expect(text.contains(expected), "credit note PDF lacks \(expected.debugDescription):\n\(text)")
        }
    }

    @Test(.enabled(if: Poppler.installed, Comment(rawValue: Poppler.skipReason)))
    func quotePDFNeedsTheKeyAndListsTheLines() async throws {
        let s = try TestStripe()
        let customer = await s.customer(extra: [("name", "Grace Hopper")])
        let price = await s.monthlyPrice(4900, name: "Enterprise")
        let quote = await s.post("/v1/quotes", [("customer", customer), ("line_items[0][price]", price), ("line_items[0][quantity]", "3")])
        #expect(quote.status == 200, "\(quote.response.bodyString)")
        _ = await s.post("/v1/quotes/\(quote.id)/finalize")
        let pdf = await s.get("/v1/quotes/\(quote.id)/pdf")
        #expect(pdf.status == 200)
        #expect(pdf.response.header("Content-Type") == "application/pdf")
        let (text, warnings) = try await Poppler.text(of: pdf.response.body)
        #expect(warnings.isEmpty)
        // 3 × $49.00 = $147.00 a month.
        for expected in ["Quote", "QT-0001", "Grace Hopper", "Enterprise", "$49.00", "$147.00", "Billed every month"] {
            #expect(text.contains(expected), "quote PDF lacks \(expected.debugDescription):\n\(text)")
        }
        let anonymous = await s.call("GET", "/v1/quotes/\(quote.id)/pdf", key: "")
        #expect(anonymous.status == 401)
        let unknown = await s.get("/v1/quotes/\(quote.id)/pdf", [("foo", "1")])
        #expect(unknown.status == 400)
        #expect(unknown.json["error"]["param"] == "foo")
        let missing = await s.get("/v1/quotes/qt_missing/pdf")
        #expect(missing.status == 404)
    }

    @Test func documentLinksAreUnguessable() async throws {
        let s = try TestStripe(idMode: .sequential)
        let invoice = await Self.finalizedInvoice(s)
        let page = try #require(invoice["hosted_invoice_url"].stringValue)
        #expect(invoice["invoice_pdf"].stringValue == page + "/pdf")
        #expect(await s.page("GET", page).status == 200)
        // Another token, another object's id under a valid token, or another alias: not found.
        let parts = page.split(separator: "/").map(String.init)
        let token = parts[parts.count - 1], id = parts[parts.count - 2]
        #expect(await s.page("GET", page.replacingOccurrences(of: token, with: String(token.reversed()))).status == 404)
        #expect(await s.page("GET", page.replacingOccurrences(of: id, with: "in_000000000002")).status == 404)
        #expect(await s.page("GET", page.replacingOccurrences(of: "/i/", with: "/i/x")).status == 404)
        // A key is not needed, and another tenant's links stay its own.
        let other = TestStripe(emulator: s.emulator, key: "sk_test_other_tenant")
        let theirs = await Self.finalizedInvoice(other)
        #expect(theirs["hosted_invoice_url"].stringValue != page)
    }
}
