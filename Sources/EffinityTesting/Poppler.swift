import Foundation

/// poppler-utils (`pdftotext`, `pdftoppm`, Debian's `poppler-utils`, installed by `.ci/run`): the
/// reader the PDF tests check the fake's invoices, credit notes and quotes with.
/// Where it is missing those tests are skipped, and say so (CI fails on a skip).
public enum Poppler {
    public static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext") }
    public static let skipReason = "SKIP: poppler-utils is not installed (/usr/bin/pdftotext); apt-get install poppler-utils"

    /// The text of a PDF as laid out on the page (`pdftotext -layout`), and what poppler
    /// complained about while reading it (empty for a well-formed file).
    public static func text(of pdf: [UInt8]) async throws -> (text: String, warnings: String) {
        let out = try await ExternalProcess.run("/usr/bin/pdftotext") { tmp in
            ["-layout", write(pdf, in: tmp), "-"]
        }
        return (String(decoding: out.stdout, as: UTF8.self), out.stderr)
    }

    /// The first page as a PNG (`pdftoppm -png`) at `dpi`, and poppler's warnings.
    public static func png(of pdf: [UInt8], dpi: Int = 72) async throws -> (png: [UInt8], warnings: String) {
        let out = try await ExternalProcess.run("/usr/bin/pdftoppm") { tmp in
            ["-png", "-r", String(dpi), "-f", "1", "-l", "1", "-singlefile", write(pdf, in: tmp)]
        }
        return (out.stdout, out.stderr)
    }

    private static func write(_ pdf: [UInt8], in dir: URL) -> String {
        let file = dir.appendingPathComponent("in.pdf")
        FileManager.default.createFile(atPath: file.path, contents: Data(pdf))
        return file.path
    }
}
