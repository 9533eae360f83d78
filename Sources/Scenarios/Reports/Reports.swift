import Foundation
import StripeWire

/// JUnit XML (what CI systems show), a JSON report, and the terminal summary table.
public enum Reports {
    /// - Parameter root: the project folder (the one holding `goldens/`): each test's `classname`
    ///   is its file's path relative to it, without `.json`, dotted (`scenarios.renewals.dunning`),
    ///   the same however the runner was invoked, so CI keeps each test's history.
    public static func junit(_ results: [ScenarioResult], root: String = ".") -> String {
        let failures = results.filter { !$0.passed }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"effinity scenarios\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(fmt(total))\">\n"
        out += "  <testsuite name=\"scenarios\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(fmt(total))\">\n"
        for r in results {
            out += "    <testcase name=\"\(xml(r.name))\" classname=\"\(xml(className(r.file, root: root)))\" time=\"\(fmt(r.seconds))\""
            if r.passed { out += "/>\n"; continue }
            out += ">\n      <failure message=\"\(xml(r.messages.first ?? "failed"))\">\(xml(r.messages.map(stripANSI).joined(separator: "\n")))</failure>\n"
            out += "    </testcase>\n"
        }
        return out + "  </testsuite>\n</testsuites>\n"
    }

    /// A scenario file's path relative to `root`, without extension, with dots for slashes.
    public static func className(_ file: String, root: String) -> String {
        func absolute(_ p: String) -> [Substring] {
            let cwd = FileManager.default.currentDirectoryPath
            let full = p.hasPrefix("/") ? p : cwd + "/" + p
            var parts: [Substring] = []
            for part in full.split(separator: "/") {
                if part == "." || part.isEmpty { continue }
                if part == ".." { _ = parts.popLast(); continue }
                parts.append(part)
            }
            return parts
        }
        var path = absolute(file)
        let base = absolute(root)
        if path.starts(with: base) { path = Array(path.dropFirst(base.count)) }
        var name = path.map(String.init).joined(separator: ".")
        if name.hasSuffix(".json") { name.removeLast(5) }
        return name
    }

    public static func json(_ results: [ScenarioResult]) -> String {
        JSONWriter.string(["scenarios": .array(results.map(\.json)), "passed": .int(results.filter(\.passed).count), "failed": .int(results.filter { !$0.passed }.count)], pretty: true)
    }

    /// The end of a run's output: the table of every scenario when `verbose` (else only the
    /// failed ones), then each failure again with its messages (so a long log ends with what to
    /// fix), then the counts.
    public static func summary(_ results: [ScenarioResult], wall: Double, color: Bool, verbose: Bool = true) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        let shown = verbose ? results : results.filter { !$0.passed }
        let width = max(8, shown.map(\.name.count).max() ?? 8)
        var lines: [String] = []
        if !shown.isEmpty { lines.append("STATUS   TIME     SCENARIO") }
        for r in shown {
            let status = r.status.rawValue.uppercased().padding(8)
            lines.append("\(paint(status, r.passed ? "32" : "31")) \(String(fmt(r.seconds) + "s").padding(8)) \(r.name.padding(width))")
        }
        let failures = results.filter { !$0.passed }
        if !failures.isEmpty {
            lines.append("")
            lines.append(paint("Failures (\(failures.count)):", "31"))
            for r in failures {
                lines.append(paint("✘ \(r.name)", "31") + " (\(r.file))")
                for m in r.messages { lines.append("    " + m.replacingOccurrences(of: "\n", with: "\n    ")) }
            }
            lines.append("")
        }
        let noted = results.filter { $0.passed && !$0.messages.isEmpty }
        if !noted.isEmpty {
            lines.append(paint("Notes (\(noted.count)): known failures, and known_failure marks that now pass", "33"))
            for r in noted {
                lines.append("• \(r.name) (\(r.file))")
                for m in r.messages { lines.append("    " + m.replacingOccurrences(of: "\n", with: "\n    ")) }
            }
            lines.append("")
        }
        let failed = failures.count
        lines.append("\(results.count - failed) passed, \(failed) failed, \(results.count) scenarios in \(fmt(wall))s")
        return lines.joined(separator: "\n")
    }

    static func fmt(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000).\(frac < 10 ? "00" : frac < 100 ? "0" : "")\(frac)"
    }

    static func xml(_ s: String) -> String { stripANSI(s).markupEscaped }

    public static func stripANSI(_ s: String) -> String {
        var out = ""
        var inEscape = false
        for ch in s {
            if inEscape { if ch == "m" { inEscape = false }; continue }
            if ch == "\u{1B}" { inEscape = true; continue }
            out.append(ch)
        }
        return out
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
