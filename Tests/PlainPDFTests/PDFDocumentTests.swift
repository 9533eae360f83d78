import Foundation
import Testing
@testable import PlainPDF

/// The writer's file structure: every cross-reference offset points at its object, the trailer
/// points at the table, strings are escaped, and widths match Helvetica's metrics.
struct PDFDocumentTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The byte offset after `startxref`, and the table's entries.
    static func xref(_ bytes: [UInt8]) throws -> (start: Int, entries: [Int]) {
        let s = String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
        let tail = try #require(s.range(of: "startxref\n", options: .backwards))
        let start = try #require(Int(s[tail.upperBound...].prefix { $0.isNumber }))
        let table = String(s[s.index(s.startIndex, offsetBy: start)...])
        #expect(table.hasPrefix("xref\n0 "))
        let lines = table.split(separator: "\n")
        let count = try #require(Int(lines[1].split(separator: " ")[1]))
        #expect(lines[2] == "0000000000 65535 f ")
        let entries = lines[3..<(2 + count)].map { line -> Int in
            #expect(line.count == 19 && line.hasSuffix(" 00000 n "), "entry \(line) is not 20 bytes with its newline")
            return Int(line.prefix(10))!
        }
        return (start, entries)
    }

    @Test func crossReferenceOffsetsPointAtTheirObjects() throws {
        var doc = PDFDocument(title: "Invoice (draft) \\ test")
        for n in 1...3 {
            var page = PDFPage()
            page.text("Page \(n): Ünïcode € and (parens)", x: 50, y: 700)
            page.line(from: 50, 690, to: 562, 690)
            doc.pages.append(page)
        }
        let bytes = doc.data()
        #expect(Self.text(Array(bytes.prefix(9))) == "%PDF-1.4\n")
        let (_, entries) = try Self.xref(bytes)
        // catalog, pages, 2 fonts, info, and a page and its content for each of the 3 pages
        #expect(entries.count == 11)
        for (i, offset) in entries.enumerated() {
            let head = Self.text(Array(bytes[offset..<min(bytes.count, offset + 12)]))
            #expect(head.hasPrefix("\(i + 1) 0 obj\n"), "xref entry \(i + 1) points at \(head.debugDescription)")
        }
        let s = Self.text(bytes)
        #expect(s.contains("/Count 3"))
        #expect(s.contains("/Kids [6 0 R 8 0 R 10 0 R]"))
        #expect(s.contains("/Title (Invoice \\(draft\\) \\\\ test)"))
        #expect(s.hasSuffix("%%EOF\n"))
    }

    @Test func streamLengthIsTheContentByteCount() throws {
        var page = PDFPage()
        page.text("Total €12.00", x: 10, y: 20, font: .helveticaBold, size: 12)
        var doc = PDFDocument(title: "t")
        doc.pages = [page]
        let bytes = doc.data()
        let s = String(decoding: bytes.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
        let lengthRange = try #require(s.range(of: "/Length "))
        let length = try #require(Int(s[lengthRange.upperBound...].prefix { $0.isNumber }))
        let streamStart = try #require(s.range(of: "stream\n")).upperBound
        let endStart = try #require(s.range(of: "endstream")).lowerBound
        #expect(s.distance(from: streamStart, to: endStart) == length)
        // "€" is WinAnsi 0x80, one byte; the text is drawn in the bold font at 12 pt.
        #expect(page.content.contains(0x80))
        #expect(s.contains("/F2 12 Tf 10 20 Td (Total ?12.00) Tj"))
    }

    @Test func sameDrawingGivesSameBytes() {
        func make() -> [UInt8] {
            var page = PDFPage()
            page.text("INV-0001", x: 50, y: 700)
            var doc = PDFDocument(title: "INV-0001")
            doc.pages = [page]
            return doc.data()
        }
        #expect(make() == make())
    }

    @Test func helveticaWidthsAreTheAdobeMetrics() {
        // "Total" in Helvetica: T 611 + o 556 + t 278 + a 556 + l 222 = 2223 thousandths.
        #expect(abs(PDFFont.helvetica.width(of: "Total", size: 10) - 22.23) < 1e-9)
        // Bold: T 611 + o 611 + t 333 + a 556 + l 278 = 2389.
        #expect(abs(PDFFont.helveticaBold.width(of: "Total", size: 10) - 23.89) < 1e-9)
        // Digits are 556 in both: amounts line up.
        #expect(PDFFont.helvetica.width(of: "1234567890", size: 1) == 5.56)
    }

    @Test func rightAlignedTextEndsAtX() {
        var page = PDFPage()
        page.text("49.00", x: 562, y: 100, align: .right)
        // 5 characters: four digits of 556 and "." of 278 = 2502 → 25.02 pt at 10 pt; starts at 562 − 25.02.
        #expect(String(decoding: page.content, as: UTF8.self).contains("536.98 100 Td (49.00)"))
    }

    @Test func wrapKeepsLinesWithinTheWidth() {
        let text = "Remaining time on Enterprise after 15 Jan 2026 with a very long description indeed"
        let lines = PDFFont.helvetica.wrap(text, width: 120, size: 10)
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { PDFFont.helvetica.width(of: $0, size: 10) <= 120 })
        #expect(lines.joined(separator: " ") == text)
        let long = PDFFont.helvetica.wrap(String(repeating: "x", count: 100), width: 50, size: 10)
        #expect(long.allSatisfy { PDFFont.helvetica.width(of: $0, size: 10) <= 50 })
        #expect(long.joined() == String(repeating: "x", count: 100))
    }

    @Test func flowStartsNewPagesAndNumbersThem() {
        var flow = PDFFlow(title: "long", footer: "INV-0001")
        for i in 0..<120 {
            flow.advance(14)
            flow.page.text("Line \(i)", x: flow.left, y: flow.y)
        }
        let doc = flow.finished()
        // 792 − 50 top margin, bottom at 50 + 20: 672 pt of rows, 48 rows of 14 pt a page → 3 pages.
        #expect(doc.pages.count == 3)
        let last = doc.pages[2].content
        #expect(last.contains(0xB7))
        #expect(String(decoding: last.map { $0 == 0xB7 ? UInt8(ascii: "*") : $0 }, as: UTF8.self).contains("(INV-0001 * Page 3 of 3)"))
    }

    @Test func numbersAreWrittenWithoutExponents() {
        #expect(PDFPage.number(0) == "0")
        #expect(PDFPage.number(12.5) == "12.5")
        #expect(PDFPage.number(12.05) == "12.05")
        #expect(PDFPage.number(-3.333) == "-3.33")
        #expect(PDFPage.number(1e-9) == "0")
    }
}
