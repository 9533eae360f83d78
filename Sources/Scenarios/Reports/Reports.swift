import Foundation
import StripeWire

/// JUnit XML (what CI systems show), a JSON report, and the terminal summary table.
public enum Reports {
    /// - Parameter root: the project folder (the one holding `goldens/`): each test's `classname`
    ///   is its file's path relative to it, without `.json`, dotted (`scenarios.renewals.dunning`),
    ///   the same however the runner was invoked, so CI keeps each test's history.
    ///
    /// A check that failed is a `failure`; a crash, a timeout or an invalid file is an `error`; a
    /// scenario `--fail-fast` did not run is `skipped`.
    public static func junit(_ results: [ScenarioResult], root: String = ".") -> String {
        let errors = results.filter(\.isError).count
        let failures = results.filter { !$0.passed && !$0.isError }.count
        let skipped = results.filter { $0.status == .skipped }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"effinity scenarios\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(fmt(total))\">\n"
        out += "  <testsuite name=\"scenarios\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(fmt(total))\">\n"
        for r in results {
            out += "    <testcase name=\"\(xml(r.name))\" classname=\"\(xml(className(r.file, root: root)))\" time=\"\(fmt(r.seconds))\""
            if r.status == .skipped {
                out += ">\n      <skipped message=\"\(xml(r.messages.first ?? "not run"))\"/>\n    </testcase>\n"
                continue
            }
            if r.passed { out += "/>\n"; continue }
            let element = r.isError ? "error" : "failure"
            out += ">\n      <\(element) message=\"\(xml(r.messages.first ?? "failed"))\">\(xml(r.messages.map(stripANSI).joined(separator: "\n")))</\(element)>\n"
            out += "    </testcase>\n"
        }
        return out + "  </testsuite>\n</testsuites>\n"
    }

    /// GitHub Actions workflow commands: one `::error` annotation per failed scenario, on its file.
    public static func githubAnnotations(_ results: [ScenarioResult]) -> [String] {
        results.filter { !$0.passed }.map { r in
            func escape(_ s: String) -> String {
                stripANSI(s).replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                    .replacingOccurrences(of: "\n", with: "%0A")
            }
            return "::error file=\(escape(r.file)),title=\(escape("scenario \(r.name) failed"))::\(escape(r.messages.joined(separator: "\n")))"
        }
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

    /// The JSON report (`scenarios/report.schema.json`): every scenario with its status, time and
    /// messages; snapshots for failed ones (what the state was), or for all with `allSnapshots`.
    public static func json(_ results: [ScenarioResult], allSnapshots: Bool = false) -> String {
        JSONWriter.string([
            "version": 1,
            "scenarios": .array(results.map { $0.json(snapshots: allSnapshots || !$0.passed) }),
            "passed": .int(results.filter { $0.passed && $0.status != .skipped }.count),
            "failed": .int(results.filter { !$0.passed }.count),
            "skipped": .int(results.filter { $0.status == .skipped }.count),
        ], pretty: true)
    }

    /// Per-scenario seconds from an earlier JSON report (`--durations`).
    public static func durations(fromJSONReport text: String) -> [String: Double] {
        guard let report = try? JSONParser.parse(Array(text.utf8)) else { return [:] }
        var out: [String: Double] = [:]
        for s in report["scenarios"].arrayValue ?? [] {
            guard let name = s["name"].stringValue else { continue }
            if case .double(let d) = s["seconds"] { out[name] = d } else if let i = s["seconds"].intValue { out[name] = Double(i) }
        }
        return out
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
        let noted = results.filter { $0.passed && $0.status != .skipped && !$0.messages.isEmpty }
        if !noted.isEmpty {
            lines.append(paint("Notes (\(noted.count)): known failures, and known_failure marks that now pass", "33"))
            for r in noted {
                lines.append("• \(r.name) (\(r.file))")
                for m in r.messages { lines.append("    " + m.replacingOccurrences(of: "\n", with: "\n    ")) }
            }
            lines.append("")
        }
        let failed = failures.count
        let skipped = results.filter { $0.status == .skipped }.count
        lines.append("\(results.count - failed - skipped) passed, \(failed) failed\(skipped > 0 ? ", \(skipped) skipped" : ""), \(results.count) scenarios in \(fmt(wall))s")
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
