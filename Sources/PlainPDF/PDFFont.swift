/// The two standard Type 1 fonts a PDF viewer must carry (PDF 1.7, 9.6.2.2), so a document
/// embeds no font file: Helvetica and Helvetica-Bold, in WinAnsiEncoding.
///
/// Widths are the fonts' Adobe metrics (thousandths of the size) for printable ASCII; they are
/// what right-aligned amounts and wrapped descriptions are measured with.
public enum PDFFont: String, Sendable, CaseIterable {
    case helvetica = "Helvetica"
    case helveticaBold = "Helvetica-Bold"

    /// The resource name a page's content stream uses (`/F1 10 Tf`).
    var resourceName: String { self == .helvetica ? "F1" : "F2" }

    /// The width of `text` at `size` points, in points.
    public func width(of text: String, size: Double) -> Double {
        let table = self == .helvetica ? Self.regularWidths : Self.boldWidths
        var total = 0
        for byte in WinAnsi.encode(text) {
            total += (32...126).contains(byte) ? table[Int(byte) - 32] : 556
        }
        return Double(total) * size / 1000
    }

    /// Splits `text` into lines no wider than `width` at `size`, breaking at spaces (a word
    /// longer than a line is cut by characters).
    public func wrap(_ text: String, width: Double, size: Double) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if self.width(of: candidate, size: size) <= width {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            var rest = word
            while self.width(of: rest, size: size) > width, rest.count > 1 {
                var cut = rest.count - 1
                while cut > 1, self.width(of: String(rest.prefix(cut)), size: size) > width { cut -= 1 }
                lines.append(String(rest.prefix(cut)))
                rest = String(rest.dropFirst(cut))
            }
            current = rest
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    // Characters 32...126.
    static let regularWidths: [Int] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    ]
    static let boldWidths: [Int] = [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
        333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    ]
}

/// Text to the bytes of WinAnsiEncoding (Windows-1252), the encoding the standard fonts are
/// declared with; a character it lacks becomes `?`, so a document never carries bytes a viewer
/// would draw as another letter.
enum WinAnsi {
    static let extra: [Character: UInt8] = [
        "€": 0x80, "‚": 0x82, "„": 0x84, "…": 0x85, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94,
        "•": 0x95, "–": 0x96, "—": 0x97, "™": 0x99, "−": 0x2D, "→": 0x3E, "←": 0x3C,
    ]

    static func encode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for ch in text {
            if let b = extra[ch] {
                bytes.append(b)
            } else if ch.unicodeScalars.count == 1, let v = ch.unicodeScalars.first?.value,
                      (32...126).contains(v) || (160...255).contains(v) {
                bytes.append(UInt8(v))
            } else if ch == "\t" || ch == "\n" {
                bytes.append(32)
            } else {
                bytes.append(0x3F)
            }
        }
        return bytes
    }
}
