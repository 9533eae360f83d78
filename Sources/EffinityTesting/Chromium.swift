import Foundation

/// Headless Chromium for the browser tests, run with a deadline and killed when it passes.
///
/// Shared by the test suites that render pages (emulator pages, the app's dashboard).
/// Where Chromium is missing the browser tests are skipped, and say so; with
/// `EFFINITY_REQUIRE_CHROMIUM=1` (set by `.ci/run`, which installs it) they run and fail instead.
public enum Chromium {
    public static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static let required = ProcessInfo.processInfo.environment["EFFINITY_REQUIRE_CHROMIUM"] == "1"

    /// For `.enabled(if: Chromium.shouldRun, Comment(rawValue: Chromium.skipReason))`.
    public static var shouldRun: Bool { path != nil || required }
    public static let skipReason = "SKIP: Chromium is not installed (/usr/bin/chromium); EFFINITY_REQUIRE_CHROMIUM=1 turns this into a failure"

    public typealias Failure = ExternalProcess.Failure

    /// Runs Chromium headless and returns what it printed on stdout (the DOM with `--dump-dom`).
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        guard let path else {
            throw Failure(description: "EFFINITY_REQUIRE_CHROMIUM=1, but no Chromium at /usr/bin/chromium, /usr/bin/chromium-browser or /usr/bin/google-chrome")
        }
        let out = try await ExternalProcess.run(path, timeout: timeout) { tmp in
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--user-data-dir=\(tmp.path)/profile"] + arguments
        }
        return String(decoding: out.stdout, as: UTF8.self)
    }
}
