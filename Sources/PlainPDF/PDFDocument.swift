/// A PDF file of text and lines: the pages, written as PDF 1.4 with the two standard Helvetica
/// fonts (nothing embedded) and a cross-reference table whose offsets are the objects' byte
/// positions, so any reader opens it without repairing it.
///
/// Invoices, credit notes and quotes are drawn with it; it has no dependency, so any module can.
public struct PDFDocument: Sendable {
    public var title: String
    public var pages: [PDFPage] = []

    public init(title: String) {
        self.title = title
    }

    /// The file's bytes. Deterministic: the same pages give the same bytes (no dates, no ids).
    public func data() -> [UInt8] {
        var out: [UInt8] = Array("%PDF-1.4\n%".utf8) + [0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        let pages = self.pages.isEmpty ? [PDFPage()] : self.pages
        // Objects: 1 catalog, 2 page tree, 3 and 4 the fonts, 5 info, then a page and its content per page.
        func object(_ body: [UInt8]) {
            offsets.append(out.count)
            out += Array("\(offsets.count) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let firstPage = 6
        let kids = pages.indices.map { "\(firstPage + 2 * $0) 0 R" }.joined(separator: " ")
        object(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        object(Array("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>".utf8))
        for font in PDFFont.allCases {
            object(Array("<< /Type /Font /Subtype /Type1 /BaseFont /\(font.rawValue) /Encoding /WinAnsiEncoding >>".utf8))
        }
        object(Array("<< /Title (".utf8) + PDFPage.escaped(WinAnsi.encode(title)) + Array(") /Producer (effinity) >>".utf8))
        for (i, page) in pages.enumerated() {
            let contentRef = firstPage + 2 * i + 1
            object(Array(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(PDFPage.number(page.width)) \(PDFPage.number(page.height))] "
                          + "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents \(contentRef) 0 R >>").utf8))
            object(Array("<< /Length \(page.content.count) >>\nstream\n".utf8) + page.content + Array("endstream".utf8))
        }
        let xref = out.count
        out += Array("xref\n0 \(offsets.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            let digits = String(offset)
            out += Array((String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n").utf8)
        }
        out += Array("trailer\n<< /Size \(offsets.count + 1) /Root 1 0 R /Info 5 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return out
    }
}
