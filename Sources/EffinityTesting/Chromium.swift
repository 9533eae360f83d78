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

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs Chromium headless and returns what it printed on stdout (the DOM with `--dump-dom`).
    /// Chromium may fetch pages from a server running in this process: waiting for it must not
    /// block a cooperative thread (there may be only two), or that server could never answer.
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(arguments, timeout: timeout) })
            }
        }
    }

    static func runBlocking(_ arguments: [String], timeout: Duration) throws -> String {
        guard let path else {
            throw Failure(description: "EFFINITY_REQUIRE_CHROMIUM=1, but no Chromium at /usr/bin/chromium, /usr/bin/chromium-browser or /usr/bin/google-chrome")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        // Output goes to a file, not a pipe: a pipe nobody drains could block Chromium, and reading
        // one to its end would wait for a hung Chromium forever.
        let outURL = tmp.appendingPathComponent("stdout"), errURL = tmp.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(tmp.path)/profile"] + arguments
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            process.terminate()
            if exited.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
            throw Failure(description: "Chromium did not finish within \(timeout) and was killed: \(arguments)")
        }
        guard process.terminationStatus == 0 else {
            let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
            throw Failure(description: "Chromium exited with \(process.terminationStatus): \(arguments)\n\(stderr.suffix(2000))")
        }
        return String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    }
}
