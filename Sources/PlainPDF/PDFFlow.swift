/// Top-to-bottom drawing over as many pages as it takes: a cursor `y` that moves down as rows
/// are drawn, and a new page (with the same margins) when the next row would not fit.
public struct PDFFlow: Sendable {
    public private(set) var document: PDFDocument
    public var page: PDFPage
    /// The baseline of the next row, in points from the bottom.
    public var y: Double
    public let margin: Double
    /// Drawn at the bottom of every page (its 1-based number and the count are filled in at the end).
    public var footer: String?

    public init(title: String, margin: Double = 50, footer: String? = nil) {
        let page = PDFPage()
        self.document = PDFDocument(title: title)
        self.page = page
        self.margin = margin
        self.y = page.height - margin
        self.footer = footer
    }

    public var left: Double { margin }
    public var right: Double { page.width - margin }

    /// Moves down `height` points, first starting a new page if that would cross the bottom margin.
    public mutating func advance(_ height: Double) {
        if y - height < margin + 20 { newPage() }
        y -= height
    }

    public mutating func newPage() {
        document.pages.append(page)
        page = PDFPage(width: page.width, height: page.height)
        y = page.height - margin
    }

    /// A horizontal rule across the text width, at the cursor.
    public mutating func rule(gray: Double = 0.8) {
        page.line(from: left, y, to: right, y, lineWidth: 0.5, gray: gray)
    }

    /// The finished document, each page numbered in its footer.
    public func finished() -> PDFDocument {
        var document = self.document
        document.pages.append(page)
        let count = document.pages.count
        for i in document.pages.indices {
            let text = [footer, "Page \(i + 1) of \(count)"].compactMap { $0 }.joined(separator: " · ")
            document.pages[i].text(text, x: margin, y: margin - 20, size: 8, gray: 0.4)
        }
        return document
    }
}
