/// One page being drawn: text in the standard fonts and straight lines, in PDF points from the
/// bottom-left corner (a US Letter page is 612 × 792).
public struct PDFPage: Sendable {
    public let width: Double
    public let height: Double
    /// The page's content stream (PDF 1.7, 8 and 9): operators appended as they are drawn.
    private(set) var content: [UInt8] = []

    public init(width: Double = 612, height: Double = 792) {
        self.width = width
        self.height = height
    }

    public enum Alignment: Sendable { case left, right, center }

    /// Draws `text` with its baseline at `y`; `x` is its left edge, right edge or centre.
    public mutating func text(_ text: String, x: Double, y: Double, font: PDFFont = .helvetica, size: Double = 10,
                              align: Alignment = .left, gray: Double = 0) {
        let w = font.width(of: text, size: size)
        let left = align == .left ? x : (align == .right ? x - w : x - w / 2)
        append("BT \(Self.number(gray)) g /\(font.resourceName) \(Self.number(size)) Tf \(Self.number(left)) \(Self.number(y)) Td (")
        content += Self.escaped(WinAnsi.encode(text))
        append(") Tj ET\n")
    }

    /// A straight line from (x1, y1) to (x2, y2), `lineWidth` points wide, in a shade of gray (0 black, 1 white).
    public mutating func line(from x1: Double, _ y1: Double, to x2: Double, _ y2: Double, lineWidth: Double = 0.5, gray: Double = 0) {
        append("\(Self.number(gray)) G \(Self.number(lineWidth)) w \(Self.number(x1)) \(Self.number(y1)) m \(Self.number(x2)) \(Self.number(y2)) l S\n")
    }

    private mutating func append(_ s: String) { content += Array(s.utf8) }

    /// A PDF real: at most two decimals, no exponent, no trailing zeros.
    static func number(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let a = abs(hundredths)
        let whole = a / 100, frac = a % 100
        if frac == 0 { return "\(sign)\(whole)" }
        return frac % 10 == 0 ? "\(sign)\(whole).\(frac / 10)" : "\(sign)\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }

    /// A literal string's bytes with `(`, `)` and `\` escaped (PDF 1.7, 7.3.4.2).
    static func escaped(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            if b == UInt8(ascii: "(") || b == UInt8(ascii: ")") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        return out
    }
}
