import PlainPDF

extension BillingDocument {
    /// The document as a PDF: a header with the number and facts, seller and customer side by
    /// side, the lines with quantity, unit price and amount, then the totals and the status.
    func pdf() -> [UInt8] {
        var flow = PDFFlow(title: "\(kind) \(number)", footer: "\(kind) \(number)")
        let left = flow.left, right = flow.right
        flow.advance(12)
        flow.page.text(kind, x: left, y: flow.y, font: .helveticaBold, size: 22)
        flow.page.text("TEST MODE", x: right, y: flow.y, font: .helveticaBold, size: 9, align: .right, gray: 0.45)
        flow.advance(22)
        for (label, value) in [("\(kind) number", number)] + facts {
            flow.page.text(label, x: left, y: flow.y, size: 9, gray: 0.4)
            flow.page.text(value, x: left + 110, y: flow.y, size: 9)
            flow.advance(13)
        }
        flow.advance(10)
        let column = left + (right - left) / 2
        flow.page.text("From", x: left, y: flow.y, font: .helveticaBold, size: 10)
        flow.page.text("Bill to", x: column, y: flow.y, font: .helveticaBold, size: 10)
        for i in 0..<max(seller.count, billTo.count) {
            flow.advance(13)
            if i < seller.count { flow.page.text(seller[i], x: left, y: flow.y, size: 9) }
            if i < billTo.count { flow.page.text(billTo[i], x: column, y: flow.y, size: 9) }
        }
        flow.advance(30)

        // Columns: description, then quantity, unit price and amount right-aligned.
        let qtyX = right - 190, unitX = right - 95
        let descriptionWidth = qtyX - 40 - left
        func header(_ flow: inout PDFFlow) {
            flow.page.text("Description", x: left, y: flow.y, size: 9, gray: 0.4)
            flow.page.text("Qty", x: qtyX, y: flow.y, size: 9, align: .right, gray: 0.4)
            flow.page.text("Unit price", x: unitX, y: flow.y, size: 9, align: .right, gray: 0.4)
            flow.page.text("Amount", x: right, y: flow.y, size: 9, align: .right, gray: 0.4)
            flow.advance(6)
            flow.rule(gray: 0.6)
        }
        header(&flow)
        for row in rows {
            let lines = PDFFont.helvetica.wrap(row.description, width: descriptionWidth, size: 10)
            let details = row.detail.map { PDFFont.helvetica.wrap($0, width: descriptionWidth, size: 8) } ?? []
            let pageBefore = flow.document.pages.count
            flow.advance(16)
            if flow.document.pages.count != pageBefore {
                header(&flow)
                flow.advance(16)
            }
            flow.page.text(lines[0], x: left, y: flow.y, size: 10)
            if let q = row.quantity { flow.page.text(String(q), x: qtyX, y: flow.y, size: 10, align: .right) }
            if let u = row.unitAmount { flow.page.text(money(u), x: unitX, y: flow.y, size: 10, align: .right) }
            flow.page.text(money(row.amount), x: right, y: flow.y, size: 10, align: .right)
            for line in lines.dropFirst() {
                flow.advance(12)
                flow.page.text(line, x: left, y: flow.y, size: 10)
            }
            for line in details {
                flow.advance(11)
                flow.page.text(line, x: left, y: flow.y, size: 8, gray: 0.4)
            }
            flow.advance(7)
            flow.rule(gray: 0.88)
        }
        flow.advance(10)
        let labelX = right - 200
        for total in totals {
            flow.advance(total.emphasized ? 17 : 14)
            let font: PDFFont = total.emphasized ? .helveticaBold : .helvetica
            flow.page.text(total.label, x: labelX, y: flow.y, font: font, size: total.emphasized ? 11 : 10)
            flow.page.text(money(total.amount), x: right, y: flow.y, font: font, size: total.emphasized ? 11 : 10, align: .right)
        }
        if let status {
            flow.advance(30)
            flow.page.text(status, x: left, y: flow.y, font: .helveticaBold, size: 12)
        }
        if let memo, !memo.isEmpty {
            flow.advance(22)
            for line in PDFFont.helvetica.wrap(memo, width: right - left, size: 9) {
                flow.page.text(line, x: left, y: flow.y, size: 9, gray: 0.3)
                flow.advance(12)
            }
        }
        return flow.finished().data()
    }
}
